"""``manage.py demo_reset``: back to fresh demo data (``./scripts/demo.sh --reset``
runs it before ``migrate`` and ``seed_demo``). Deletes the demo's SQLite database
and the e-mail files of the file backend; refuses any other database, so that it
can never empty a PostgreSQL database that was meant for real work.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"


def demo_reset(*, database: dict, mail_dir: Path | None) -> list[Path]:
    """Delete the SQLite file of ``database`` (with its journal files) and the
    ``*.log`` mails in ``mail_dir``; returns what was deleted. Raises
    ``CommandError`` for a database that is not an SQLite file."""
    name = str(database.get("NAME") or "")
    if not database.get("ENGINE", "").endswith("sqlite3") or name in ("", ":memory:"):
        raise CommandError(
            "Zurücksetzen geht nur mit der SQLite-Datenbank der Demo (DATABASE_URL nicht "
            "gesetzt oder sqlite:///…); diese Datenbank bleibt unverändert."
        )
    deleted = []
    for path in (Path(name), *(Path(name + suffix) for suffix in ("-journal", "-wal", "-shm"))):
        if path.is_file():
            path.unlink()
            deleted.append(path)
    if mail_dir is not None and mail_dir.is_dir():
        for mail in sorted(mail_dir.glob("*.log")):
            mail.unlink()
            deleted.append(mail)
    return deleted


class Command(BaseCommand):
    help = "Löscht die SQLite-Datenbank der Demo und ihre E-Mail-Dateien (für frische Demodaten)."

    def handle(self, *args, **options):
        file_backend = settings.EMAIL_BACKEND == FILE_BACKEND
        deleted = demo_reset(
            database=settings.DATABASES["default"],
            mail_dir=Path(settings.EMAIL_FILE_PATH) if file_backend else None,
        )
        mails = sum(1 for path in deleted if path.suffix == ".log")
        self.stdout.write(
            f"Demodaten zurückgesetzt: {len(deleted) - mails} Datenbankdatei(en) und "
            f"{mails} E-Mail-Datei(en) gelöscht."
        )
