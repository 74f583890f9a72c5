"""``python manage.py run_nightly [--date YYYY-MM-DD] [--allow-future]``: the nightly
work without Celery (for cron and tests). Prints one summary line; exits with 1 when
the run recorded failures or another run is working, so cron reports it."""

import datetime
import sys

from django.core.management.base import BaseCommand, CommandError

from config import clock
from portal.nightly import NightlyRunBusy, run_nightly


class Command(BaseCommand):
    help = "Verlängerungshinweise, Verlängerungen, Abläufe und Rechnungsläufe bis zu einem Tag."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--date", help="Stichtag im Format JJJJ-MM-TT (Standard: heute, Europe/Berlin)."
        )
        parser.add_argument(
            "--allow-future",
            action="store_true",
            help="Einen Stichtag mehr als einen Tag nach heute erlauben (z. B. für Tests).",
        )

    def handle(self, *args, **options) -> None:
        on = self._day(options.get("date"), allow_future=options["allow_future"])
        try:
            run = run_nightly(on=on)
        except NightlyRunBusy as busy:
            self.stderr.write(str(busy))
            sys.exit(1)
        self.stdout.write(run.summary())
        if run.failures:
            self.stderr.write(
                f"Der Nachtlauf für den {on:%d.%m.%Y} hat {run.failures} Fehler "
                "aufgezeichnet. Einzelheiten stehen in der Verwaltung unter "
                "„Nächtliche Läufe“ (Protokoll des Laufs) und im Log."
            )
            sys.exit(1)

    @staticmethod
    def _day(raw: str | None, *, allow_future: bool) -> datetime.date:
        today = clock.today()
        if not raw:
            return today
        try:
            on = datetime.date.fromisoformat(raw)
        except ValueError:
            raise CommandError(
                f"Ungültiges Datum „{raw}“: Bitte im Format JJJJ-MM-TT angeben, z. B. 2026-08-01."
            ) from None
        if on > today + datetime.timedelta(days=1) and not allow_future:
            raise CommandError(
                f"Der Stichtag {on:%d.%m.%Y} liegt mehr als einen Tag nach heute "
                f"({today:%d.%m.%Y}): Der Lauf würde Verlängerungen und Rechnungen im Voraus "
                "erzeugen. Nur wenn das gewollt ist, mit --allow-future wiederholen."
            )
        return on
