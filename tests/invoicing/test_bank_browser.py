"""Buchhaltung clicks through the bank import in a real headless Chromium:
upload, preview, "Buchen", then assign an entry of the review list by hand."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from invoicing.bank_models import BankEntry
from invoicing.models import Invoice, Payment
from tests import browser as browser_fixtures
from tests.factories import UserFactory
from tests.invoicing.bank_files import Tx, camt053
from tests.invoicing.factories import InvoiceFactory

browser = browser_fixtures.browser
browser_page = browser_fixtures.browser_page
pytestmark = [pytest.mark.browser]
PASSWORD = "Bank-Test-2027!"


@pytest.mark.django_db(transaction=True)
def test_upload_preview_book_and_assign(browser_page, live_server, tmp_path):
    user = UserFactory(username="buchhaltung", is_staff=True)
    user.set_password(PASSWORD)
    user.save()
    user.user_permissions.set(
        Permission.objects.filter(
            codename__in=["import_bankstatement", "view_bankstatement", "view_bankentry"]
        )
    )
    InvoiceFactory(number="RE-2027-00042", gross_total=Decimal("107.00"))
    InvoiceFactory(number="RE-2027-00043", gross_total=Decimal("50.00"))
    path = tmp_path / "auszug.xml"
    path.write_bytes(
        camt053(
            [
                Tx("107.00", "Rechnung RE-2027-00042", ref="A"),
                Tx("40.00", "Teilzahlung re 2027 43", ref="B"),
            ]
        )
    )
    page = browser_page
    page.goto(f"{live_server.url}/admin/login/?next=/admin/invoicing/bankstatement/")
    page.fill("#id_username", "buchhaltung")
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    page.get_by_role("link", name="Kontoauszug importieren").click()
    page.get_by_label("Kontoauszug").set_input_files(str(path))
    page.get_by_role("button", name="Datei prüfen (Vorschau)").click()
    summary = page.locator("#bank-summary").inner_text()
    assert "1 Zahlung wird automatisch erfasst (107,00 €)." in summary
    assert "1 Buchung kommt auf die Prüfliste." in summary
    assert not Payment.objects.exists()

    page.get_by_role("button", name="Buchen").click()
    page.wait_for_load_state()
    assert "Gebucht: 1 Zahlung(en) über 107,00 € automatisch erfasst" in page.content()
    assert Invoice.objects.get(number="RE-2027-00042").status == "paid"

    # The review list: the partial payment, assigned by hand.
    page.locator("input[name=_selected_action]").first.check()
    page.locator("select[name=action]").select_option("assign")
    page.locator("button[name=index]").click()
    assert page.get_by_label("Rechnungsnummer, Zeile 1").input_value() == "RE-2027-00043"
    assert page.get_by_label("Betrag, Zeile 1").input_value() == "40,00"
    page.get_by_role("button", name="Zuordnen und Zahlungen erfassen").click()
    page.wait_for_load_state()
    assert (
        "Zahlung über 40,00 € zu RE-2027-00043 erfasst: Teilzahlung – begleicht nichts."
        in page.content()
    )
    assert BankEntry.objects.get(entry_key="ntry:B").status == BankEntry.Status.ASSIGNED
