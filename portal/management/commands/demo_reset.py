"""``manage.py demo_reset``: back to fresh demo data (``./scripts/demo.sh --reset``
runs it before ``migrate`` and ``seed_demo``). Deletes the demo's SQLite database,
the e-mail files of the file backend and the demo's private files (uploaded lists,
invoice documents) when they are in the project's ``var/`` folder; refuses any
other database, so that it can never empty a PostgreSQL database that was meant
for real work.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"


def demo_reset(
    *, database: dict, mail_dir: Path | None, files_dir: Path | None = None
) -> list[Path]:
    """Delete the SQLite file of ``database`` (with its journal files), the
    ``*.log`` mails in ``mail_dir`` and every file below ``files_dir``; returns
    what was deleted. Raises ``CommandError`` (deleting nothing) for a database
    that is not an SQLite file."""
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
    if files_dir is not None and files_dir.is_dir():
        for path in sorted(files_dir.rglob("*"), reverse=True):  # files before their folders
            if path.is_dir():
                path.rmdir()
            else:
                path.unlink()
                deleted.append(path)
    return deleted


def demo_files_dir() -> Path | None:
    """The private storage when it is the demo's (inside the project's ``var/``);
    a storage configured elsewhere is never touched."""
    root = Path(settings.PRIVATE_STORAGE_ROOT).resolve()
    return root if root.is_relative_to((Path(settings.BASE_DIR) / "var").resolve()) else None


class Command(BaseCommand):
    help = (
        "Löscht die SQLite-Datenbank der Demo, ihre E-Mail-Dateien und abgelegten Dateien "
        "(für frische Demodaten)."
    )

    def handle(self, *args, **options):
        mail_dir = (
            Path(settings.EMAIL_FILE_PATH) if settings.EMAIL_BACKEND == FILE_BACKEND else None
        )
        files_dir = demo_files_dir()
        deleted = demo_reset(
            database=settings.DATABASES["default"], mail_dir=mail_dir, files_dir=files_dir
        )
        mails = sum(1 for path in deleted if mail_dir and path.parent == mail_dir)
        files = sum(1 for path in deleted if files_dir and path.is_relative_to(files_dir))
        self.stdout.write(
            f"Demodaten zurückgesetzt: {len(deleted) - mails - files} Datenbankdatei(en), "
            f"{mails} E-Mail-Datei(en) und {files} abgelegte Datei(en) gelöscht."
        )
