"""Audit entries written in bulk (``config/audit_bulk.py``) look like the ones
django-auditlog writes itself, and name the machine that wrote them."""

from decimal import Decimal

import pytest
from auditlog.models import LogEntry

from config.audit_bulk import NIGHTLY_RUN, audit_log_bulk
from licensing.models import Product
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _entry_values(entry: LogEntry) -> tuple:
    return (
        entry.content_type_id,
        entry.object_pk,
        entry.object_id,
        entry.object_repr,
        entry.action,
        entry.actor_id,
    )


def test_a_bulk_entry_equals_auditlogs_own_entry_of_the_same_creation():
    product = Product.objects.create(code="p1", name="Lehrwerk\tmit Tab", vat_rate=Decimal("7"))
    own = LogEntry.objects.get_for_object(product).get()
    own.delete()

    assert audit_log_bulk(created=[product]) == 1
    bulk = LogEntry.objects.get_for_object(product).get()
    assert _entry_values(bulk) == _entry_values(own)
    # the row's own fields as auditlog records them (without its id and reverse relations)
    assert bulk.changes_dict == {
        name: value
        for name, value in own.changes_dict.items()
        if name in {f.name for f in Product._meta.concrete_fields if not f.primary_key}
    }
    assert bulk.changes_dict["name"] == ["None", "Lehrwerk\tmit Tab"]
    assert bulk.timestamp is not None and bulk.additional_data is None


def test_updates_name_their_actor_or_the_machine_that_wrote_them():
    user = UserFactory()
    first = Product.objects.create(code="p1", name="Eins", vat_rate=Decimal("7"))
    second = Product.objects.create(code="p2", name="Zwei", vat_rate=Decimal("7"))
    LogEntry.objects.all().delete()

    audit_log_bulk(updated=[(first, {"name": ("Alt", "Eins")})], actor=user)
    audit_log_bulk(updated=[(second, {"name": ("Alt", "Zwei")})], source=NIGHTLY_RUN)

    by_user = LogEntry.objects.get_for_object(first).get()
    by_night = LogEntry.objects.get_for_object(second).get()
    assert (by_user.action, by_user.changes_dict, by_user.actor_id) == (
        LogEntry.Action.UPDATE,
        {"name": ["Alt", "Eins"]},
        user.pk,
    )
    assert (by_night.actor_id, by_night.additional_data) == (None, {"source": NIGHTLY_RUN})


def test_unaudited_models_and_empty_calls_write_nothing():
    user = UserFactory()
    LogEntry.objects.all().delete()
    assert audit_log_bulk(created=[user]) == 0
    assert audit_log_bulk() == 0
    assert not LogEntry.objects.exists()
