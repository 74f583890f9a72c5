"""Write the registration list template of an authority and product, as the
order page offers it: ``export_anmeldeliste --authority 10182 --product X --out F.xlsx``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from licensing.management.commands._lookup import lookup_authority, lookup_product
from licensing.registration import registration_template
from licensing.selectors import prices_on


class Command(BaseCommand):
    help = "Schreibt die Anmeldeliste (Excel-Vorlage) eines Schulträgers für ein Produkt."

    def add_arguments(self, parser):
        parser.add_argument("--authority", required=True, help="Kundennummer des Schulträgers")
        parser.add_argument("--product", required=True, help="Produktcode")
        parser.add_argument("--out", required=True, help="Zieldatei (.xlsx)")

    def handle(self, *args, **options):
        authority = lookup_authority(options["authority"])
        product = lookup_product(options["product"])
        out = Path(options["out"])
        content = registration_template(authority=authority, product=product)
        try:
            out.write_bytes(content)
        except OSError as exc:
            raise CommandError(
                f"Die Datei {out} kann nicht geschrieben werden: {exc.strerror}."
            ) from exc
        priced = prices_on(product=product, on=timezone.localdate())
        schools = authority.schools.filter(is_active=True)
        count = schools.filter(school_type_id__in=priced).count()
        apart = schools.count() - count
        note = f"; {apart} nicht bestellbar, im Blatt „Nicht bestellbar“" if apart else ""
        self.stdout.write(
            f"Anmeldeliste für {authority.name} ({count} Schulen{note}) geschrieben: {out}"
        )
