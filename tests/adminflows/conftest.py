"""A demo world built the way the publisher's staff and the buyer build it, through
the services: orders in every state, invoices, cancellation invoices, payments,
refunds, nightly runs, e-mails (one failed). Documents are rendered by the small
fakes of the invoicing tests (the real PDF and XML have their own tests)."""

import datetime
from decimal import Decimal

import pytest

from invoicing import cancellation as invoice_cancellation
from invoicing import drafts, issuing, payments, refunds
from invoicing.models import Invoice, Refund
from licensing import cancellation as order_cancellation
from licensing import confirmation, mail_delivery
from licensing.models import IndividualLicence, Order, OrderSchool, OutgoingMail
from portal.nightly import run_nightly
from tests.factories import IndividualLicenceFactory, LicenceYearFactory, OrderFactory
from tests.invoicing.conftest import fake_renderers  # noqa: F401 (autouse fixture)
from tests.licensing.conftest import set_today  # noqa: F401 (fixture)
from tests.licensing.factories import priced_product, submitted_order

D = datetime.date
CONFIRM_DAY = D(2026, 7, 1)
BULK_START = D(2026, 9, 30)


def individual(school, product, *, end: datetime.date, paid: str = "120.00"):
    return IndividualLicenceFactory(
        school=school,
        product=product,
        start_date=end.replace(year=end.year - 1) + datetime.timedelta(days=1),
        end_date=end,
        paid_amount=Decimal(paid),
        vat_rate=Decimal("7.00"),
    )


@pytest.fixture
def world(
    db,
    set_today,  # noqa: F811
    authority,
    publisher_user,
    staff_user,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    # Invoicing reads the calendar through timezone.localdate(): fix it too, so the
    # world does not change with the day the tests run.
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: CONFIRM_DAY)
    set_today(CONFIRM_DAY)
    product, school_type = priced_product()
    by = publisher_user
    w = {"product": product}
    with django_capture_on_commit_callbacks(execute=True):
        w["submitted"] = submitted_order(
            authority=authority, product=product, school_type=school_type
        )

        w["rejected"] = submitted_order(
            authority=authority, product=product, school_type=school_type
        )
        confirmation.order_reject(order=w["rejected"], reason="Doppelt bestellt.", by=by)

        # Running order with individual licences: 3 months + 1 day, exactly 3
        # months minus 1 day, and half a year left on the bulk start (R8).
        running = submitted_order(
            authority=authority, product=product, school_type=school_type, schools=3
        )
        schools = [e.school for e in running.schools.order_by("school__school_number")]
        w["il_refund"] = individual(schools[0], product, end=D(2026, 12, 31))
        w["il_none"] = individual(schools[1], product, end=D(2026, 12, 29))
        w["il_paid_out"] = individual(schools[2], product, end=D(2027, 3, 31))
        confirmation.order_confirm(order=running, start_date=BULK_START, by=by)
        confirmation.school_activate(order_school=running.schools.first(), by=by)
        w["running"] = running

        first = Invoice.objects.get(order=running)
        issuing.invoice_issue(invoice=first, by=by, on=D(2026, 10, 7))
        first.refresh_from_db()
        payments.payment_record(
            invoice=first, amount=Decimal("10.00"), paid_on=D(2026, 10, 10), by=by
        )
        cancellation, second = invoice_cancellation.invoice_cancel_and_reissue(
            invoice=first, by=by, reason="Falsche Anschrift", on=D(2026, 10, 12)
        )
        # The 10.00 received moved to the new invoice, issued at once: partly paid.
        second.refresh_from_db()
        payments.payment_record(
            invoice=second, amount=second.amount_open, paid_on=D(2026, 10, 20), by=by
        )
        payments.payment_record(
            invoice=second, amount=second.amount_open, paid_on=D(2026, 10, 21), by=by
        )
        w.update(first=first, cancellation=cancellation, second=second)
        paid_out = Refund.objects.get(individual_licence=w["il_paid_out"])
        refunds.refund_mark_paid_out(refund=paid_out, paid_out_on=D(2026, 10, 1), by=by)

        # The buyer cancels the running order in the portal (R7).
        order_cancellation.order_cancel(order=running, by=staff_user, on=D(2026, 11, 1))

        # Confirmed today, cancelled, ended by the nightly run; another renews.
        ended = submitted_order(authority=authority, product=product, school_type=school_type)
        confirmation.order_confirm(order=ended, start_date=CONFIRM_DAY, by=by)
        order_cancellation.order_cancel(order=ended, by=by, on=D(2026, 8, 1))
        renewing = submitted_order(authority=authority, product=product, school_type=school_type)
        confirmation.order_confirm(order=renewing, start_date=CONFIRM_DAY, by=by)
        w.update(ended=ended, renewing=renewing)

        # A licence year without licences: its draft cannot be issued (a failure
        # the nightly page must show).
        empty_year = LicenceYearFactory(
            order=OrderFactory(authority=authority, product=product, status=Order.Status.CONFIRMED),
            start_date=D(2026, 7, 1),
        )
        w["empty_draft"] = drafts.invoice_create_draft(licence_year=empty_year)

        w["runs"] = [run_nightly(on=D(2026, 7, 9)), run_nightly(on=D(2027, 7, 1))]
        w["runs"].append(run_nightly(on=D(2027, 9, 1)))

    failed = OutgoingMail.objects.filter(order=w["renewing"]).first()
    OutgoingMail.objects.filter(pk=failed.pk).update(sent_at=None)
    mail_delivery.outgoing_mail_record_failure(
        mail_id=failed.pk, error="SMTPRecipientsRefused: 550 mailbox unavailable"
    )
    w["failed_mail"] = failed
    for key in ("submitted", "rejected", "running", "ended", "renewing"):
        w[key].refresh_from_db()
    w["order_school"] = OrderSchool.objects.filter(order=running).first()
    assert IndividualLicence.objects.filter(status="superseded").count() == 3
    return w
