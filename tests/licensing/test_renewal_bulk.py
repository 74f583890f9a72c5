"""The set-based renewal (``licensing/renewal_bulk.py``) against the per-order
path it replaces: the same years, terms, drafts and lines on a mixed world, an
audit entry per row, and nothing twice after a crash halfway."""

import datetime
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.db import transaction

from config.audit_bulk import NIGHTLY_RUN
from config.steps import StepResult
from invoicing.models import Invoice, InvoiceLine
from licensing import renewals
from licensing.cancellation import order_cancel
from licensing.confirmation import order_confirm
from licensing.models import Licence, LicenceTerm, LicenceYear, Order
from tests.factories import PriceFactory, SchoolFactory, SchoolTypeFactory
from tests.licensing.factories import priced_product, submitted_order

pytestmark = pytest.mark.django_db
D = datetime.date
NIGHT = D(2027, 8, 2)


def _confirmed(product, school_type, *, start, schools=2):
    order = submitted_order(product=product, school_type=school_type, schools=schools)
    order_confirm(order=order, start_date=start, by=None)
    return order


@pytest.fixture
def world(set_today):
    """Orders of every kind on the night of 2 Aug 2027: two school types with new
    prices, a cancelled and a rejected licence, an order cancelled to its year's
    end, one two years behind, one without a price for a new school type, and one
    whose year has not ended."""
    set_today(D(2025, 7, 1))
    product, gs = priced_product(price="100.00")
    gy = SchoolTypeFactory(key="20", name="Gymnasium")
    PriceFactory(product=product, school_type=gy, valid_from=D(2020, 1, 1), bulk_price="300.00")
    PriceFactory(product=product, school_type=gs, valid_from=D(2026, 8, 1), bulk_price="105.00")
    PriceFactory(product=product, school_type=gy, valid_from=D(2027, 8, 1), bulk_price="333.33")
    behind = _confirmed(product, gs, start=D(2025, 8, 1))
    set_today(D(2026, 7, 1))
    mixed = submitted_order(product=product, school_type=gs, schools=3)
    for _i in range(2):
        school = SchoolFactory(authority=mixed.authority, school_type=gy)
        Licence.objects.create(order=mixed, school=school, product=product)
    order_confirm(order=mixed, start_date=D(2026, 8, 1), by=None)
    licences = list(mixed.licences.order_by("pk"))
    Licence.objects.filter(pk=licences[0].pk).update(status=Licence.Status.CANCELLED)
    Licence.objects.filter(pk=licences[1].pk).update(status=Licence.Status.REJECTED)
    cancelled = _confirmed(product, gs, start=D(2026, 8, 1))
    order_cancel(order=cancelled, on=D(2027, 3, 1))
    no_price = _confirmed(product, gs, start=D(2026, 8, 1))
    school = SchoolFactory(
        authority=no_price.authority, school_type=SchoolTypeFactory(key="10", name="Realschule")
    )
    Licence.objects.create(order=no_price, school=school, product=product, status="active")
    later = _confirmed(product, gy, start=D(2026, 9, 1))
    plain = _confirmed(product, gy, start=D(2026, 8, 1), schools=1)
    return {
        "behind": behind,
        "mixed": mixed,
        "cancelled": cancelled,
        "no_price": no_price,
        "later": later,
        "plain": plain,
    }


def _snapshot(result: StepResult) -> dict:
    new_years = LicenceYear.objects.filter(number__gt=1)
    return {
        "done": result.done,
        "failed": result.failed,
        "years": list(
            new_years.order_by("order_id", "number").values_list(
                "order_id", "number", "start_date", "end_date", "renewal_notice_sent_at"
            )
        ),
        "terms": sorted(
            LicenceTerm.objects.filter(year__in=new_years).values_list(
                "year__order_id", "year__number", "licence_id", "net_price"
            )
        ),
        "drafts": list(
            Invoice.objects.filter(licence_year__in=new_years)
            .order_by("order_id", "licence_year__number")
            .values_list(
                "order_id",
                "licence_year__number",
                "status",
                "authority_id",
                "issue_due_on",
                "service_period_start",
                "service_period_end",
                "net_total",
                "vat_total",
                "gross_total",
            )
        ),
        "lines": list(
            InvoiceLine.objects.filter(invoice__licence_year__in=new_years)
            .order_by("invoice__order_id", "invoice__licence_year__number", "position")
            .values_list(
                "invoice__order_id",
                "invoice__licence_year__number",
                "position",
                "licence_id",
                "school_number",
                "school_name",
                "product_name",
                "period_start",
                "period_end",
                "net_amount",
                "vat_rate",
            )
        ),
    }


class _Rollback(Exception):
    pass


def _run_and_roll_back(renew) -> dict:
    try:
        with transaction.atomic():
            snapshot = _snapshot(renew())
            raise _Rollback
    except _Rollback:
        return snapshot


def _per_order() -> StepResult:
    result = StepResult()
    ids = list(Order.objects.order_by("pk").values_list("pk", flat=True))
    renewals.licence_years_renew_each(ids, on=NIGHT, prices=renewals._PriceCache(), result=result)
    return result


def test_set_based_renewal_gives_what_the_per_order_path_gives(world):
    bulk = _run_and_roll_back(lambda: renewals.licence_years_renew(on=NIGHT))
    each = _run_and_roll_back(_per_order)

    assert bulk == each
    # and that is what R6 asks for:
    assert [(y[0], y[1], y[2]) for y in bulk["years"]] == [
        (world["behind"].pk, 2, D(2026, 8, 1)),
        (world["behind"].pk, 3, D(2027, 8, 1)),
        (world["mixed"].pk, 2, D(2027, 8, 1)),
        (world["plain"].pk, 2, D(2027, 8, 1)),
    ]
    mixed_lines = [line[-2] for line in bulk["lines"] if line[0] == world["mixed"].pk]
    assert sorted(mixed_lines) == [Decimal("105.00")] * 2 + [Decimal("333.33")] * 2
    assert [d[7] for d in bulk["drafts"] if d[0] == world["mixed"].pk] == [Decimal("876.66")]
    # R9: due a week after each renewal (the year's start), however late the night
    assert {d[4] - d[5] for d in bulk["drafts"]} == {datetime.timedelta(days=7)}
    assert {d[4] for d in bulk["drafts"]} == {D(2026, 8, 8), D(2027, 8, 8)}
    assert [f["item"] for f in bulk["failed"]] == [f"Bestellung {world['no_price'].pk}"]
    assert "Kein Preis am 01.08.2027" in bulk["failed"][0]["error"]


def test_every_row_made_in_bulk_has_one_audit_entry_by_the_nightly_run(world):
    before = LogEntry.objects.count()
    result = renewals.licence_years_renew(on=NIGHT)
    assert len(result.done) == 4
    entries = LogEntry.objects.filter(additional_data__source=NIGHTLY_RUN)
    made = (
        LicenceYear.objects.filter(number__gt=1).count()
        + LicenceTerm.objects.filter(year__number__gt=1).count()
        + Invoice.objects.filter(licence_year__number__gt=1).count()
        + InvoiceLine.objects.filter(invoice__licence_year__number__gt=1).count()
    )
    assert entries.count() == made == LogEntry.objects.count() - before
    assert entries.filter(action=LogEntry.Action.CREATE, actor=None).count() == made
    year = LicenceYear.objects.get(order=world["plain"], number=2)
    entry = entries.get(content_type__model="licenceyear", object_id=year.pk)
    assert entry.changes["start_date"] == ["None", "2027-08-01"]


class Crash(BaseException):
    """The process dies (not an error the step catches)."""


def test_crash_in_the_second_batch_then_rerun_renews_each_order_once(world, monkeypatch):
    monkeypatch.setattr(renewals, "BATCH_SIZE", 2)
    real = renewals.renewal_bulk.orders_renew
    calls = []

    def crash_in_second_batch(batch, **kwargs):
        calls.append(batch)
        result = real(batch, **kwargs)
        if len(calls) == 2:
            raise Crash  # after its inserts: all of them roll back
        return result

    monkeypatch.setattr(renewals.renewal_bulk, "orders_renew", crash_in_second_batch)
    with pytest.raises(Crash):
        renewals.licence_years_renew(on=NIGHT)
    # the first batch only: the order two years behind and the mixed one
    assert LicenceYear.objects.filter(number__gt=1).count() == 3

    monkeypatch.setattr(renewals.renewal_bulk, "orders_renew", real)
    result = renewals.licence_years_renew(on=NIGHT)
    assert (len(result.done), len(result.failed)) == (1, 1)  # plain; no_price has no price
    assert LicenceYear.objects.filter(number__gt=1).count() == 4
    assert renewals.licence_years_renew(on=NIGHT).done == []
    for order in Order.objects.all():
        numbers = list(order.years.values_list("number", flat=True))
        assert len(numbers) == len(set(numbers))
        assert Invoice.objects.filter(order=order).count() == len(numbers)
    audited = LogEntry.objects.filter(additional_data__source=NIGHTLY_RUN)
    assert audited.count() == len(set(audited.values_list("content_type", "object_id")))


def test_a_broken_batch_falls_back_to_one_order_at_a_time(world, monkeypatch):
    def broken(batch, **kwargs):
        raise RuntimeError("Sammelverlängerung fehlgeschlagen")

    monkeypatch.setattr(renewals.renewal_bulk, "orders_renew", broken)
    result = renewals.licence_years_renew(on=NIGHT)
    assert len(result.done) == 4
    assert [f["item"] for f in result.failed] == [f"Bestellung {world['no_price'].pk}"]
