"""Every HTML e-mail (templates/*/emails/*.html and the password reset's), as the
services send it to an authority with long names, opened in headless Chromium at
360 and 390 px: it does not scroll sideways. Long school names, e-mail addresses
and links (the portal's address with the order path, the invitation link with its
token) must wrap; a table may only be wider than the screen inside its own
scrolling box."""

import datetime
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

import config.mail
from licensing import confirmation
from licensing.models import OrderSchool
from licensing.services import order_submitted_notify
from schools.models import School
from schools.team import invitation_create
from tests import browser as browser_fixtures
from tests.factories import UserFactory
from tests.long_content import LONG_AUTHORITY, LONG_EMAIL, LONG_SCHOOL, add_long_content
from tests.portal_world import build_world
from tests.test_accessibility import OVERFLOW, PHONE, SMALL_PHONE

browser = browser_fixtures.browser
browser_page = browser_fixtures.browser_page

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
HTML_MAILS = sorted(
    [p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.glob("*/emails/*.html")]
    + ["registration/password_reset_email.html"]
)
# A real portal address is longer than the default http://127.0.0.1:8000.
PORTAL_URL = "https://lizenzportal.schulbuchverlag-bildungsmedien-beispiel.example.org"


@pytest.fixture
def sent_html(db, settings, monkeypatch, django_capture_on_commit_callbacks):
    """template name -> HTML of every HTML mail the services send for a world with
    long names: the order received, its confirmation, the schools' activations,
    a team invitation and a password reset for a long user name."""
    settings.PORTAL_URL = PORTAL_URL
    rendered = {}
    real = config.mail.render_to_string

    def recording(name, context=None, *args, **kwargs):
        html = real(name, context, *args, **kwargs)
        if name.endswith(".html"):
            rendered[name] = html
        return html

    monkeypatch.setattr(config.mail, "render_to_string", recording)
    world = build_world(name=LONG_AUTHORITY)
    add_long_content(world)
    order = world.orders["submitted"]
    for number, entry in enumerate(OrderSchool.objects.filter(order=order), start=1):
        School.objects.filter(pk=entry.school_id).update(name=f"{LONG_SCHOOL} {number}")
        OrderSchool.objects.filter(pk=entry.pk).update(contact_email=f"{number}.{LONG_EMAIL}")
    with django_capture_on_commit_callbacks(execute=True):
        order_submitted_notify(order_id=order.pk)
        confirmation.order_confirm(
            order=order,
            start_date=datetime.date.today(),
            by=UserFactory(is_staff=True),
        )
        invitation_create(authority=world.authority, email=f"neu2.{LONG_EMAIL}", by=world.user)
    UserFactory(username=f"passwort.{LONG_EMAIL}"[:150], email=f"passwort.{LONG_EMAIL}")
    Client().post(reverse("password_reset"), {"email": f"passwort.{LONG_EMAIL}"})
    # Django's reset form renders through its own template loader: take the mail sent.
    (reset,) = [m for m in mail.outbox if m.to == [f"passwort.{LONG_EMAIL}"]]
    rendered["registration/password_reset_email.html"] = reset.alternatives[0][0]
    return rendered


def test_every_html_mail_template_is_sent_here(sent_html):
    assert HTML_MAILS and set(sent_html) == set(HTML_MAILS)


@pytest.mark.browser
@pytest.mark.parametrize("template", HTML_MAILS)
def test_html_mail_fits_a_phone(template, sent_html, browser_page):
    page = browser_page
    page.set_content(sent_html[template])
    html = sent_html[template]
    assert any(text in html for text in (LONG_AUTHORITY, LONG_SCHOOL, LONG_EMAIL, PORTAL_URL))
    for width in (SMALL_PHONE, PHONE):
        page.set_viewport_size({"width": width, "height": 800})
        found = page.evaluate(OVERFLOW)
        assert found["scrollWidth"] <= found["innerWidth"], (
            f"{template} scrolls sideways at {width} px: {found['scrollWidth']} px wide; "
            f"sticking out: {found['elements']}"
        )
