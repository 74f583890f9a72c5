"""Check a registration list exactly as the upload page does; with ``--submit`` a
valid list becomes a submitted order. Exit status 1 on any error (nothing
written), 0 when the list is valid."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from licensing.anmeldeliste import ListFileError
from licensing.management.commands._lookup import lookup_authority, lookup_product
from licensing.services import (
    RegistrationInvalid,
    order_submit,
    registration_check,
    registration_upload_store,
)


class Command(BaseCommand):
    help = "Prüft eine Anmeldeliste wie beim Hochladen; mit --submit wird daraus eine Bestellung."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Anmeldeliste (.xlsx, .xls, .ods, .csv)")
        parser.add_argument("--authority", required=True, help="Kundennummer des Schulträgers")
        parser.add_argument("--product", required=True, help="Produktcode")
        parser.add_argument(
            "--submit", action="store_true", help="gültige Liste verbindlich bestellen"
        )

    def handle(self, *args, **options):
        authority = lookup_authority(options["authority"])
        product = lookup_product(options["product"])
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(
                f"Die Datei {path} kann nicht gelesen werden: {exc.strerror}."
            ) from exc
        try:
            result = registration_check(
                data=data, filename=path.name, authority=authority, product=product
            )
        except ListFileError as exc:
            self.stdout.write(exc.message)
            sys.exit(1)
        for line in result.messages:
            self.stdout.write(line)
        self.stdout.write("Mehr als die Hälfte je Schulform (angemeldet / gesamt / nötig):")
        for figure in result.figures:
            state = "erfüllt" if figure.passed else "nicht erfüllt"
            if not figure.registered:
                state = "nicht bestellt"
            self.stdout.write(
                f"  {figure.name}: {figure.registered} / {figure.total} / {figure.needed} – {state}"
            )
        if not result.is_valid:
            self.stdout.write(f"{len(result.messages)} Fehler; es wurde nichts gespeichert.")
            sys.exit(1)
        self.stdout.write(
            f"Die Liste ist gültig: {len(result.entries)} Schulen, "
            f"Jahrespreis {result.total_price} € netto."
        )
        if options["submit"]:
            upload = registration_upload_store(
                authority=authority, product=product, data=data, filename=path.name, result=result
            )
            try:
                order = order_submit(upload=upload)
            except RegistrationInvalid as exc:
                for line in exc.messages:
                    self.stdout.write(line)
                sys.exit(1)
            self.stdout.write(f"Bestellung Nr. {order.pk} angelegt (Status: eingegangen).")
