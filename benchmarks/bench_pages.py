"""Every portal page of a big authority (Köln: 256 schools) against a small one (10
schools), and the log-in with the production password hasher.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python benchmarks/bench_pages.py

Server time is measured around the Django test client's request (no network, the
whole middleware stack), median of ``--repeat`` requests after two warm-up
requests; CPU time per request (process time) is printed beside it, since other
processes on the machine stretch wall-clock figures. The SQL statements of each page
are counted for both authorities: they must be the same (independent of the number
of schools). Log-in: POST of the login form (django-axes on) with the hasher that
``config.settings.base`` puts first, for a user whose password was hashed with it.

Targets (issue 15): every page ≤ 50 ms median for Köln; same query count for 10 and
256 schools; log-in ≤ 300 ms.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("LOG_LEVEL", "WARNING")

PAGE_TARGET = 0.050
LOGIN_TARGET = 0.300
BIG, SMALL = 256, 10


def timed_requests(client, url: str, repeat: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds of GET ``url`` (after two warm-ups)."""
    for _ in range(2):
        assert client.get(url).status_code == 200, url
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(walls), statistics.median(cpus)


def query_count(client, url: str) -> int:
    """SQL statements of GET ``url``, after a first request (which renews the session)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert client.get(url).status_code == 200, url
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200, url
    return len(queries)


def measure_pages(repeat: int) -> bool:
    from django.test import Client

    from tests.portal.scaled_world import build_scaled_world

    big = build_scaled_world(schools=BIG, name="Stadt Köln", username="koeln")
    small = build_scaled_world(schools=SMALL, name="Stadt Vlotho", username="vlotho")
    clients = {}
    for world in (big, small):
        clients[world.authority.pk] = Client()
        clients[world.authority.pk].force_login(world.user)
    met = True
    print(
        f"{'page':26} {'Köln ms':>8} {'CPU ms':>7} {'queries':>8}"
        f" {'10 schools: ms':>15} {'CPU ms':>7} {'queries':>8}"
    )
    small_urls = small.page_urls()
    for name, url in big.page_urls().items():
        client, small_client = clients[big.authority.pk], clients[small.authority.pk]
        wall, cpu = timed_requests(client, url, repeat)
        small_wall, small_cpu = timed_requests(small_client, small_urls[name], repeat)
        queries = query_count(client, url)
        small_queries = query_count(small_client, small_urls[name])
        ok = wall <= PAGE_TARGET
        same = queries == small_queries
        met &= ok and same
        print(
            f"{name:26} {wall * 1000:8.1f} {cpu * 1000:7.1f} {queries:8d}"
            f" {small_wall * 1000:15.1f} {small_cpu * 1000:7.1f} {small_queries:8d}"
        )
        print(
            f"RESULT page {name} (256 schools): {wall * 1000:.1f} ms, CPU {cpu * 1000:.1f} ms, "
            f"{queries} queries (10 schools: {small_queries}) "
            f"(target ≤ {PAGE_TARGET * 1000:.0f} ms, same queries) "
            f"{'MET' if ok and same else 'MISSED'}"
        )
    return met


def measure_login(repeat: int) -> bool:
    from django.contrib.auth.hashers import get_hasher, identify_hasher
    from django.test import Client, override_settings
    from django.urls import reverse

    from config.settings import base
    from tests.factories import UserFactory

    with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS, AXES_ENABLED=True):
        user = UserFactory(username="login-bench", password="Lizenz-Demo-2026")
        user.set_password("Lizenz-Demo-2026")
        user.save()
        algorithm = identify_hasher(user.password).algorithm
        assert algorithm == get_hasher().algorithm, algorithm
        walls, cpus = [], []
        for _ in range(repeat):
            client = Client()
            wall, cpu = time.perf_counter(), time.process_time()
            response = client.post(
                reverse("login"),
                {"username": "login-bench", "password": "Lizenz-Demo-2026"},
            )
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
            assert response.status_code == 302, response.status_code
        wall, cpu = statistics.median(walls), statistics.median(cpus)
    ok = wall <= LOGIN_TARGET
    print(
        f"RESULT log-in ({algorithm}): {wall * 1000:.0f} ms, CPU {cpu * 1000:.0f} ms "
        f"(target ≤ {LOGIN_TARGET * 1000:.0f} ms) {'MET' if ok else 'MISSED'}"
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    import django
    from django.conf import settings

    tmp = tempfile.mkdtemp(prefix="bench-pages-")
    if "DATABASE_URL" not in os.environ:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    django.setup()
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        db.setdefault("TEST", {})["NAME"] = f"{tmp}/bench-test.sqlite3"
    settings.ALLOWED_HOSTS = ["*"]

    from django.db import connection

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        print(f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
        met = measure_pages(args.repeat)
        met &= measure_login(max(3, args.repeat // 3))
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
