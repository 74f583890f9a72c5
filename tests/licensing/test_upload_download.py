"""Stored original lists: served with a name and type from their real format, and a
German page instead of a 500 once a newer upload replaced them."""

import io
import zipfile

import pytest
from django.urls import reverse
from openpyxl import Workbook

from licensing.registration_result import RegistrationResult
from licensing.services import registration_upload_store
from tests.factories import ProductFactory

REPLACED = "wurde durch eine neuer hochgeladene Liste ersetzt"


def workbook_bytes() -> bytes:
    out = io.BytesIO()
    Workbook().save(out)
    return out.getvalue()


def ods_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    return out.getvalue()


@pytest.fixture
def product(db):
    return ProductFactory()


def store(authority, product, data, filename):
    return registration_upload_store(
        authority=authority,
        product=product,
        data=data,
        filename=filename,
        result=RegistrationResult(),
    )


def portal_url(upload):
    return reverse("licensing:order_upload_file", args=[upload.authority_id, upload.pk])


def admin_url(upload):
    return reverse("admin:licensing_registrationupload_download", args=[upload.pk])


@pytest.mark.parametrize(
    ("data", "filename", "served_as", "content_type"),
    [
        (workbook_bytes(), "liste.html", "liste.xlsx", "application/vnd.openxmlformats-"),
        (ods_bytes(), "liste.xlsx", "liste.ods", "application/vnd.oasis.opendocument."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "liste.svg", "liste.xls", "appl"),
        ("Schulnummer;Name\n123456;Ä".encode(), "liste.html", "liste.csv", "text/csv"),
        (bytes(range(256)) * 4, "a/b\\c.js", "c.bin", "application/octet-stream"),
        (workbook_bytes(), "", "anmeldeliste.xlsx", "application/vnd.openxmlformats-"),
    ],
)
def test_original_is_served_by_its_real_format(
    data, filename, served_as, content_type, authority, product, staff_client, publisher_client
):
    upload = store(authority, product, data, filename)

    for client, url in [(staff_client, portal_url(upload)), (publisher_client, admin_url(upload))]:
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Disposition"] == f'attachment; filename="{served_as}"'
        assert response["Content-Type"].startswith(content_type)
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content) == data


def test_a_replaced_list_answers_with_a_german_page(
    authority, product, staff_client, publisher_client
):
    old = store(authority, product, workbook_bytes(), "alt.xlsx")
    store(authority, product, workbook_bytes(), "neu.xlsx")

    for client, url in [(staff_client, portal_url(old)), (publisher_client, admin_url(old))]:
        response = client.get(url)
        assert response.status_code == 410
        page = response.content.decode()
        assert "Diese Anmeldeliste wurde ersetzt" in page
        assert f"Die Anmeldeliste „alt.xlsx“ {REPLACED}" in page
