"""``licensing.fields.JSONTextField`` writes and reads with orjson; whatever orjson
refuses or would write differently goes through the json module, so a value reads
back as it would from a plain ``JSONField``."""

import datetime
import json

import pytest
from django.db import connection
from django.utils.safestring import mark_safe

from licensing.models import RegistrationUpload
from tests.factories import ProductFactory, SchoolAuthorityFactory

pytestmark = pytest.mark.django_db

FIELD = RegistrationUpload._meta.get_field("result")


def _stored_text(value) -> str:
    return FIELD.get_db_prep_value(value, connection)


def _read(text):
    return FIELD.from_db_value(text, None, connection)


def test_a_result_is_written_as_compact_utf8_json_and_reads_back_equal():
    value = {"entries": {"school_name": ['Städt. "GS" <Süd>', "Ölberg\u00a0Schule"]}, "n": [1, 2.5]}
    text = _stored_text(value)
    assert text == json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    assert _read(text) == value


@pytest.mark.parametrize(
    "value",
    [
        {1: "a key that is not a string"},
        {"big": 2**70},
        {"text": "a lone surrogate \ud800"},
        {"safe": mark_safe("<b>")},
    ],
    ids=["int key", "beyond 64 bits", "lone surrogate", "str subclass"],
)
def test_what_orjson_refuses_or_writes_differently_is_written_by_the_json_module(value):
    text = _stored_text(value)
    assert text == json.dumps(value, separators=(",", ":"))
    assert _read(text) == json.loads(text)


def test_a_date_is_refused_as_by_a_plain_json_field():
    with pytest.raises(TypeError):
        _stored_text({"day": datetime.date(2026, 8, 1)})


@pytest.mark.parametrize(
    ("text", "expected"),
    [('{"a":NaN}', "nan"), ('"\\ud800"', "\ud800"), ("not json", "not json")],
    ids=["NaN", "escaped lone surrogate", "not JSON"],
)
def test_a_text_orjson_cannot_read_is_read_as_by_a_plain_json_field(text, expected):
    value = _read(text)
    if expected == "nan":
        assert value["a"] != value["a"]
    else:
        assert value == expected


def test_none_stays_none():
    assert _stored_text(None) is None
    assert _read(None) is None


def test_a_stored_upload_reads_back_its_result():
    upload = RegistrationUpload.objects.create(
        authority=SchoolAuthorityFactory(),
        product=ProductFactory(),
        file="x",
        result={"list_errors": ["Die Liste enthält keine Schulen."], "row_count": 0},
    )
    assert RegistrationUpload.objects.get(pk=upload.pk).result == {
        "list_errors": ["Die Liste enthält keine Schulen."],
        "row_count": 0,
    }
