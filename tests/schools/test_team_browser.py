"""The invitation round in Chromium: the Verwalter invites, the colleague sets a
password and logs in, the Verwalter removes the colleague; the link then works
neither a second time nor for another authority."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from schools.models import AuthorityMembership
from tests.browser import login

pytestmark = [pytest.mark.browser]
PASSWORD = "Sommer-Ferien-2027"
EMAIL = "nora.neu@stadt.example.org"


def test_invite_accept_log_in_remove(
    transactional_db,
    live_server,
    browser,
    browser_page,
    staff_user,
    authority,
    other_authority,
):
    AuthorityMembership.objects.filter(user=staff_user).update(is_manager=True)
    page = browser_page
    login(page, live_server, username=staff_user.username, password="geheim-123")
    page.get_by_role("link", name="Team verwalten").click()
    page.get_by_label("E-Mail-Adresse der Kollegin oder des Kollegen").fill(EMAIL)
    page.get_by_role("button", name="Einladung senden").click()
    expect(page.get_by_role("status")).to_contain_text(f"Die Einladung an {EMAIL} ist verschickt")
    expect(page.locator("#invitations")).to_contain_text(EMAIL)

    (message,) = [m for m in mail.outbox if m.to == [EMAIL]]
    path = re.search(r"https?://[^/\s]+(/\S+/einladung/\S+/)", message.body).group(1)
    invitee = browser.new_context(locale="de-DE").new_page()
    invitee.goto(f"{live_server.url}{path}")
    invitee.get_by_label("Vorname").fill("Nora")
    invitee.get_by_label("Nachname").fill("Neu")
    invitee.locator("#id_password1").fill(PASSWORD)
    invitee.get_by_label("Passwort wiederholen").fill(PASSWORD)
    invitee.get_by_role("button", name="Zugang einrichten").click()
    expect(invitee.get_by_role("status")).to_contain_text("Ihr Zugang ist eingerichtet")
    login(invitee, live_server, username=EMAIL, password=PASSWORD)
    expect(invitee.get_by_role("heading", level=1, name=authority.name)).to_be_visible()
    expect(invitee.get_by_role("link", name="Team verwalten")).to_have_count(0)

    # The link a second time, and with another authority's id: refused.
    for url in (path, path.replace(f"/traeger/{authority.pk}/", f"/traeger/{other_authority.pk}/")):
        other = browser.new_context(locale="de-DE").new_page()
        other.goto(f"{live_server.url}{url}")
        expect(other.get_by_role("heading", level=1)).to_have_text("Einladung nicht gültig")
        other.context.close()
    assert AuthorityMembership.objects.filter(user__email=EMAIL).count() == 1

    page.reload()
    page.get_by_role("button", name="Nora Neu entfernen").click()
    expect(page.get_by_role("status")).to_contain_text("Nora Neu gehört nicht mehr zum Team.")
    expect(page.locator("#members")).not_to_contain_text(EMAIL)
    invitee.goto(f"{live_server.url}/traeger/{authority.pk}/")
    expect(invitee).to_have_url(re.compile(r"/anmelden/"))
    invitee.context.close()
