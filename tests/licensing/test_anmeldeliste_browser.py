"""The ordering flow in a real headless Chromium: download the template, upload a
list with an error, see it, upload the corrected list, see the gross total and
the terms, fail to order without acknowledging them, order; the later invoice
charges exactly the gross shown."""

from urllib.parse import urlparse

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from invoicing.models import Invoice
from licensing.confirmation import order_confirm
from licensing.models import Licence, Order, RegistrationUpload
from tests.browser import login

pytestmark = [pytest.mark.browser]


def fill(template, path, *, email_of_first: str):
    workbook = load_workbook(template)
    sheet = workbook["Anmeldeliste"]
    for row in range(5, sheet.max_row + 1):
        number = sheet.cell(row=row, column=1).value
        sheet.cell(row=row, column=5, value="Maria")
        sheet.cell(row=row, column=6, value=f"Lehrerin {number}")
        sheet.cell(row=row, column=7, value=f"m{number}@schule.example.org")
    sheet.cell(row=5, column=7, value=email_of_first)
    sheet.delete_rows(8)  # Grundschule 100004 does not take part: 3 of 4
    workbook.save(path)


def test_order_with_the_registration_list_in_the_browser(
    transactional_db, live_server, browser_page, staff_user, authority, product, directory, tmp_path
):
    page = browser_page
    login(page, live_server, username=staff_user.username, password="geheim-123")
    page.goto(f"{live_server.url}/traeger/{authority.pk}/")
    page.get_by_role("link", name="Produkt bestellen").click()
    page.get_by_role("link", name="Mathe digital bestellen").click()
    expect(page.get_by_role("heading", name="Mathe digital bestellen")).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Anmeldeliste herunterladen (Excel)").click()
    download = download_info.value
    assert (
        download.suggested_filename
        == f"Anmeldeliste_mathe-digital_{authority.customer_number}.xlsx"
    )
    template = tmp_path / "vorlage.xlsx"
    download.save_as(template)
    path = tmp_path / download.suggested_filename

    fill(template, path, email_of_first="maria.lehrerin(at)schule.example.org")
    page.get_by_label("Ausgefüllte Anmeldeliste").set_input_files(str(path))
    page.get_by_role("button", name="Liste hochladen und prüfen").click()

    expect(page.get_by_role("heading", name="Die Anmeldeliste hat Fehler")).to_be_visible()
    error_row = page.locator("#row-errors tbody tr")
    expect(error_row).to_have_count(1)
    assert error_row.inner_text().split("\t") == [
        "5",
        "Ansprechpartner E-Mail",
        "„maria.lehrerin(at)schule.example.org“ ist keine gültige E-Mail-Adresse.",
    ]
    assert page.get_by_role("button", name="Verbindlich bestellen").count() == 0
    assert Order.objects.count() == 0

    fill(template, path, email_of_first="maria@schule.example.org")
    page.get_by_label("Ausgefüllte Anmeldeliste").set_input_files(str(path))
    page.get_by_role("button", name="Liste hochladen und prüfen").click()

    expect(page.get_by_role("heading", name="Vorschau Ihrer Bestellung")).to_be_visible()
    # The preview answers the upload under its own address: reloading it opens the
    # stored draft and sends nothing again.
    draft = RegistrationUpload.objects.get(is_draft=True)
    preview = f"/traeger/{authority.pk}/bestellen/entwurf/{draft.pk}/"
    assert urlparse(page.url).path == preview
    requests = []
    page.on("request", lambda request: requests.append((request.method, request.url)))
    page.reload()
    expect(page.get_by_role("heading", name="Vorschau Ihrer Bestellung")).to_be_visible()
    assert ("GET", f"{live_server.url}{preview}") in requests
    assert not [method for method, _url in requests if method != "GET"]
    assert RegistrationUpload.objects.count() == 1  # the failed list kept nothing either
    expect(
        page.get_by_text("Sie bestellen für 5 Schulen zum Jahrespreis von 856,00 € (brutto)")
    ).to_be_visible()
    shown_gross = page.locator('#order-summary [data-total="gross"]').inner_text()
    assert shown_gross == "856,00 €"
    expect(page.locator('#order-summary [data-total="vat"]')).to_have_text("56,00 €")
    expect(page.get_by_text("verlängert sich automatisch")).to_be_visible()

    page.get_by_role("button", name="Verbindlich bestellen").click()  # not acknowledged
    expect(page.get_by_role("alert")).to_contain_text(
        "Bitte bestätigen Sie, dass Sie die Bedingungen gelesen haben"
    )
    assert Order.objects.count() == 0
    page.get_by_label("Ich habe die Bedingungen gelesen und bestelle verbindlich").check()
    page.get_by_role("button", name="Verbindlich bestellen").click()

    expect(page.get_by_role("heading", name="Bestellung eingegangen")).to_be_visible()
    order = Order.objects.get()
    expect(page.get_by_role("status")).to_contain_text(
        f"Bestellung Nr. {order.pk} für Mathe digital"
    )
    assert order.status == Order.Status.SUBMITTED
    assert Licence.objects.filter(order=order, status=Licence.Status.PENDING).count() == 5
    page.get_by_role("link", name="Zur Übersicht").click()
    expect(page.get_by_role("cell", name="Mathe digital")).to_be_visible()

    order_confirm(order=order)
    invoice = Invoice.objects.get(order=order, kind=Invoice.Kind.INVOICE)
    assert f"{invoice.gross_total:.2f}".replace(".", ",") + " €" == shown_gross
