"""The clerk's round in a real headless Chromium: log in with password and TOTP
code, open „Heute zu tun“, confirm the waiting order from its page, see the draft
it made among the drafts due, and record a payment for an open invoice."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from invoicing.models import Invoice, Payment
from licensing.models import Order
from portal.roles import BUCHHALTUNG, VERTRIEB
from tests import browser as browser_fixtures
from tests.factories import UserFactory
from tests.invoicing.factories import InvoiceFactory
from tests.licensing.factories import priced_product, submitted_order

browser = browser_fixtures.browser
browser_page = browser_fixtures.browser_page
pytestmark = [pytest.mark.browser]
PASSWORD = "Runde-im-Verlag-2026!"


def clerk():
    user = UserFactory(username="sachbearbeitung-verlag", is_staff=True)
    user.set_password(PASSWORD)
    user.save()
    user.groups.set(Group.objects.filter(name__in=[VERTRIEB, BUCHHALTUNG]))
    return TOTPDevice.objects.create(user=user, name="Diensthandy", confirmed=True)


def code(device: TOTPDevice) -> str:
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{value:0{device.digits}d}"


@pytest.mark.django_db(transaction=True)
def test_clerks_round(browser_page, live_server, settings):
    settings.OTP_REQUIRED_FOR_STAFF = True
    device = clerk()
    product, school_type = priced_product()
    order = submitted_order(product=product, school_type=school_type, schools=3)
    open_invoice = InvoiceFactory(gross_total=Decimal("1070.00"))
    due_soon = InvoiceFactory(
        status=Invoice.Status.DRAFT,
        number=None,
        issue_due_on=datetime.date.today() + datetime.timedelta(days=3),
        authority__name="Kreis Entwurfsstadt",
    )
    page = browser_page

    page.goto(f"{live_server.url}/admin/login/?next=/admin/heute/")
    page.fill("#id_username", "sachbearbeitung-verlag")
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    page.get_by_label("Sechsstelliger Code aus Ihrer Authenticator-App").fill(code(device))
    page.get_by_role("button", name="Bestätigen").click()
    page.wait_for_load_state()
    if "/admin/heute/" not in page.url:  # the start page links the work queue
        page.get_by_role("link", name="Heute zu tun").click()

    waiting = page.locator("#item-waiting_orders")
    assert "Bestellungen warten auf Bestätigung" in waiting.inner_text()
    assert waiting.locator(".count").inner_text() == "1"
    with page.expect_navigation():
        waiting.get_by_role("link", name="Bestellungen warten auf Bestätigung").click()
    assert page.locator("#result_list tbody tr").count() == 1  # the waiting order
    with page.expect_navigation():
        page.locator("#result_list tbody tr th a").first.click()
    assert "Jahresbetrag brutto" in page.locator(".order-summary").inner_text()
    start = datetime.date.today() + datetime.timedelta(days=1)
    page.get_by_label("Lizenzbeginn").fill(start.isoformat())
    with page.expect_navigation():
        page.get_by_role("button", name="Bestätigen und freischalten").click()
    assert f"Bestellung {order.pk} bestätigt" in page.locator(".messagelist").inner_text()
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED

    # The drafts: one is due within the week (work queue), the new order's draft
    # is issued 14 days after its start (the list of all drafts shows when).
    page.goto(f"{live_server.url}/admin/heute/")
    drafts = page.locator("#item-drafts_due")
    assert drafts.locator(".count").inner_text() == "1"
    with page.expect_navigation():
        drafts.get_by_role("link", name="bearbeiten").click()
    assert due_soon.buyer_name in page.locator("#result_list").inner_text()
    assert page.locator("#result_list tbody tr").count() == 1
    page.goto(f"{live_server.url}/admin/invoicing/invoice/?status__exact=draft")
    draft = Invoice.objects.get(order=order)
    due = draft.issue_due_on.strftime("%d.%m.%Y")
    assert f"Entwurf – wird am {due} gestellt" in page.locator("#result_list").inner_text()

    page.goto(f"{live_server.url}/admin/invoicing/invoice/?status__exact=issued")
    page.locator(f"input[name=_selected_action][value='{open_invoice.pk}']").check()
    page.locator("select[name=action]").select_option("record_payment")
    with page.expect_navigation():
        page.locator("button[name=index]").click()
    page.get_by_label("Betrag (€)").fill("1.070,00")
    with page.expect_navigation():
        page.get_by_role("button", name="Zahlung erfassen").click()
    assert f"Zahlung über 1.070,00 € zu {open_invoice.number} erfasst" in (
        page.locator(".messagelist").inner_text()
    )
    assert Payment.objects.get().invoice_id == open_invoice.pk
