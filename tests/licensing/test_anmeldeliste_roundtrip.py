import io

import pytest
from django.core import mail
from django.urls import reverse
from openpyxl import load_workbook

from licensing.models import Licence, Order, OrderSchool, RegistrationUpload
from tests.licensing.conftest import GS_NUMBERS, GYM_NUMBERS
from tests.licensing.listfiles import preview_address, without_csrf_tokens

pytestmark = pytest.mark.django_db


def test_template_round_trip_ends_in_the_submitted_order(
    staff_client,
    staff_user,
    authority,
    product,
    directory,
    upload_list,
    django_capture_on_commit_callbacks,
):
    url = reverse("licensing:order_template", args=[authority.pk, product.code])
    response = staff_client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="Anmeldeliste_mathe-digital_{authority.customer_number}.xlsx"'
    )
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Anmeldeliste", "Anleitung"]
    sheet = workbook["Anmeldeliste"]
    assert [c.value for c in sheet[4]] == [
        "Schulnummer", "Schulname", "Schulform", "Adresse",
        "Ansprechpartner Vorname", "Ansprechpartner Nachname",
        "Ansprechpartner E-Mail", "Ansprechpartner Telefon",
    ]  # fmt: skip
    assert sheet.freeze_panes == "A5"
    listed = [sheet.cell(row=r, column=1).value for r in range(5, sheet.max_row + 1)]
    # Active schools only, grouped by type; numbers stay text.
    assert listed == GS_NUMBERS + GYM_NUMBERS
    assert sheet["A5"].data_type == "s"
    assert sheet["A5"].number_format == "@"
    validations = {str(dv.sqref): dv for dv in sheet.data_validations.dataValidation}
    assert validations["C5:C210"].type == "list"
    assert validations["G5:G210"].type == "custom"
    assert "Anleitung" in validations["C5:C210"].formula1

    # Fill in everybody but the last Grundschule (3 of 4, 2 of 2).
    for row in range(5, 5 + 6):
        number = sheet.cell(row=row, column=1).value
        sheet.cell(row=row, column=5, value=f"Vorname{number}")
        sheet.cell(row=row, column=6, value=f"Nachname{number}")
        sheet.cell(row=row, column=7, value=f"kontakt{number}@schule.example.org")
        sheet.cell(row=row, column=8, value="0221 1234")
    sheet.delete_rows(8)  # 100004
    buffer = io.BytesIO()
    workbook.save(buffer)

    response = upload_list(buffer.getvalue())
    upload = RegistrationUpload.objects.get()
    assert preview_address(response) == reverse(
        "licensing:order_preview", args=[authority.pk, upload.pk]
    )
    html = response.content.decode()  # the preview answers the upload
    stored = staff_client.get(preview_address(response)).content.decode()
    assert without_csrf_tokens(stored) == without_csrf_tokens(html)
    assert "Verbindlich bestellen" in html
    assert "800,00 €" in html  # 3 x 100 + 2 x 250
    assert Order.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("licensing:order_submit", args=[authority.pk, upload.pk]),
            {"accept_terms": "on"},
        )
    order = Order.objects.get()
    assert response["Location"] == reverse(
        "licensing:order_submitted", args=[authority.pk, order.pk]
    )
    assert order.status == Order.Status.SUBMITTED
    assert order.submitted_by == staff_user
    assert order.upload == upload
    entries = {e.school.school_number: e for e in OrderSchool.objects.filter(order=order)}
    assert sorted(entries) == ["100001", "100002", "100003", "200001", "200002"]
    assert entries["200002"].contact_first_name == "Vorname200002"
    assert entries["200002"].contact_email == "kontakt200002@schule.example.org"
    assert entries["200002"].contact_phone == "0221 1234"
    assert entries["100001"].row_number == 5
    licences = Licence.objects.filter(order=order)
    assert {lic.status for lic in licences} == {Licence.Status.PENDING}
    assert licences.count() == 5
    upload.refresh_from_db()
    assert upload.is_draft is False

    confirmation = staff_client.get(response["Location"]).content.decode()
    assert f"Bestellung Nr. {order.pk}" in confirmation
    dashboard = staff_client.get(reverse("portal:dashboard", args=[authority.pk]))
    assert "Mathe digital" in dashboard.content.decode()
    assert "eingegangen" in dashboard.content.decode()

    assert [m.to for m in mail.outbox] == [[staff_user.email], ["vertrieb@example.org"]]
    assert mail.outbox[0].subject == f"Ihre Bestellung Nr. {order.pk}: Mathe digital"
    assert "100001 Grundschule Am Park 1" in mail.outbox[0].body
    assert "Summe je Jahr (netto): 800,00 €" in mail.outbox[0].body
    assert "Gesamtbetrag je Jahr (brutto): 856,00 €" in mail.outbox[0].body
    assert authority.name in mail.outbox[1].subject
