"""``python manage.py run_nightly [--date YYYY-MM-DD]``: the nightly work without
Celery (for cron and tests). Prints one summary line."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from config import clock
from portal.nightly import run_nightly


class Command(BaseCommand):
    help = "Verlängerungshinweise, Verlängerungen, Abläufe und Rechnungsläufe bis zu einem Tag."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--date", help="Stichtag im Format JJJJ-MM-TT (Standard: heute, Europe/Berlin)."
        )

    def handle(self, *args, **options) -> None:
        raw = options.get("date")
        if raw:
            try:
                on = datetime.date.fromisoformat(raw)
            except ValueError:
                raise CommandError(
                    f"Ungültiges Datum „{raw}“: Bitte im Format JJJJ-MM-TT angeben, "
                    "z. B. 2026-08-01."
                ) from None
        else:
            on = clock.today()
        self.stdout.write(run_nightly(on=on).summary())
