"""Health endpoint, request ids in logs, static files in production."""

import http.client
import io
import json
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import OperationalError
from pythonjsonlogger.json import JsonFormatter

from config.request_id import RequestIDFilter
from tests.config.test_production_settings import ROOT, run_manage

UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


@pytest.mark.django_db
def test_health_is_ok_without_a_broker(client, settings):
    settings.REDIS_URL = ""

    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "not configured"}


@pytest.mark.worker
@pytest.mark.django_db
def test_health_pings_the_real_broker(client, settings):
    settings.REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/6"

    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_health_reports_an_unreachable_broker_quickly(client, settings):
    settings.REDIS_URL = UNREACHABLE_BROKER

    started = time.monotonic()
    response = client.get("/health/")

    assert time.monotonic() - started < 6
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "error"}


@pytest.mark.django_db
def test_health_reports_a_failing_database(client, settings, monkeypatch):
    settings.REDIS_URL = ""

    def refuse():
        raise OperationalError("connection refused")

    monkeypatch.setattr("config.health.connection.cursor", refuse)

    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json() == {"database": "error", "broker": "not configured"}


@pytest.mark.django_db
def test_every_response_carries_a_request_id(client):
    made = client.get("/health/")["X-Request-ID"]
    assert len(made) == 32

    assert client.get("/health/", HTTP_X_REQUEST_ID="lb-4711")["X-Request-ID"] == "lb-4711"
    # Header injection or log forging attempts are replaced by a fresh id.
    forged = client.get("/health/", HTTP_X_REQUEST_ID="x\ninjected")["X-Request-ID"]
    assert forged != "x\ninjected" and len(forged) == 32


@pytest.mark.django_db
def test_log_lines_carry_the_request_id_as_json(client, settings):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIDFilter())
    json_cfg = settings.LOGGING["formatters"]["json"]
    handler.setFormatter(JsonFormatter(json_cfg["format"], rename_fields=json_cfg["rename_fields"]))
    logger = logging.getLogger("config.health")
    logger.addHandler(handler)
    settings.REDIS_URL = UNREACHABLE_BROKER
    try:
        client.get("/health/", HTTP_X_REQUEST_ID="lb-0815")
    finally:
        logger.removeHandler(handler)

    record = json.loads(stream.getvalue().splitlines()[0])
    assert record["request_id"] == "lb-0815"
    assert record["level"] == "ERROR"
    assert record["logger"] == "config.health"
    assert record["message"] == "Health check: broker unreachable"


def test_gunicorn_serves_health_and_static_files_in_production(production_env, tmp_path):
    """collectstatic, then the production command line: gunicorn with whitenoise."""
    result = run_manage("collectstatic", "--noinput", env_vars=production_env, tmp_path=tmp_path)

    assert result.returncode == 0, result.stderr
    static_root = tmp_path / "static"
    manifest = json.loads((static_root / "staticfiles.json").read_text())
    hashed = manifest["paths"]["css/portal.css"]
    assert hashed != "css/portal.css"
    assert (static_root / hashed).exists()
    assert (static_root / f"{hashed}.gz").exists()

    server, port = start_gunicorn(production_env, tmp_path, output=subprocess.PIPE)
    try:
        health = None
        for _ in range(100):
            try:
                health = get(port, "/health/")
                break
            except OSError:
                time.sleep(0.1)
        assert health is not None, "gunicorn did not answer"
        assert health.status == 200
        assert json.loads(health.read()) == {"database": "ok", "broker": "not configured"}
        assert health.headers["X-Request-ID"]

        css = get(port, f"/static/{hashed}", https=True)
        assert css.status == 200
        assert css.headers["Cache-Control"] == "max-age=315360000, public, immutable"

        # Everything else is redirected to HTTPS.
        assert get(port, "/anmelden/").status == 301
    finally:
        server.terminate()
        server.wait(timeout=10)


def start_gunicorn(production_env, tmp_path, *, output, **extra_env):
    """Migrate, then start the production command line (one worker, no broker) on a
    free port; returns the server process and the port."""
    migrated = run_manage("migrate", "--noinput", env_vars=production_env, tmp_path=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(production_env, DJANGO_SETTINGS_MODULE="config.settings.production")
    env.update(GUNICORN_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="1", REDIS_URL="")
    env.update(extra_env)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    return server, port


def get(port: int, path: str, https: bool = False):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    headers = {"Host": "lizenzen.example.org"}
    if https:
        headers["X-Forwarded-Proto"] = "https"
    connection.request("GET", path, headers=headers)
    return connection.getresponse()


@pytest.mark.slow
def test_gunicorn_master_preloads_the_portal_and_recycled_workers_serve(production_env, tmp_path):
    """``preload_app``: the master has Django and the database backend loaded (its
    workers are forks of it) but holds no database connection or file; a worker
    recycled after GUNICORN_MAX_REQUESTS answers like the first."""
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        server, port = start_gunicorn(
            production_env, tmp_path, output=out, GUNICORN_MAX_REQUESTS="2"
        )
    try:
        answers = []
        for _ in range(100):
            try:
                answers.append(get(port, "/health/").status)
                break
            except OSError:
                time.sleep(0.1)
        for _ in range(6):
            response = get(port, "/health/")
            answers.append((response.status, json.loads(response.read())["database"]))
        maps = Path(f"/proc/{server.pid}/maps").read_text()
        files = [
            os.readlink(f"/proc/{server.pid}/fd/{fd}")
            for fd in os.listdir(f"/proc/{server.pid}/fd")
        ]
    finally:
        server.terminate()
        server.wait(timeout=10)

    assert answers == [200] + [(200, "ok")] * 6
    assert log.read_text().count("Booting worker") >= 4  # recycled after every 2 requests
    assert "_sqlite3" in maps  # the database backend was loaded in the master
    assert not [f for f in files if "db.sqlite3" in f]
    assert len([f for f in files if f.startswith("socket:")]) == 1  # the listening socket
