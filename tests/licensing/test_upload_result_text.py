"""The check result of an upload is stored as text, not jsonb (licensing/fields.py,
migration 0008): results stored as jsonb before, in either stored format, read the
same afterwards, and the migration can be taken back."""

import dataclasses

import pytest
from django.db import connection

from licensing.models import RegistrationUpload
from licensing.registration_result import EntryRow, RegistrationResult, RowError, TypeFigure
from tests.factories import ProductFactory, SchoolAuthorityFactory
from tests.migrating import latest, migrate

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BEFORE = [("licensing", "0007_order_terms_acceptance")]


def _column() -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT atttypid::regtype::text, attcompression FROM pg_attribute "
            "WHERE attrelid = 'licensing_registrationupload'::regclass AND attname = 'result'"
        )
        return cursor.fetchone()


def _stored(pk) -> RegistrationResult:
    return RegistrationResult.from_dict(RegistrationUpload.objects.get(pk=pk).result)


RESULT = RegistrationResult(
    entries=[
        EntryRow(2, 7, "100001", 'Städt. "GS" <Süd> & Co', 1, "Anna", "Weiß", "a@b.de", ""),
        EntryRow(3, 8, "100002", "GS Nord", 1, "Jörg", "Ümit", "j@b.de", "0221 / 1"),
    ],
    row_errors=[RowError(4, "E-Mail", "keine gültige E-Mail-Adresse")],
    figures=[TypeFigure(1, "Grundschule", 2, 3, "100.00", "200.00")],
    total_price="200.00",
    row_count=3,
)


def test_results_stored_as_jsonb_read_the_same_as_text():
    authority, product = SchoolAuthorityFactory(), ProductFactory()
    try:
        old = migrate(BEFORE).loader.project_state(BEFORE).apps
        assert _column()[0] == "jsonb"
        OldUpload = old.get_model("licensing", "RegistrationUpload")
        as_columns = RESULT.to_dict()
        as_rows = {
            **as_columns,
            "entries": [dataclasses.asdict(e) for e in RESULT.entries],
            "row_errors": [dataclasses.asdict(e) for e in RESULT.row_errors],
        }
        ids = [
            OldUpload.objects.create(
                authority_id=authority.pk, product_id=product.pk, file="x", result=stored
            ).pk
            for stored in (as_columns, as_rows)
        ]

        migrate(latest())

        assert _column() == ("text", "l")  # lz4 (this server has it)
        for pk in ids:
            assert _stored(pk) == RESULT
        new = RegistrationUpload.objects.create(
            authority=authority, product=product, file="y", result=RESULT.to_dict()
        )
        assert _stored(new.pk) == RESULT

        old = migrate(BEFORE).loader.project_state(BEFORE).apps
        assert _column()[0] == "jsonb"
        OldUpload = old.get_model("licensing", "RegistrationUpload")
        assert OldUpload.objects.get(pk=new.pk).result == as_columns
        assert OldUpload.objects.get(pk=ids[1]).result == as_rows
    finally:
        migrate(latest())
