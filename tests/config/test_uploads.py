"""Request bodies: an oversize upload is refused while it streams (the rest of the body
is never read), form bodies have a limit, and neither ends in a 500."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import client as test_client
from django.urls import reverse

from invoicing.bank_models import BankImport
from licensing.models import RegistrationUpload
from tests.factories import ProductFactory

LIMIT = 10_000


@pytest.fixture
def bytes_read(monkeypatch):
    """How many bytes of the request body the server side has read."""
    counter = {"read": 0}
    original = test_client.FakePayload.read

    def read(self, size=-1, /):
        chunk = original(self, size)
        counter["read"] += len(chunk)
        return chunk

    monkeypatch.setattr(test_client.FakePayload, "read", read)
    return counter


@pytest.fixture
def small_limits(settings):
    settings.UPLOAD_MAX_BYTES = LIMIT
    settings.BANK_UPLOAD_MAX_BYTES = 2 * LIMIT


def test_oversize_list_is_refused_while_it_streams(
    small_limits, bytes_read, staff_client, authority
):
    product = ProductFactory(code="mathe")
    body = b"PK\x03\x04" + bytes(100 * LIMIT)
    url = reverse("licensing:order_upload", args=[authority.pk, product.code])

    response = staff_client.post(url, {"file": SimpleUploadedFile("gross.xlsx", body)})

    assert response.status_code == 200
    assert "Die Datei ist zu groß (höchstens" in response.content.decode()
    assert bytes_read["read"] < 200_000  # the parser reads 64 kB chunks; 1 MB was sent
    assert not RegistrationUpload.objects.exists()


def test_a_list_of_exactly_the_limit_is_read(small_limits, staff_client, authority):
    product = ProductFactory(code="mathe")
    url = reverse("licensing:order_upload", args=[authority.pk, product.code])

    response = staff_client.post(url, {"file": SimpleUploadedFile("l.csv", b"x" * LIMIT)})

    # Read and checked (and found to be no list), not refused as too large.
    assert "zu groß" not in response.content.decode()
    assert "Kopfzeile" in response.content.decode()


def test_oversize_bank_file_is_refused_in_the_admin(small_limits, bytes_read, publisher_client):
    url = reverse("admin:invoicing_bankstatement_import")
    body = b"<Document>" + bytes(100 * LIMIT)

    response = publisher_client.post(url, {"file": SimpleUploadedFile("auszug.xml", body)})

    assert response.status_code == 200
    assert "Die Datei ist größer als erlaubt (höchstens 0 MB)." in response.content.decode()
    assert bytes_read["read"] < 200_000
    assert not BankImport.objects.exists()


def test_anonymous_file_post_to_the_login_page_is_not_read_whole(
    small_limits, bytes_read, client, db
):
    body = bytes(100 * LIMIT)

    response = client.post(
        reverse("login"), {"username": "x", "file": SimpleUploadedFile("a", body)}
    )

    assert response.status_code == 200
    assert bytes_read["read"] < 200_000


def test_form_body_over_the_limit_is_refused_with_400(settings, client, db):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT

    response = client.post(
        reverse("login"),
        data="username=" + "x" * (2 * LIMIT),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400


def test_production_form_body_limit_is_one_megabyte():
    from django.conf import settings

    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 1024 * 1024


def test_gunicorn_limits_request_line_and_headers():
    import runpy
    from pathlib import Path

    conf = runpy.run_path(str(Path(__file__).parents[2] / "config" / "gunicorn.conf.py"))

    assert conf["limit_request_line"] == 4094
    assert conf["limit_request_fields"] == 100
    assert conf["limit_request_field_size"] == 8190
