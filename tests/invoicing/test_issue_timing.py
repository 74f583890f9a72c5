"""R9 invoice timing: issued on setup or renewal plus the delay (7..14 days); after
a gap in the nightly runs the first run issues everything whose day has passed."""

import datetime

import pytest

from config import clock
from invoicing.models import Invoice
from licensing.confirmation import order_confirm
from portal.nightly import run_nightly
from tests.licensing.factories import priced_product, submitted_order

pytestmark = pytest.mark.django_db
D = datetime.date
RENEWAL = D(2027, 8, 1)


@pytest.fixture
def order(monkeypatch, django_capture_on_commit_callbacks):
    """Confirmed on 1 Jul 2026 to start on 1 Aug 2026; renewed on 1 Aug 2027.
    The first year's invoice is issued by a run on 8 Aug 2026."""
    monkeypatch.setattr(clock, "today", lambda: D(2026, 7, 1))
    product, school_type = priced_product(price="100.00")
    order = submitted_order(product=product, school_type=school_type, schools=2)
    with django_capture_on_commit_callbacks(execute=True):
        order_confirm(order=order, start_date=D(2026, 8, 1), by=None)
        run_nightly(on=D(2026, 8, 8))
    return order


def nightly(on, capture):
    with capture(execute=True):
        return run_nightly(on=on)


def renewal_invoice(order) -> Invoice:
    return Invoice.objects.get(licence_year__order=order, licence_year__number=2)


def test_setup_invoice_is_due_a_week_after_the_later_of_confirmation_and_start(
    order, monkeypatch, django_capture_on_commit_callbacks
):
    first = Invoice.objects.get(licence_year__order=order, licence_year__number=1)
    assert (first.issue_due_on, first.issue_date) == (D(2026, 8, 8), D(2026, 8, 8))

    monkeypatch.setattr(clock, "today", lambda: D(2026, 9, 3))  # confirmed on its start day
    product, school_type = priced_product(price="100.00")
    late = submitted_order(product=product, school_type=school_type, schools=1)
    with django_capture_on_commit_callbacks(execute=True):
        order_confirm(order=late, start_date=D(2026, 9, 3), by=None)
    draft = Invoice.objects.get(licence_year__order=late)
    assert draft.issue_due_on == D(2026, 9, 10)


def test_renewal_invoice_is_issued_on_the_seventh_day_not_the_sixth(
    order, django_capture_on_commit_callbacks
):
    for day in range(1, 8):  # the nightly runs every night from the renewal on
        nightly(D(2027, 8, day), django_capture_on_commit_callbacks)
    invoice = renewal_invoice(order)
    assert (invoice.issue_due_on, invoice.status) == (D(2027, 8, 8), Invoice.Status.DRAFT)

    run = nightly(D(2027, 8, 8), django_capture_on_commit_callbacks)

    invoice.refresh_from_db()
    assert (invoice.status, invoice.issue_date) == (Invoice.Status.ISSUED, D(2027, 8, 8))
    assert run.invoices_issued == 1


@pytest.mark.parametrize("catch_up", [D(2027, 8, 8), D(2027, 8, 15), D(2027, 8, 22)])
def test_after_a_gap_the_first_run_renews_and_issues_at_once(
    order, catch_up, django_capture_on_commit_callbacks
):
    nightly(D(2027, 7, 20), django_capture_on_commit_callbacks)  # last run before the gap

    run = nightly(catch_up, django_capture_on_commit_callbacks)

    invoice = renewal_invoice(order)
    assert run.renewals == 1
    assert invoice.issue_due_on == RENEWAL + datetime.timedelta(days=7)
    assert (invoice.status, invoice.issue_date) == (Invoice.Status.ISSUED, catch_up)


def test_a_catch_up_run_before_the_day_renews_but_issues_on_the_day(
    order, django_capture_on_commit_callbacks
):
    nightly(D(2027, 7, 20), django_capture_on_commit_callbacks)
    nightly(D(2027, 8, 7), django_capture_on_commit_callbacks)  # first run after the gap
    assert renewal_invoice(order).status == Invoice.Status.DRAFT

    nightly(D(2027, 8, 8), django_capture_on_commit_callbacks)

    assert renewal_invoice(order).issue_date == D(2027, 8, 8)


def test_with_the_longest_delay_the_invoice_comes_on_the_fourteenth_day(
    order, settings, django_capture_on_commit_callbacks
):
    settings.INVOICE_ISSUE_DELAY_DAYS = 21  # clamped to 14
    nightly(D(2027, 8, 14), django_capture_on_commit_callbacks)
    assert renewal_invoice(order).status == Invoice.Status.DRAFT
    assert renewal_invoice(order).issue_due_on == D(2027, 8, 15)

    nightly(D(2027, 8, 15), django_capture_on_commit_callbacks)

    assert renewal_invoice(order).issue_date == D(2027, 8, 15)
