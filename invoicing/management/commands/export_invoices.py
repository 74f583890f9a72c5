"""python manage.py export_invoices --year 2026 --out /pfad/zum/archiv"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from invoicing.archive import ArchiveIntegrityError, archive_export


class Command(BaseCommand):
    help = (
        "Exportiert alle gestellten Belege eines Kalenderjahres (Rechnungen, Stornorechnungen, "
        "Erstattungen) als PDF und XML, unverändert, mit index.csv und SHA-256 (GoBD)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="Kalenderjahr, z. B. 2026")
        parser.add_argument("--out", type=Path, required=True, help="Zielverzeichnis")

    def handle(self, *args, year: int, out: Path, **options):
        if out.exists() and any(out.iterdir()):
            raise CommandError(
                f"Das Zielverzeichnis {out} ist nicht leer. Bitte ein leeres wählen."
            )
        try:
            result = archive_export(year=year, out=out)
        except ArchiveIntegrityError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.documents} Belege des Jahres {year} exportiert; "
                f"Index: {result.index_path}"
            )
        )
