"""The demo's setup: a second start installs nothing when nothing changed
(scripts/setup.sh keeps a stamp of pyproject.toml, the system package list and
the Python), and ``demo_reset`` (``./scripts/demo.sh --reset``) deletes only an
SQLite demo database and the demo's e-mail files. The whole demo start is
tests/test_readme_commands.py."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management.base import CommandError

from portal.management.commands.demo_reset import demo_reset

ROOT = Path(__file__).resolve().parent.parent

STUB_PYTHON = """#!/bin/sh
# Stands in for .venv/bin/python: answers the version question, records pip calls.
if [ "$1" = "-c" ]; then echo "3.11.9 (stub)"; exit 0; fi
echo "$*" >> "$(dirname "$0")/../../pip.log"
[ -f "$(dirname "$0")/../../pip-fails" ] && exit 1
exit 0
"""
STUB_DPKG_QUERY = "#!/bin/sh\nprintf 'install ok installed'\n"
STUB_APT_GET = "#!/bin/sh\necho 'apt-get must not run' >&2\nexit 1\n"


def _executable(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)


@pytest.fixture
def project(tmp_path):
    """A copy of setup.sh and pyproject.toml with a stub venv and stub system
    tools, so that the real .venv and the system stay untouched."""
    root = tmp_path / "project"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "setup.sh", root / "scripts" / "setup.sh")
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    _executable(root / ".venv" / "bin" / "python", STUB_PYTHON)
    _executable(tmp_path / "bin" / "dpkg-query", STUB_DPKG_QUERY)
    _executable(tmp_path / "bin" / "apt-get", STUB_APT_GET)
    return root


def run_setup(project: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{project.parent / 'bin'}:{os.environ['PATH']}"}
    env.pop("CI", None)
    result = subprocess.run(
        ["bash", str(project / "scripts" / "setup.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result


def pip_calls(project: Path) -> list[str]:
    log = project / "pip.log"
    return log.read_text().splitlines() if log.exists() else []


def test_second_setup_installs_nothing_when_nothing_changed(project):
    first = run_setup(project)
    assert first.returncode == 0, first.stderr
    assert pip_calls(project) == [
        "-m pip install -q --upgrade pip",
        "-m pip install -q -e .[dev]",
    ]

    second = run_setup(project)

    assert second.returncode == 0, second.stderr
    assert "keine Installation" in second.stdout
    assert len(pip_calls(project)) == 2


def test_setup_installs_again_after_pyproject_changed(project):
    run_setup(project)
    with (project / "pyproject.toml").open("a") as handle:
        handle.write("\n# a new dependency\n")

    run_setup(project)

    assert len(pip_calls(project)) == 4


def test_a_failed_installation_is_retried_on_the_next_start(project):
    (project / "pip-fails").touch()
    assert run_setup(project).returncode != 0
    assert not (project / ".venv" / ".setup-stamp").exists()
    (project / "pip-fails").unlink()

    run_setup(project)
    run_setup(project)

    # failed try (1 call, set -e stops), the retry (2), then nothing
    assert len(pip_calls(project)) == 3


def test_without_a_venv_setup_always_installs(project):
    """A clean clone (CI) has no stamp: the packages are installed."""
    run_setup(project)
    (project / ".venv" / ".setup-stamp").unlink()

    run_setup(project)

    assert len(pip_calls(project)) == 4


SQLITE = "django.db.backends.sqlite3"


def test_demo_reset_deletes_the_sqlite_database_and_the_mails(tmp_path):
    database = tmp_path / "db.sqlite3"
    database.write_bytes(b"SQLite format 3\x00")
    (tmp_path / "db.sqlite3-journal").write_bytes(b"")
    mails = tmp_path / "mails"
    mails.mkdir()
    (mails / "20261206-101010-1.log").write_text("Subject: Freischaltung")
    (mails / "notiz.txt").write_text("keine Mail")

    deleted = demo_reset(database={"ENGINE": SQLITE, "NAME": str(database)}, mail_dir=mails)

    assert not database.exists()
    assert not (tmp_path / "db.sqlite3-journal").exists()
    assert [path.name for path in mails.iterdir()] == ["notiz.txt"]
    assert len(deleted) == 3


@pytest.mark.parametrize(
    "database",
    [
        {"ENGINE": "django.db.backends.postgresql", "NAME": "lizenzportal"},
        {"ENGINE": SQLITE, "NAME": ":memory:"},
    ],
)
def test_demo_reset_refuses_any_other_database(database, tmp_path):
    mails = tmp_path / "mails"
    mails.mkdir()
    (mails / "1.log").write_text("x")

    with pytest.raises(CommandError, match="nur mit der SQLite-Datenbank der Demo"):
        demo_reset(database=database, mail_dir=mails)

    assert (mails / "1.log").exists()


def test_demo_reset_deletes_the_demos_stored_files(tmp_path):
    database = tmp_path / "db.sqlite3"
    database.write_bytes(b"SQLite format 3\x00")
    private = tmp_path / "private"
    (private / "invoices" / "2026").mkdir(parents=True)
    (private / "invoices" / "2026" / "RE-2026-000001.pdf").write_bytes(b"%PDF")
    (private / "uploads").mkdir()
    (private / "uploads" / "liste.xlsx").write_bytes(b"PK")

    deleted = demo_reset(
        database={"ENGINE": SQLITE, "NAME": str(database)}, mail_dir=None, files_dir=private
    )

    assert private.is_dir() and list(private.iterdir()) == []
    assert len(deleted) == 3


def test_demo_reset_keeps_stored_files_outside_the_project(settings, tmp_path):
    from portal.management.commands.demo_reset import demo_files_dir

    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    assert demo_files_dir() is None
    settings.PRIVATE_STORAGE_ROOT = settings.BASE_DIR / "var" / "private"
    assert demo_files_dir() == (settings.BASE_DIR / "var" / "private").resolve()


def test_demo_reset_refusing_a_database_keeps_the_stored_files(tmp_path):
    private = tmp_path / "private"
    private.mkdir()
    (private / "liste.xlsx").write_bytes(b"PK")

    with pytest.raises(CommandError):
        demo_reset(
            database={"ENGINE": "django.db.backends.postgresql", "NAME": "lizenzportal"},
            mail_dir=None,
            files_dir=private,
        )

    assert (private / "liste.xlsx").exists()
