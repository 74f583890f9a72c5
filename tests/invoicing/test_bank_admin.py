"""The bank import in the admin as Buchhaltung uses it: upload, preview, book,
work the review list; and staff without the permission cannot import."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from invoicing.bank_models import BankEntry, BankImport, BankStatement
from invoicing.models import Invoice, Payment
from tests.factories import UserFactory
from tests.invoicing.bank_files import Tx, camt053
from tests.invoicing.factories import InvoiceFactory

pytestmark = pytest.mark.django_db
D = Decimal
UPLOAD = reverse("admin:invoicing_bankstatement_import")
ENTRIES = reverse("admin:invoicing_bankentry_changelist")


def staff_with(*codenames: str):
    user = UserFactory(username="_".join(codenames)[:30] or "nur-lesen", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    return user, client


VIEW = ("view_bankstatement", "view_bankentry", "view_bankimport", "view_invoice")


@pytest.fixture
def accounting():
    return staff_with("import_bankstatement", *VIEW)[1]


@pytest.fixture
def invoices(db):
    InvoiceFactory(number="RE-2027-00042", gross_total=D("107.00"))
    InvoiceFactory(number="RE-2027-00043", gross_total=D("50.00"))


def upload(client, data: bytes, name="auszug.xml"):
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, data)})


def test_staff_without_the_permission_cannot_import():
    _user, client = staff_with(*VIEW)
    listing = client.get(reverse("admin:invoicing_bankstatement_changelist"))
    assert listing.status_code == 200
    assert "Kontoauszug importieren" not in listing.content.decode()
    assert client.get(UPLOAD).status_code == 403
    assert upload(client, camt053([Tx("107.00", "RE-2027-00042")])).status_code == 403
    assert not BankImport.objects.exists()


def test_staff_without_the_permission_cannot_book_a_draft_or_work_the_review_list(
    accounting, invoices
):
    upload(accounting, camt053([Tx("12.00", "Spende", ref="X")]))
    bank_import = BankImport.objects.get()
    preview = reverse("admin:invoicing_bankstatement_import_preview", args=[bank_import.pk])
    _user, reader = staff_with(*VIEW)
    assert reader.get(preview).status_code == 403
    assert reader.post(preview, {"book": "1"}).status_code == 403
    accounting.post(preview, {"book": "1"})
    entry = BankEntry.objects.get()
    page = reader.get(ENTRIES).content.decode()
    assert "Ohne Zuordnung erledigen" not in page
    reader.post(
        ENTRIES,
        {"action": "leave", "_selected_action": [entry.pk], "apply": "1", "note": "x"},
    )
    entry.refresh_from_db()
    assert entry.status == BankEntry.Status.REVIEW


def test_upload_preview_and_book(accounting, invoices):
    assert (
        "Kontoauszug importieren"
        in accounting.get(reverse("admin:invoicing_bankstatement_changelist")).content.decode()
    )
    data = camt053(
        [
            Tx("107.00", "Rechnung RE-2027-00042", ref="A", name="Stadt Köln"),
            Tx("49.00", "RE-2027-00043", ref="B"),
            Tx("3.50", "Kontoführung", credit=False),
        ]
    )
    response = upload(accounting, data)
    bank_import = BankImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:invoicing_bankstatement_import_preview", args=[bank_import.pk]
    )
    page = accounting.get(response["Location"]).content.decode()
    assert "1 Zahlung wird automatisch erfasst (107,00 €)." in page
    assert "2 Buchungen kommen auf die Prüfliste." in page
    assert "0 Buchungen wurden schon früher importiert und werden übersprungen." in page
    assert "Teilbetrag" in page and "Abbuchung (Soll)" in page
    assert not Payment.objects.exists() and not BankStatement.objects.exists()

    booked = accounting.post(response["Location"], {"book": "1"}, follow=True)
    text = booked.content.decode()
    assert (
        "Gebucht: 1 Zahlung(en) über 107,00 € automatisch erfasst, 2 Buchung(en) zur Prüfung, "
        "0 schon früher importiert."
    ) in text
    assert Invoice.objects.get(number="RE-2027-00042").status == "paid"
    assert BankEntry.objects.filter(status="review").count() == 2

    # The same file again: nothing to book.
    upload(accounting, data)
    again = BankImport.objects.filter(status="draft").get()
    page = accounting.get(
        reverse("admin:invoicing_bankstatement_import_preview", args=[again.pk])
    ).content.decode()
    assert "Alle Buchungen dieser Datei sind schon importiert. Es gibt nichts zu buchen." in page
    assert 'name="book"' not in page


def test_broken_file_shows_a_german_message_and_writes_nothing(accounting, invoices):
    response = upload(accounting, camt053([Tx("107.00", "RE-2027-00042")])[:-50])
    assert response.status_code == 200
    page = response.content.decode()
    assert "Die XML-Datei ist beschädigt (Zeile 2:" in page
    assert not BankImport.objects.exists()
    response = upload(accounting, b"", name="leer.xml")
    assert response.status_code == 200
    assert not BankImport.objects.exists()


def test_assign_and_leave_through_the_admin(accounting, invoices):
    upload(
        accounting,
        camt053(
            [
                Tx("157.00", "RE-2027-00042, RE-2027-00043", ref="S"),
                Tx("3.50", "Kontoführung", credit=False),
            ]
        ),
    )
    bank_import = BankImport.objects.get()
    accounting.post(
        reverse("admin:invoicing_bankstatement_import_preview", args=[bank_import.pk]),
        {"book": "1"},
    )
    several = BankEntry.objects.get(entry_key="ntry:S")
    form = accounting.post(ENTRIES, {"action": "assign", "_selected_action": [several.pk]})
    page = form.content.decode()
    assert 'value="RE-2027-00042"' in page and 'value="107,00"' in page
    assert 'value="RE-2027-00043"' in page and 'value="50,00"' in page

    rows = {
        "action": "assign",
        "_selected_action": [several.pk],
        "apply": "1",
        "rows-TOTAL_FORMS": "4",
        "rows-INITIAL_FORMS": "2",
        "rows-MIN_NUM_FORMS": "0",
        "rows-MAX_NUM_FORMS": "20",
        "rows-0-number": "RE-2027-00042",
        "rows-0-amount": "107,00",
        "rows-1-number": "RE-2027-00043",
        "rows-1-amount": "40,00",
        "note": "",
    }
    refused = accounting.post(ENTRIES, rows)
    assert (
        "Die Beträge ergeben 147,00 €, die Buchung beträgt 157,00 €. Bitte verteilen Sie "
        "genau den Buchungsbetrag."
    ) in refused.content.decode()
    assert not Payment.objects.exists()
    missing_amount = accounting.post(ENTRIES, {**rows, "rows-2-number": "RE-2027-00043"})
    assert "Bitte den Betrag für diese Rechnung angeben." in missing_amount.content.decode()

    done = accounting.post(ENTRIES, {**rows, "rows-1-amount": "50,00"}, follow=True)
    assert "Zahlung über 107,00 € zu RE-2027-00042 erfasst: begleicht die Rechnung." in (
        done.content.decode()
    )
    assert set(Invoice.objects.values_list("status", flat=True)) == {"paid"}
    several.refresh_from_db()
    assert several.status == BankEntry.Status.ASSIGNED

    fee = BankEntry.objects.get(is_credit=False)
    refused = accounting.post(
        ENTRIES, {"action": "assign", "_selected_action": [fee.pk]}, follow=True
    )
    assert "Eine Abbuchung (Soll) bezahlt keine Rechnung." in refused.content.decode()
    accounting.post(
        ENTRIES,
        {"action": "leave", "_selected_action": [fee.pk], "apply": "1", "note": "Gebühr März"},
    )
    fee.refresh_from_db()
    assert (fee.status, fee.note) == (BankEntry.Status.LEFT, "Gebühr März")


def test_bank_admin_pages_open(accounting, invoices, publisher_client):
    upload(accounting, camt53 := camt053([Tx("107.00", "RE-2027-00042", ref="A")]))
    assert camt53
    bank_import = BankImport.objects.get()
    accounting.post(
        reverse("admin:invoicing_bankstatement_import_preview", args=[bank_import.pk]),
        {"book": "1"},
    )
    for name, obj in [
        ("bankimport", bank_import),
        ("bankstatement", BankStatement.objects.get()),
        ("bankentry", BankEntry.objects.get()),
        ("payment", Payment.objects.get()),
    ]:
        assert (
            publisher_client.get(reverse(f"admin:invoicing_{name}_changelist")).status_code == 200
        )
        change = reverse(f"admin:invoicing_{name}_change", args=[obj.pk])
        assert publisher_client.get(change).status_code == 200
