"""Smoke test of the production set-up: real gunicorn (2 workers, whitenoise), a real
Celery worker and beat on PostgreSQL and Redis, with ``config.settings.production``.

One order goes from the downloaded registration list to the issued invoice over
HTTP only: the authority uploads and orders, the publisher logs in with password
and TOTP code and confirms in the admin, the nightly run is handed to the worker
(``celery call``), which issues the invoice; the authority downloads PDF and XML.
Then the database is backed up with ``pg_dump`` and restored with ``pg_restore``
into another database, which must hold the same order and invoice.

Uses its own databases ``<DATABASE_URL name>_smoke`` and ``..._smoke_restore``
(never pytest-django's test database) and the Redis database of REDIS_URL, which it
empties first.
"""

import datetime
import os
import re
import shutil
import subprocess
from zoneinfo import ZoneInfo

import pytest

from tests.live_portal import (
    ROOT,
    PortalClient,
    ProcessGroup,
    celery_argv,
    database_url_named,
    fill_registration_list,
    free_port,
    gunicorn_argv,
    manage,
    production_env,
    recreate_database,
    totp_now,
    wait_until,
)
from tests.unavailable import unavailable

pytestmark = [pytest.mark.slow, pytest.mark.worker, pytest.mark.postgres]

DEMO_PASSWORD = "Lizenz-Demo-2026"  # schools/management/commands/seed_demo.py
BEAT_INTERVAL_SECONDS = 3


@pytest.fixture
def smoke_urls():
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        unavailable("braucht PostgreSQL (DATABASE_URL)")
    for tool in ("pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            unavailable(f"{tool} ist nicht installiert (Paket postgresql-client)")
    name = base.rsplit("/", 1)[-1].split("?")[0]
    return {
        "database": database_url_named(base, f"{name}_smoke"),
        "restore": database_url_named(base, f"{name}_smoke_restore"),
        "redis": os.environ["REDIS_URL"],
    }


def test_one_order_from_upload_to_invoice_on_the_production_stack(smoke_urls, tmp_path):
    import redis

    database_url, redis_url = smoke_urls["database"], smoke_urls["redis"]
    recreate_database(database_url)
    redis.Redis.from_url(redis_url, socket_timeout=5).flushdb()
    port = free_port()
    env = production_env(
        port=port, database_url=database_url, redis_url=redis_url, var_dir=tmp_path / "var"
    )
    # Only here: beat hands the nightly run to the worker every few seconds.
    env["NIGHTLY_INTERVAL_SECONDS"] = str(BEAT_INTERVAL_SECONDS)

    # The operator's commands (README, "Betrieb").
    manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    manage("migrate", "--noinput", env=env)
    manage("collectstatic", "--noinput", env=env)
    manage("seed_demo", env=env)
    # seed_demo gives "verlag" a demo device; production staff set up their own.
    otpauth = (
        manage("totp_device_create", "verlag", "--replace", "--no-qr", env=env)
        .strip()
        .splitlines()[0]
    )
    assert otpauth.startswith("otpauth://totp/")

    processes = ProcessGroup(tmp_path / "logs")
    try:
        processes.start("gunicorn", gunicorn_argv(), env=env)
        processes.start("worker", celery_argv("worker", "-l", "INFO", "-c", "2"), env=env)
        processes.start(
            "beat",
            celery_argv("beat", "-l", "INFO", "-s", str(tmp_path / "celerybeat-schedule")),
            env=env,
        )
        drive_one_order(processes, env=env, port=port, database_url=database_url, otpauth=otpauth)
    except BaseException:
        print(processes.logs())
        raise
    finally:
        processes.stop()

    backup_and_restore(
        tmp_path, env=env, database_url=database_url, restore_url=smoke_urls["restore"]
    )


def drive_one_order(
    processes: ProcessGroup, *, env: dict, port: int, database_url: str, otpauth: str
):
    import psycopg

    base = f"http://127.0.0.1:{port}"

    def healthy():
        processes.assert_running()
        return PortalClient(base, timeout=5).get("/health/")

    health = wait_until(healthy, timeout=60, what="gunicorn to answer /health/")
    assert health.status == 200, health.text
    assert health.json() == {"database": "ok", "broker": "ok"}
    assert health.headers["X-Request-ID"]

    # --- The authority orders with the registration list ----------------------------
    authority = PortalClient(base)
    start = authority.login("koeln", DEMO_PASSWORD)
    assert start.status == 200, start.text[:1000]
    match = re.fullmatch(r"/traeger/(\d+)/", start.path)
    assert match, start.url
    authority_id = int(match.group(1))
    assert "Stadt Köln" in start.text
    css = re.search(r'href="(/static/css/portal\.[0-9a-f]+\.css)"', start.text)
    assert css, "the page links the hashed stylesheet of collectstatic"
    assert authority.get(css.group(1)).status == 200

    upload_path = f"/traeger/{authority_id}/bestellen/bibox/"
    upload_page = authority.get(upload_path)
    assert upload_page.status == 200
    template = authority.get(upload_path + "anmeldeliste.xlsx")
    assert template.status == 200
    assert template.body[:2] == b"PK"
    filled, school_count = fill_registration_list(template.body)
    assert school_count > 200  # Köln's schools in the demo directory

    preview = authority.post_file(
        upload_path,
        field="file",
        filename="Anmeldeliste_Koeln.xlsx",
        content=filled,
        csrf_from=upload_page,
    )
    assert preview.status == 200, preview.text[:2000]
    assert "Vorschau Ihrer Bestellung" in preview.text, preview.text[:3000]
    submit = re.search(
        r'action="(/traeger/\d+/bestellen/entwurf/[0-9a-f-]+/bestellen/)"', preview.text
    )
    assert submit, preview.text[:3000]
    submitted = authority.post(submit.group(1), {"accept_terms": "on"}, csrf_from=preview)
    assert submitted.status == 200
    assert "Bestellung eingegangen" in submitted.text
    order_id = int(re.search(r"/eingegangen/(\d+)/$", submitted.path).group(1))

    # --- The publisher: password, TOTP code, confirm in the admin ---------------------
    publisher = PortalClient(base)
    otp_page = publisher.login("verlag", DEMO_PASSWORD)
    assert otp_page.path == "/anmelden/zwei-faktor/", otp_page.url
    admin_index = publisher.post(
        "/anmelden/zwei-faktor/",
        {"token": totp_now(otpauth), "next": "/admin/"},
        csrf_from=otp_page,
    )
    assert admin_index.status == 200 and admin_index.path == "/admin/", admin_index.url
    changelist = publisher.get("/admin/licensing/order/")
    assert changelist.status == 200
    intermediate = publisher.post(
        "/admin/licensing/order/",
        {"action": "confirm_orders", "_selected_action": str(order_id), "index": "0"},
        csrf_from=changelist,
    )
    assert "Lizenzbeginn" in intermediate.text, intermediate.text[:2000]
    start_date = datetime.datetime.now(ZoneInfo("Europe/Berlin")).date()  # the portal's today
    confirmed = publisher.post(
        "/admin/licensing/order/",
        {
            "action": "confirm_orders",
            "_selected_action": str(order_id),
            "start_date": start_date.isoformat(),
            "apply": "Bestätigen und freischalten",
        },
        csrf_from=intermediate,
    )
    assert f"Bestellung {order_id} bestätigt" in confirmed.text, confirmed.text[:3000]

    # --- The worker issues the invoice in the nightly run of its issue day ------------
    issue_day = start_date + datetime.timedelta(days=7)
    called = subprocess.run(
        [*celery_argv("call", "portal.run_nightly"), "--args", f'["{issue_day.isoformat()}"]'],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert called.returncode == 0, called.stdout + called.stderr

    def issued_number():
        processes.assert_running()
        with psycopg.connect(database_url, connect_timeout=5) as conn:
            row = conn.execute(
                "SELECT id, number FROM invoicing_invoice WHERE order_id = %s "
                "AND status = 'issued' AND pdf_sha256 <> ''",
                [order_id],
            ).fetchone()
        return row

    invoice_id, number = wait_until(issued_number, timeout=180, interval=1, what="the invoice")
    assert number

    invoices = authority.get(f"/traeger/{authority_id}/rechnungen/")
    assert invoices.status == 200
    assert number in invoices.text
    pdf = authority.get(f"/traeger/{authority_id}/rechnungen/{invoice_id}/pdf/")
    assert pdf.status == 200 and pdf.body.startswith(b"%PDF"), pdf.body[:200]
    xml = authority.get(f"/traeger/{authority_id}/rechnungen/{invoice_id}/xml/")
    assert xml.status == 200
    assert number in xml.text

    # The worker e-mailed the invoice; beat kept handing it the nightly run.
    wait_until(
        lambda: re.search(
            r"Task invoicing\.send_invoice_email\[[^\]]+\] succeeded", processes.log("worker")
        ),
        timeout=60,
        what="the worker to send the invoice e-mail",
    )
    wait_until(
        lambda: (
            processes.log("beat").count("Sending due task nightly-lifecycle-and-invoicing") >= 2
        ),
        timeout=30,
        what="beat to schedule the nightly run",
    )
    processes.assert_running()
    health = PortalClient(base).get("/health/")
    assert health.status == 200 and health.json() == {"database": "ok", "broker": "ok"}


def backup_and_restore(tmp_path, *, env: dict, database_url: str, restore_url: str) -> None:
    """The README's backup and restore, checked on the smoke test's data."""
    import psycopg

    dump = tmp_path / "lizenzportal.dump"
    run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", database_url])
    assert dump.stat().st_size > 0
    recreate_database(restore_url)
    run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={restore_url}", str(dump)])

    query = (
        "SELECT (SELECT count(*) FROM licensing_order), "
        "(SELECT string_agg(number, ',' ORDER BY number) FROM invoicing_invoice "
        "WHERE number <> ''), "
        "(SELECT string_agg(pdf_sha256, ',' ORDER BY number) FROM invoicing_invoice "
        "WHERE number <> '')"
    )
    with psycopg.connect(database_url, connect_timeout=5) as conn:
        original = conn.execute(query).fetchone()
    with psycopg.connect(restore_url, connect_timeout=5) as conn:
        restored = conn.execute(query).fetchone()
    assert original[0] >= 1 and original[1]  # the demo orders and the smoke order
    assert restored == original
    restored_env = {**env, "DATABASE_URL": restore_url}
    manage("migrate", "--check", env=restored_env)


def run(argv: list[str]) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{argv[0]}: {result.stdout}{result.stderr}"
