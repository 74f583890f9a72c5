"""The portal as an operator runs it, for the smoke test and the load benchmark.

- ``ProcessGroup`` starts gunicorn, a Celery worker and beat (or any command) each in
  its own process group with its output in a log file, and always stops them all.
- ``production_env`` is the environment of ``config.settings.production`` for
  127.0.0.1: nothing in the settings is switched off for the test.
- ``PortalClient`` is a browser stand-in over HTTP (urllib, a cookie jar, CSRF tokens
  from the forms). Production only talks HTTPS and sets Secure cookies; the client
  plays the TLS-terminating proxy in front of gunicorn: it sends
  ``X-Forwarded-Proto: https`` (trusted from 127.0.0.1, as behind the real proxy) and
  keeps the Secure cookies for its own plain connection to 127.0.0.1.

Every wait here is bounded.
"""

from __future__ import annotations

import base64
import contextlib
import http.cookiejar
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check, *, timeout: float, interval: float = 0.3, what: str = "condition"):
    """Call ``check`` until it returns something truthy; AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
        except (OSError, AssertionError) as exc:
            last_error = exc
        else:
            if result:
                return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} ({last_error!r})")


# --- Databases -------------------------------------------------------------------------


def database_url_named(url: str, name: str) -> str:
    """The same PostgreSQL server and credentials with another database name."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def database_name(url: str) -> str:
    return urllib.parse.urlsplit(url).path.lstrip("/")


def recreate_database(url: str) -> None:
    """Drop (ending its connections) and create the database of ``url``."""
    import psycopg
    from psycopg import sql

    name = database_name(url)
    with psycopg.connect(
        database_url_named(url, "postgres"), autocommit=True, connect_timeout=10
    ) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        database_url_named(url, "postgres"), autocommit=True, connect_timeout=10
    ) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(database_name(url))
            )
        )


# --- Environment and processes -----------------------------------------------------------

# Variables of the calling shell that must not leak into the portal's processes.
_FOREIGN = (
    "DJANGO_",
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_",
    "SELLER_",
    "PORTAL_URL",
    "TRUSTED_PROXY_COUNT",
)


# Values the deploy check (config/checks.py) requires instead of the demo values.
PRODUCTION_VALUES = {
    "SELLER_VAT_ID": "DE999999999",
    "SELLER_TAX_NUMBER": "14/201/99999",
    "SELLER_REGISTER": "Amtsgericht Braunschweig HRB 99999",
    "SELLER_MANAGING_DIRECTORS": "Erika Beispiel",
    "SELLER_EMAIL": "rechnung@verlag.example",
    "SELLER_PHONE": "0531 999 0",
    "SELLER_BANK_NAME": "Beispielbank",
    "SELLER_IBAN": "DE89370400440532013000",
    "SELLER_BIC": "COBADEFFXXX",
    "PORTAL_URL": "https://lizenzen.example.org",
    "TRUSTED_PROXY_COUNT": "1",
    "PUBLISHER_CONTACTS": "Franziska Dorbert|0531 708 9250|f.dorbert@westermanngruppe.de;"
    "Daniel Rieger|+49 531 708-9251|d.rieger@westermanngruppe.de",
}


def production_env(*, port: int, database_url: str, redis_url: str, var_dir: Path) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(_FOREIGN)}
    env.update(
        PRODUCTION_VALUES,
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        CSRF_TRUSTED_ORIGINS=f"https://127.0.0.1:{port}",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        STATIC_ROOT=str(var_dir / "static"),
        PRIVATE_STORAGE_ROOT=str(var_dir / "private"),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(*args: str, env: dict, timeout: float = 300) -> str:
    """``python manage.py ...`` with ``env``; returns stdout, fails with the output."""
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise AssertionError(
            f"manage.py {' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return result.stdout


class ProcessGroup:
    """Long-running processes, each in its own session (process group), output in
    ``log_dir/<name>.log``. ``stop()`` ends every group: SIGTERM, then SIGKILL."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.processes: dict[str, subprocess.Popen] = {}

    def __enter__(self) -> ProcessGroup:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self, name: str, argv: list[str], *, env: dict) -> subprocess.Popen:
        with (self.log_dir / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes[name] = process
        return process

    def assert_running(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise AssertionError(
                    f"{name} exited with {process.returncode}:\n{self.log(name)[-4000:]}"
                )

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def logs(self, tail: int = 6000) -> str:
        return "\n".join(
            f"----- {name}.log (last {tail} characters) -----\n{self.log(name)[-tail:]}"
            for name in self.processes
        )

    def stop(self, timeout: float = 20) -> None:
        for process in self.processes.values():
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
        for process in self.processes.values():
            # Children (gunicorn or celery workers) may outlive their master.
            _signal_group(process, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


def gunicorn_argv() -> list[str]:
    return [PYTHON, "-m", "gunicorn", "-c", "config/gunicorn.conf.py"]


def celery_argv(*args: str) -> list[str]:
    return [PYTHON, "-m", "celery", "-A", "config", *args]


# --- HTTP ----------------------------------------------------------------------------------


class _BehindTLSProxyPolicy(http.cookiejar.DefaultCookiePolicy):
    """The client is the TLS proxy: Secure cookies go on its connection to gunicorn."""

    def return_ok_secure(self, cookie, request) -> bool:
        return True


@dataclass
class Response:
    status: int
    url: str
    headers: dict
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.body)

    @property
    def path(self) -> str:
        return urllib.parse.urlsplit(self.url).path


class PortalClient:
    def __init__(self, base_url: str, *, timeout: float = 60):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.jar = http.cookiejar.CookieJar(policy=_BehindTLSProxyPolicy())
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        origin = "https://" + urllib.parse.urlsplit(self.base_url).netloc
        # Added to every request, redirects included (as unredirected headers).
        self.opener.addheaders = [
            ("X-Forwarded-Proto", "https"),
            ("Origin", origin),
            ("Referer", origin + "/"),
            ("User-Agent", "lizenzportal-smoke"),
        ]

    def request(self, method: str, path: str, *, data: bytes | None = None, headers=None):
        url = path if path.startswith("http") else self.base_url + path
        req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        try:
            with self.opener.open(req, timeout=self.timeout) as resp:
                return Response(resp.status, resp.geturl(), dict(resp.headers), resp.read())
        except urllib.error.HTTPError as exc:
            return Response(exc.code, exc.geturl(), dict(exc.headers), exc.read())

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, fields: dict, *, csrf_from: Response) -> Response:
        fields = {"csrfmiddlewaretoken": csrf_token(csrf_from), **fields}
        body = urllib.parse.urlencode(fields, doseq=True).encode()
        return self.request(
            "POST", path, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )

    def post_file(
        self, path: str, *, field: str, filename: str, content: bytes, csrf_from: Response
    ) -> Response:
        boundary = uuid.uuid4().hex
        parts = [
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"'
                f"\r\n\r\n{csrf_token(csrf_from)}\r\n"
            ).encode(),
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
                f'filename="{filename}"\r\nContent-Type: application/'
                "vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n"
            ).encode(),
            content,
            f"\r\n--{boundary}--\r\n".encode(),
        ]
        return self.request(
            "POST",
            path,
            data=b"".join(parts),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )

    def login(self, username: str, password: str) -> Response:
        page = self.get("/anmelden/")
        assert page.status == 200, (page.status, page.text[:500])
        return self.post("/anmelden/", {"username": username, "password": password}, csrf_from=page)


def csrf_token(page: Response) -> str:
    match = CSRF_INPUT.search(page.text)
    assert match, f"no CSRF token on {page.url} ({page.status})"
    return match.group(1)


def totp_now(otpauth_url: str) -> str:
    """The current code of an otpauth:// link (what the authenticator app shows)."""
    from django_otp.oath import totp

    query = urllib.parse.parse_qs(urllib.parse.urlsplit(otpauth_url).query)
    secret = query["secret"][0]
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digits = int(query.get("digits", ["6"])[0])
    return str(totp(key, step=int(query.get("period", ["30"])[0]), digits=digits)).zfill(digits)


def fill_registration_list(template: bytes, *, leave_out: tuple = ()) -> tuple[bytes, int]:
    """Every school of the downloaded template with a contact person, except those of
    the school forms in ``leave_out``; returns the workbook and the number of schools."""
    import io

    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(template))
    sheet = workbook["Anmeldeliste"]
    count = 0
    for row in range(sheet.max_row, 4, -1):
        if sheet.cell(row=row, column=3).value in leave_out:
            sheet.delete_rows(row)
    for row in range(5, sheet.max_row + 1):
        number = sheet.cell(row=row, column=1).value
        if not number:
            continue
        sheet.cell(row=row, column=5, value="Maria")
        sheet.cell(row=row, column=6, value=f"Lehrerin {number}")
        sheet.cell(row=row, column=7, value=f"m{number}@schule.example.org")
        count += 1
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue(), count
