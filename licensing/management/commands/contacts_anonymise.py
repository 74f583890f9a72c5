"""Anonymise contact persons of orders that ended before the retention period.

python manage.py contacts_anonymise [--on 2027-08-01]
"""

import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from licensing.privacy import contacts_anonymise


class Command(BaseCommand):
    help = (
        "Anonymisiert Ansprechpartner von Bestellungen, die länger als "
        "CONTACT_RETENTION_DAYS beendet sind."
    )

    def add_arguments(self, parser):
        parser.add_argument("--on", type=datetime.date.fromisoformat, default=None)

    def handle(self, *args, on, **options):
        count = contacts_anonymise(on=on or timezone.localdate())
        self.stdout.write(f"{count} Ansprechpartner anonymisiert.")
