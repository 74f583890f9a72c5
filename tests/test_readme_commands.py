"""The README's first command sets up and starts the portal with demo data.

(The second one is this test suite.) This runs the real script against a fresh
SQLite file and asks the started server for its landing page.
"""

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_readme_starts_with_the_two_commands():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    commands = [line.split("#")[0].strip() for line in lines[:6] if line.startswith("./")]

    assert commands == ["./scripts/demo.sh", "./scripts/test.sh"]
    for command in commands:
        assert os.access(ROOT / command, os.X_OK)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_demo(env: dict, log: Path, *args: str) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen(
            [str(ROOT / "scripts" / "demo.sh"), *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_for_portal(process: subprocess.Popen, port: int, log: Path) -> str:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                return response.read().decode()
        except OSError:
            assert process.poll() is None, log.read_text()
            time.sleep(0.5)
    raise AssertionError(log.read_text())


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=20)


def mails_in(folder: Path) -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted(folder.glob("*.log"))}


def message_count(folder: Path) -> int:
    """E-mails in the folder: one file may hold several (the file backend names a
    file by the second and may append to it), each with one Message-ID."""
    return sum(
        text.count("\nMessage-ID: ") + text.startswith("Message-ID: ")
        for text in mails_in(folder).values()
    )


def request_password_reset(port: int, email: str) -> int:
    """The running server sends a mail: „Passwort vergessen“ for ``email``."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    url = f"http://127.0.0.1:{port}/passwort-vergessen/"
    form = opener.open(url, timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "email": email}).encode()
    request = urllib.request.Request(url, data=data, headers={"Referer": url})
    return opener.open(request, timeout=30).status


@pytest.mark.slow
def test_demo_command_serves_the_portal_with_demo_logins(tmp_path):
    """The demo starts on PORT, its e-mails (also those of the running server) go
    to files with links to that port, and ``--reset`` starts from fresh data
    without installing the packages again."""
    port = free_port()
    mail_dir = tmp_path / "mails"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "PORT": str(port),
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "REDIS_URL": "",
        "PRIVATE_STORAGE_ROOT": str(tmp_path / "private"),
        "EMAIL_FILE_PATH": str(mail_dir),
    }
    env.pop("PORTAL_URL", None)
    env.pop("EMAIL_BACKEND", None)
    log = tmp_path / "demo.log"
    process = start_demo(env, log)
    try:
        body = wait_for_portal(process, port, log)
        assert "Lizenzportal" in body, log.read_text()
        printed = log.read_text()
        assert f"http://127.0.0.1:{port}/" in printed
        assert "Lizenz-Demo-2026" in printed
        assert (
            f"E-Mails der Demo (auch die des laufenden Servers) liegen als Dateien in {mail_dir}/"
            in printed
        )

        seeded = mails_in(mail_dir)
        seeded_count = message_count(mail_dir)
        assert seeded_count, "the demo data's mails are files"
        text = "".join(seeded.values())
        assert f"http://127.0.0.1:{port}/" in text
        assert "127.0.0.1:8000" not in text

        assert request_password_reset(port, "koeln@traeger.example") == 200
        assert message_count(mail_dir) == seeded_count + 1
        new = {name: mail for name, mail in mails_in(mail_dir).items() if name not in seeded}
        assert len(new) == 1 and "koeln@traeger.example" in next(iter(new.values()))
        assert "Subject:" not in log.read_text()  # no mail on the console
    finally:
        stop(process)

    # Second start with --reset: fresh data, the server's mail is gone, no installation.
    second_log = tmp_path / "demo-reset.log"
    process = start_demo(env, second_log, "--reset")
    try:
        wait_for_portal(process, port, second_log)
        printed = second_log.read_text()
        assert "keine Installation" in printed
        assert "Demodaten zurückgesetzt" in printed
        assert message_count(mail_dir) == seeded_count
        assert not set(new) & set(mails_in(mail_dir))
    finally:
        stop(process)


def test_readme_says_where_the_demo_mails_go_and_how_to_reset():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    demo = (ROOT / "scripts" / "demo.sh").read_text(encoding="utf-8")
    assert "var/mails" in readme and "var/mails" in demo
    assert "./scripts/demo.sh --reset" in readme
    assert "--reset)" in demo
