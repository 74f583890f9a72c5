"""``manage.py import_schools --format nrw FILE``: load or update the official
school directory (R11)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from schools.directory_import import DirectoryFormatError, import_nrw_directory


class Command(BaseCommand):
    help = _("Lädt das amtliche Schulverzeichnis eines Landes (wiederholbar).")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("CSV-Datei des Schulverzeichnisses"))
        parser.add_argument(
            "--format", choices=["nrw"], required=True, help=_("Format der Datei (nrw)")
        )
        parser.add_argument(
            "--keep-missing",
            action="store_true",
            help=_("Schulen, die in der Datei fehlen, nicht deaktivieren (Teil-Import)."),
        )

    def handle(self, *args, file: str, keep_missing: bool, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("Die Datei %(file)s gibt es nicht.") % {"file": file})
        try:
            report = import_nrw_directory(
                data=path.read_bytes(), deactivate_missing=not keep_missing
            )
        except DirectoryFormatError as exc:
            raise CommandError(str(exc)) from exc
        for error in report.errors:
            self.stderr.write(error)
        self.stdout.write(report.summary())
