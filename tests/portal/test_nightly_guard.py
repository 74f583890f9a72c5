"""The nightly command tells cron about failures, refuses far-future dates, and only
one run works at a time (PostgreSQL and SQLite alike)."""

import datetime
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from config import clock
from config.steps import StepResult
from licensing import renewals
from portal import nightly as nightly_module
from portal.models import NightlyRun
from portal.nightly import NightlyRunBusy, run_nightly

D = datetime.date
TODAY = D(2027, 3, 10)


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    return TODAY


def test_command_exits_with_1_and_a_german_line_when_the_run_recorded_failures(
    db, today, monkeypatch, capsys
):
    monkeypatch.setattr(
        renewals,
        "renewal_notices_send",
        lambda *, on: StepResult(failed=[{"step": "notices", "item": "1", "error": "x"}]),
    )

    with pytest.raises(SystemExit) as exit_info:
        call_command("run_nightly")

    assert exit_info.value.code == 1
    out, err = capsys.readouterr()
    assert out.strip().endswith("1 Fehler")
    assert (
        "Der Nachtlauf für den 10.03.2027 hat 1 Fehler aufgezeichnet. Einzelheiten stehen in "
        "der Verwaltung unter „Nächtliche Läufe“ (Protokoll des Laufs) und im Log."
    ) in err


def test_command_exits_normally_without_failures(db, today, capsys):
    call_command("run_nightly")

    assert capsys.readouterr().out.strip().endswith("0 Fehler")
    assert NightlyRun.objects.get().on == TODAY


def test_tomorrow_is_allowed_the_day_after_is_refused(db, today):
    call_command("run_nightly", "--date", "2027-03-11")
    assert NightlyRun.objects.get().on == D(2027, 3, 11)

    with pytest.raises(CommandError) as refused:
        call_command("run_nightly", "--date", "2027-03-12")

    assert str(refused.value) == (
        "Der Stichtag 12.03.2027 liegt mehr als einen Tag nach heute (10.03.2027): Der Lauf "
        "würde Verlängerungen und Rechnungen im Voraus erzeugen. Nur wenn das gewollt ist, "
        "mit --allow-future wiederholen."
    )
    assert NightlyRun.objects.count() == 1


def test_allow_future_runs_a_far_date(db, today):
    call_command("run_nightly", "--date", "2035-01-01", "--allow-future")

    assert NightlyRun.objects.get().on == D(2035, 1, 1)


def test_a_past_date_needs_no_flag(db, today):
    call_command("run_nightly", "--date", "2026-06-19")

    assert NightlyRun.objects.get().on == D(2026, 6, 19)


# --- one run at a time --------------------------------------------------------------------


@pytest.fixture
def blocking_first_step(monkeypatch):
    """The first step of the next run waits until released."""
    started, release = threading.Event(), threading.Event()

    def step(*, on):
        started.set()
        assert release.wait(30)
        return StepResult()

    monkeypatch.setattr(renewals, "renewal_notices_send", step)
    return started, release


def run_in_thread(on, results):
    def target():
        try:
            results.append(run_nightly(on=on))
        except Exception as exc:  # noqa: BLE001 - handed to the test
            results.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_the_same_time_the_second_exits_with_a_clear_message(
    blocking_first_step, today, capsys
):
    started, release = blocking_first_step
    first = []
    thread = run_in_thread(D(2027, 3, 10), first)
    assert started.wait(30)

    with pytest.raises(NightlyRunBusy) as busy:
        run_nightly(on=D(2027, 3, 10))
    assert "Ein anderer Nachtlauf läuft bereits (seit " in str(busy.value)
    assert "Dieser Lauf wurde nicht gestartet" in str(busy.value)
    with pytest.raises(SystemExit) as exit_info:
        call_command("run_nightly", "--date", "2027-03-10")
    assert exit_info.value.code == 1
    assert "Ein anderer Nachtlauf läuft bereits" in capsys.readouterr().err

    # A run that may wait (the Celery task) starts once the first is done.
    waiting = []
    waiter = threading.Thread(
        target=lambda: (
            waiting.append(run_nightly(on=D(2027, 3, 12), wait_seconds=30)),
            connection.close(),
        )
    )
    waiter.start()
    release.set()
    thread.join(30)
    waiter.join(30)
    assert isinstance(first[0], NightlyRun)
    assert [run.on for run in waiting] == [D(2027, 3, 12)]
    assert NightlyRun.objects.count() == 2
    # Once the first is done the next run works.
    assert run_nightly(on=D(2027, 3, 11)).failures == 0


@pytest.mark.django_db(transaction=True)
def test_a_crashed_runs_lock_is_taken_over_after_the_stale_limit(monkeypatch):
    from django.utils import timezone

    from portal.models import NightlyLock

    NightlyLock.objects.create(
        name="nightly",
        holder="abgestuerzt",
        acquired_at=timezone.now()
        - nightly_module.LOCK_STALE_AFTER
        + datetime.timedelta(minutes=1),
    )
    with pytest.raises(NightlyRunBusy):
        run_nightly(on=D(2027, 3, 10))

    NightlyLock.objects.update(
        acquired_at=timezone.now() - nightly_module.LOCK_STALE_AFTER - datetime.timedelta(minutes=1)
    )
    assert run_nightly(on=D(2027, 3, 10)).finished_at is not None
    assert NightlyLock.objects.get().holder == ""


@pytest.mark.django_db(transaction=True)
def test_a_failing_run_gives_the_lock_back(monkeypatch):
    def crash(**kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(NightlyRun.objects, "create", crash)
    with pytest.raises(KeyboardInterrupt):
        run_nightly(on=D(2027, 3, 10))
    monkeypatch.undo()

    assert run_nightly(on=D(2027, 3, 10)).finished_at is not None
