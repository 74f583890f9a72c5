import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from config.steps import StepResult
from invoicing import drafts as invoice_drafts
from invoicing import issuing, reminders
from invoicing.models import Invoice
from licensing import renewals
from licensing.cancellation import order_cancel, order_cancellation_withdraw
from licensing.confirmation import order_confirm
from licensing.models import Licence, LicenceTerm, LicenceYear, Order, OutgoingMail
from portal.models import NightlyRun
from portal.nightly import run_nightly
from tests.factories import PriceFactory
from tests.licensing.factories import priced_product, submitted_order

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def confirmed(set_today, django_capture_on_commit_callbacks):
    """An order of two schools confirmed to start on 1 Aug 2026 at 100.00, with a
    new price of 110.00 from 1 Aug 2027; activation mails already sent."""
    set_today(D(2026, 7, 1))
    product, gs = priced_product(price="100.00")
    PriceFactory(product=product, school_type=gs, valid_from=D(2027, 8, 1), bulk_price="110.00")
    order = submitted_order(product=product, school_type=gs, schools=2)
    with django_capture_on_commit_callbacks(execute=True):
        order_confirm(order=order, start_date=D(2026, 8, 1), by=None)
    mail.outbox.clear()
    return order


INVOICING_SUBJECTS = ("Rechnung ", "Stornorechnung ", "Freundliche Zahlungserinnerung")


def lifecycle_mail() -> list:
    """The mails of the licence lifecycle; the nightly run also issues the
    order's invoices and reminds of unpaid ones, which tests/invoicing covers."""
    return [m for m in mail.outbox if not m.subject.startswith(INVOICING_SUBJECTS)]


def nightly(on, capture):
    with capture(execute=True):
        return run_nightly(on=on)


def years(order):
    return list(
        LicenceYear.objects.filter(order=order)
        .order_by("number")
        .values_list("number", "start_date", "end_date")
    )


def test_notice_goes_exactly_on_the_configured_day_and_never_again(
    confirmed, settings, django_capture_on_commit_callbacks
):
    settings.RENEWAL_NOTICE_DAYS = 42
    # the year ends 31 Jul 2027; 42 days before is 19 Jun 2027
    run = nightly(D(2027, 6, 18), django_capture_on_commit_callbacks)
    assert run.notices == 0
    assert lifecycle_mail() == []

    run = nightly(D(2027, 6, 19), django_capture_on_commit_callbacks)
    assert run.notices == 1
    assert len(lifecycle_mail()) == 1
    notice = lifecycle_mail()[0]
    assert set(notice.to) == {confirmed.submitted_by.email, confirmed.authority.email}
    assert notice.subject == (
        f"Verlängerung am 01.08.2027: Bestellung {confirmed.pk} ({confirmed.product.name})"
    )
    assert "vom 01.08.2027 bis 31.07.2028" in notice.body
    assert "110,00 €" in notice.body  # the price valid on the new year's first day
    assert "Summe für 2 Schulen: 220,00 € zuzüglich Umsatzsteuer" in notice.body
    assert "kündigen Sie bitte bis einschließlich 31.07.2027 im Lizenzportal" in notice.body
    for school in confirmed.schools.all():
        assert school.school.school_number in notice.body

    for day in (D(2027, 6, 19), D(2027, 6, 20), D(2027, 7, 31)):
        assert nightly(day, django_capture_on_commit_callbacks).notices == 0
    assert len(lifecycle_mail()) == 1


def test_a_late_rerun_of_the_notice_day_sends_no_notice_for_a_renewed_year(
    confirmed, django_capture_on_commit_callbacks
):
    # The notice day (19 Jun 2027) was missed; the order renewed on 1 Aug 2027.
    assert nightly(D(2027, 8, 1), django_capture_on_commit_callbacks).renewals == 1

    run = nightly(D(2027, 6, 19), django_capture_on_commit_callbacks)

    assert run.notices == 0
    assert lifecycle_mail() == []
    # The renewed year gets its own notice on its own day.
    assert nightly(D(2028, 6, 19), django_capture_on_commit_callbacks).notices == 1


def test_no_notice_for_an_order_cancelled_to_the_year_end(
    confirmed, django_capture_on_commit_callbacks
):
    order_cancel(order=confirmed, by=None, on=D(2027, 3, 1))
    assert nightly(D(2027, 6, 19), django_capture_on_commit_callbacks).notices == 0


def test_renewal_on_the_new_years_first_day_at_the_new_price(
    confirmed, monkeypatch, django_capture_on_commit_callbacks
):
    assert nightly(D(2027, 7, 31), django_capture_on_commit_callbacks).renewals == 0

    run = nightly(D(2027, 8, 1), django_capture_on_commit_callbacks)

    assert run.renewals == 1
    assert years(confirmed) == [
        (1, D(2026, 8, 1), D(2027, 7, 31)),
        (2, D(2027, 8, 1), D(2028, 7, 31)),
    ]
    new_terms = LicenceTerm.objects.filter(year__number=2)
    assert new_terms.count() == 2
    assert set(new_terms.values_list("net_price", flat=True)) == {Decimal("110.00")}
    draft = Invoice.objects.get(licence_year__order=confirmed, licence_year__number=2)
    assert (draft.status, draft.net_total, draft.issue_due_on) == (
        Invoice.Status.DRAFT,
        Decimal("220.00"),
        D(2027, 8, 8),
    )
    assert (
        list(draft.lines.values_list("net_amount", "period_start"))
        == [(Decimal("110.00"), D(2027, 8, 1))] * 2
    )
    assert run.log["steps"]["renewals"]["done"] == [
        f"Bestellung {confirmed.pk}: Jahr 2 01.08.2027–31.07.2028, 2 Lizenzen"
    ]


def test_catch_up_after_a_three_week_gap_crossing_a_renewal(
    confirmed, django_capture_on_commit_callbacks
):
    nightly(D(2027, 7, 20), django_capture_on_commit_callbacks)  # last run before the gap
    mail.outbox.clear()
    run = nightly(D(2027, 8, 10), django_capture_on_commit_callbacks)
    assert run.renewals == 1
    assert years(confirmed)[-1] == (2, D(2027, 8, 1), D(2028, 7, 31))
    # the notice of year 1 was sent before the gap; nothing is sent late for it
    assert run.notices == 0
    assert lifecycle_mail() == []


def test_catch_up_several_years_in_order(confirmed, django_capture_on_commit_callbacks):
    run = nightly(D(2029, 8, 2), django_capture_on_commit_callbacks)
    assert run.renewals == 3
    assert [y[0] for y in years(confirmed)] == [1, 2, 3, 4]
    assert years(confirmed)[-1] == (4, D(2029, 8, 1), D(2030, 7, 31))


def test_cancellation_on_the_last_day_ends_with_the_year(
    confirmed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        effective = order_cancel(order=confirmed, by=None, on=D(2027, 7, 31))
    assert effective == D(2027, 7, 31)
    assert set(Licence.objects.values_list("status", flat=True)) == {"cancelled"}
    assert mail.outbox[0].subject == (
        f"Kündigungsbestätigung: Bestellung {confirmed.pk} endet am 31.07.2027"
    )

    run = nightly(D(2027, 8, 1), django_capture_on_commit_callbacks)

    assert (run.renewals, run.expiries) == (0, 1)
    confirmed.refresh_from_db()
    assert confirmed.status == Order.Status.ENDED
    assert confirmed.ended_on == D(2027, 7, 31)
    assert set(Licence.objects.values_list("status", "ended_on")) == {("expired", D(2027, 7, 31))}
    assert len(years(confirmed)) == 1


def test_on_the_effective_day_itself_the_cancelled_order_still_runs(
    confirmed, django_capture_on_commit_callbacks
):
    effective = order_cancel(order=confirmed, by=None, on=D(2027, 3, 1))
    assert effective == D(2027, 7, 31)

    run = nightly(D(2027, 7, 31), django_capture_on_commit_callbacks)

    assert (run.renewals, run.expiries) == (0, 0)
    confirmed.refresh_from_db()
    assert confirmed.status == Order.Status.CONFIRMED
    assert set(Licence.objects.values_list("status", flat=True)) == {"cancelled"}
    # The day after, it ends with the year, not renewed.
    run = nightly(D(2027, 8, 1), django_capture_on_commit_callbacks)
    assert (run.renewals, run.expiries) == (0, 1)
    confirmed.refresh_from_db()
    assert (confirmed.status, confirmed.ended_on) == (Order.Status.ENDED, D(2027, 7, 31))


def test_cancellation_on_the_first_day_of_the_next_year_applies_to_that_year(
    confirmed, django_capture_on_commit_callbacks
):
    # the nightly run of 1 Aug has not happened yet: the cancellation still counts
    # for the year that began that day
    effective = order_cancel(order=confirmed, by=None, on=D(2027, 8, 1))
    assert effective == D(2028, 7, 31)

    run = nightly(D(2027, 8, 1), django_capture_on_commit_callbacks)
    assert (run.renewals, run.expiries) == (1, 0)
    assert years(confirmed)[-1] == (2, D(2027, 8, 1), D(2028, 7, 31))
    # the renewed year is paid in full, its licences stay cancelled to its end
    assert LicenceTerm.objects.filter(year__number=2).count() == 2
    assert set(Licence.objects.values_list("status", flat=True)) == {"cancelled"}

    run = nightly(D(2028, 8, 1), django_capture_on_commit_callbacks)
    assert (run.renewals, run.expiries) == (0, 1)
    confirmed.refresh_from_db()
    assert confirmed.status == Order.Status.ENDED


def test_withdrawal_until_the_effective_date(confirmed, django_capture_on_commit_callbacks):
    order_cancel(order=confirmed, by=None, on=D(2027, 5, 1))
    with django_capture_on_commit_callbacks(execute=True):
        order_cancellation_withdraw(order=confirmed, by=None, on=D(2027, 7, 31))
    confirmed.refresh_from_db()
    assert confirmed.cancellation_effective_on is None
    assert set(Licence.objects.values_list("status", flat=True)) == {"active"}
    assert mail.outbox[-1].subject == (
        f"Kündigung zurückgenommen: Bestellung {confirmed.pk} läuft weiter"
    )
    run = nightly(D(2027, 8, 1), django_capture_on_commit_callbacks)
    assert (run.renewals, run.expiries) == (1, 0)


def test_withdrawal_after_the_effective_date_is_refused(confirmed):
    order_cancel(order=confirmed, by=None, on=D(2027, 5, 1))
    with pytest.raises(ValidationError) as excinfo:
        order_cancellation_withdraw(order=confirmed, by=None, on=D(2027, 8, 1))
    assert excinfo.value.messages == [
        f"Die Kündigung von Bestellung {confirmed.pk} ist seit dem Ende des 31.07.2027 "
        "wirksam und kann nicht mehr zurückgenommen werden."
    ]


def test_running_twice_on_a_day_and_later_changes_nothing_done(
    confirmed, django_capture_on_commit_callbacks
):
    other = submitted_order(
        product=confirmed.product, school_type=confirmed.licences.first().school.school_type
    )
    order_confirm(order=other, start_date=D(2026, 8, 1), by=None)
    order_cancel(order=other, by=None, on=D(2027, 2, 1))

    first = nightly(D(2027, 8, 1), django_capture_on_commit_callbacks)
    assert (first.renewals, first.expiries) == (1, 1)
    state = (
        sorted(LicenceYear.objects.values_list("order_id", "number", "renewal_notice_sent_at")),
        sorted(Licence.objects.values_list("pk", "status", "ended_on")),
        LicenceTerm.objects.count(),
        OutgoingMail.objects.count(),
    )
    sent = len(lifecycle_mail())

    second = nightly(D(2027, 8, 1), django_capture_on_commit_callbacks)
    third = nightly(D(2027, 8, 20), django_capture_on_commit_callbacks)

    for run in (second, third):
        assert (run.notices, run.renewals, run.expiries, run.failures) == (0, 0, 0, 0)
    assert state == (
        sorted(LicenceYear.objects.values_list("order_id", "number", "renewal_notice_sent_at")),
        sorted(Licence.objects.values_list("pk", "status", "ended_on")),
        LicenceTerm.objects.count(),
        OutgoingMail.objects.count(),
    )
    assert len(lifecycle_mail()) == sent


class Crash(BaseException):
    """Stands for the process dying (not an ordinary error the step catches)."""


def test_crash_halfway_through_renewals_then_rerun(
    confirmed, monkeypatch, django_capture_on_commit_callbacks
):
    gs = confirmed.licences.first().school.school_type
    others = [submitted_order(product=confirmed.product, school_type=gs) for _i in range(2)]
    for order in others:
        order_confirm(order=order, start_date=D(2026, 8, 1), by=None)
    monkeypatch.setattr(renewals, "BATCH_SIZE", 1)
    drafts = []

    def crash_on_second(*, years, terms, on):
        if len(drafts) == 1:
            raise Crash
        drafts.extend(year.order_id for year in years)

    monkeypatch.setattr(invoice_drafts, "invoices_create_drafts", crash_on_second)
    with pytest.raises(Crash):
        nightly(D(2027, 8, 1), django_capture_on_commit_callbacks)
    assert LicenceYear.objects.filter(number=2).count() == 1  # the first order only
    crashed = NightlyRun.objects.get()
    assert crashed.finished_at is None

    monkeypatch.setattr(
        invoice_drafts,
        "invoices_create_drafts",
        lambda *, years, terms, on: drafts.extend(year.order_id for year in years),
    )
    run = nightly(D(2027, 8, 1), django_capture_on_commit_callbacks)

    assert run.renewals == 2
    assert sorted(drafts) == sorted([confirmed.pk, *[o.pk for o in others]])
    assert LicenceYear.objects.filter(number=2).count() == 3
    assert LicenceTerm.objects.filter(year__number=2).count() == 6


def test_a_failing_order_is_recorded_and_the_others_renew(
    confirmed, monkeypatch, django_capture_on_commit_callbacks
):
    gs = confirmed.licences.first().school.school_type
    other = submitted_order(product=confirmed.product, school_type=gs)
    order_confirm(order=other, start_date=D(2026, 8, 1), by=None)

    def failing(*, licence_year, on):
        if licence_year.order_id == confirmed.pk:
            raise RuntimeError("Rechnungsentwurf fehlgeschlagen")

    def failing_batch(*, years, terms, on):
        for year in years:
            failing(licence_year=year, on=on)

    monkeypatch.setattr(invoice_drafts, "invoice_create_draft", failing)
    monkeypatch.setattr(invoice_drafts, "invoices_create_drafts", failing_batch)
    run = nightly(D(2027, 8, 1), django_capture_on_commit_callbacks)
    assert (run.renewals, run.failures) == (1, 1)
    assert run.log["failures"] == [
        {
            "step": "renewals",
            "item": f"Bestellung {confirmed.pk}",
            "error": "Rechnungsentwurf fehlgeschlagen",
        }
    ]
    assert years(confirmed)[-1][0] == 1  # rolled back entirely

    monkeypatch.setattr(invoice_drafts, "invoice_create_draft", lambda *, licence_year, on: None)
    monkeypatch.setattr(invoice_drafts, "invoices_create_drafts", lambda *, years, terms, on: None)
    run = nightly(D(2027, 8, 2), django_capture_on_commit_callbacks)
    assert (run.renewals, run.failures) == (1, 0)
    assert years(confirmed)[-1][0] == 2


def test_crash_while_sending_notices_then_rerun_sends_each_once(
    confirmed, monkeypatch, django_capture_on_commit_callbacks
):
    gs = confirmed.licences.first().school.school_type
    others = [submitted_order(product=confirmed.product, school_type=gs) for _i in range(3)]
    for order in others:
        order_confirm(order=order, start_date=D(2026, 8, 1), by=None)
    monkeypatch.setattr(renewals, "BATCH_SIZE", 2)
    real_batch = renewals._renewal_notice_batch
    calls = []

    def crash_in_second_batch(*args):
        calls.append(1)
        if len(calls) == 2:
            raise Crash
        return real_batch(*args)

    monkeypatch.setattr(renewals, "_renewal_notice_batch", crash_in_second_batch)
    with pytest.raises(Crash):
        nightly(D(2027, 6, 19), django_capture_on_commit_callbacks)
    assert LicenceYear.objects.exclude(renewal_notice_sent_at=None).count() == 2
    assert len(lifecycle_mail()) == 2

    monkeypatch.setattr(renewals, "_renewal_notice_batch", real_batch)
    run = nightly(D(2027, 6, 19), django_capture_on_commit_callbacks)
    assert run.notices == 2
    assert len(lifecycle_mail()) == 4
    assert len({m.subject for m in lifecycle_mail()}) == 4


def test_a_failing_step_does_not_stop_the_others(
    confirmed, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(*, on):
        raise RuntimeError("Rechnungsserver nicht erreichbar")

    monkeypatch.setattr(issuing, "invoices_issue_due", broken)
    monkeypatch.setattr(
        reminders,
        "invoices_mark_overdue",
        lambda *, on: StepResult(done=["RE-1", "RE-2", "RE-3"]),
    )
    run = nightly(D(2027, 8, 1), django_capture_on_commit_callbacks)
    assert (run.renewals, run.invoices_issued, run.overdue, run.failures) == (1, 0, 3, 1)
    assert run.log["failures"][0]["step"] == "invoices_issued"
    assert run.finished_at is not None


def test_command_prints_the_summary_line(confirmed, capsys):
    call_command("run_nightly", "--date", "2027-08-01", "--allow-future")
    assert capsys.readouterr().out.strip() == (
        "Nachtlauf 01.08.2027: 0 Verlängerungshinweise, 1 Verlängerungen, 0 Abläufe, "
        "1 Rechnungen gestellt, 0 überfällig, 0 Fehler"
    )


def test_command_refuses_a_bad_date_in_german(db):
    with pytest.raises(CommandError) as excinfo:
        call_command("run_nightly", "--date", "1.8.2027")
    assert str(excinfo.value) == (
        "Ungültiges Datum „1.8.2027“: Bitte im Format JJJJ-MM-TT angeben, z. B. 2026-08-01."
    )


def test_beat_runs_the_nightly_task_at_half_past_two_berlin_time():
    from config.celery_app import app
    from portal.tasks import run_nightly_task

    entry = app.conf.beat_schedule["nightly-lifecycle-and-invoicing"]
    assert entry["task"] == run_nightly_task.name
    assert entry["schedule"].hour == {2}
    assert entry["schedule"].minute == {30}
    assert app.conf.timezone == "Europe/Berlin"


def test_draft_invoices_are_due_from_the_day_acted_on_not_the_wall_clock(
    confirmed, django_capture_on_commit_callbacks
):
    from invoicing.models import Invoice

    # Confirmed on 1 Jul 2026 (set_today) for a start on 1 Aug 2026.
    first = Invoice.objects.get(licence_year__order=confirmed, licence_year__number=1)
    assert first.issue_due_on == D(2026, 8, 8)

    # A late nightly run on 20 Aug 2027 renews the year that began on 1 Aug 2027:
    # its invoice was due a week after the renewal, so the same run issues it.
    nightly(D(2027, 8, 20), django_capture_on_commit_callbacks)
    second = Invoice.objects.get(licence_year__order=confirmed, licence_year__number=2)
    assert second.issue_due_on == D(2027, 8, 8)
    assert second.issue_date == D(2027, 8, 20)
