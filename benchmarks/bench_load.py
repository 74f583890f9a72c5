"""Load benchmark: the production stack under many authority users at once.

    python benchmarks/bench_load.py [--seconds 60] [--browsers 100] [--uploaders 0]

Starts gunicorn (config/gunicorn.conf.py, 2 workers, config.settings.production) on
127.0.0.1 against its own PostgreSQL database (``<DATABASE_URL name>_load``, else
``bench_load`` on 127.0.0.1:5432; dropped and created anew) with the demo data
(``seed_demo``) and one confirmed Köln order with an issued invoice. The users of
the Stadt Köln each log in once (not measured), then for ``--seconds``:

- ``--browsers`` users browse their pages (the browsing mix): dashboard, school
  list, order page (upload page with the price overview), invoice list, order detail;
- ``--uploaders`` users (none by default) upload the filled 260-school Köln
  registration list and get it validated (the preview page), each for a product of
  its own (copies of "bibox" made here: a newer upload of the same authority and
  product replaces the draft).

Every user waits 0.5 to 1.5 s (``--think``) between two pages, like a person, so
100 browsers offer at most ~100 requests/s. Traffic goes to 127.0.0.1 only; each
user stops after ``--max-requests`` requests or when the time is up. Prints
requests per second, median and 95th-percentile latency per page, the number of
errors (any status but 200, a redirect to the login, or a wrong page), the CPU time
the gunicorn processes and this process (the load generator, on the same cores)
spent per request, the workers gunicorn replaced during the run (max_requests) and
the load average; exits 1 if there was an error or a target was missed.

Targets (issue 15), on the browsing mix: ≥ 80 requests/s, p95 ≤ 250 ms, 0 errors.
"""

import argparse
import datetime
import http.client
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live_portal import (  # noqa: E402
    PortalClient,
    ProcessGroup,
    Response,
    database_url_named,
    drop_database,
    fill_registration_list,
    free_port,
    gunicorn_argv,
    manage,
    production_env,
    recreate_database,
    wait_until,
)

DEMO_PASSWORD = "Lizenz-Demo-2026"
RATE_TARGET = 80  # requests/s of the browsing mix
P95_TARGET = 0.250  # seconds
BROWSING = ("dashboard", "school list", "order page", "invoice list", "order detail")
# seed_demo has no "diagnose" prices for these school forms.
NOT_PRICED_FOR_DIAGNOSE = ("Berufskolleg", "Schule für Kranke", "Weiterbildungskolleg")
SETUP_USERS = """
from django.contrib.auth import get_user_model
from schools.models import AuthorityMembership, SchoolAuthority
User = get_user_model()
koeln = SchoolAuthority.objects.get(customer_number="10182")
password = User.objects.get(username="koeln").password
for i in range({count}):
    user, _ = User.objects.get_or_create(
        username=f"last{{i:02d}}", defaults={{"password": password}}
    )
    AuthorityMembership.objects.get_or_create(user=user, authority=koeln)
# Each uploader orders its own product (copies of "bibox"): an authority has one open
# draft per product, and a newer upload replaces it (and its preview).
from licensing.models import Price, Product
bibox = Product.objects.get(code="bibox")
for i in range({uploaders}):
    product, created = Product.objects.get_or_create(
        code=f"last-{{i:02d}}", defaults={{"name": f"Lasttest-Produkt {{i:02d}}", "vat_rate": 7}}
    )
    if created:
        Price.objects.bulk_create(
            Price(product=product, school_type_id=price.school_type_id,
                  valid_from=price.valid_from, bulk_price=price.bulk_price,
                  individual_price=price.individual_price)
            for price in Price.objects.filter(product=bibox)
        )
print(koeln.pk)
"""
CONFIRM_ORDER = """
from config.clock import today
from licensing.confirmation import order_confirm
from licensing.models import Order
order_confirm(order=Order.objects.get(pk={order_id}), start_date=today())
"""


def database_url() -> str:
    if os.environ.get("LOAD_DATABASE_URL"):
        return os.environ["LOAD_DATABASE_URL"]
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith(("postgres://", "postgresql://")):
        name = base.rsplit("/", 1)[-1].split("?")[0]
        return database_url_named(base, f"{name}_load")
    return "postgres://postgres@127.0.0.1:5432/bench_load"


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of process ``pid``, its live children and the
    children it has reaped (gunicorn recycles its workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")

    def fields(path: str) -> list[str]:
        with open(path) as f:
            return f.read().rsplit(")", 1)[1].split()

    own = fields(f"/proc/{pid}/stat")
    total = sum(int(own[i]) for i in (11, 12, 13, 14))  # utime stime cutime cstime
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = fields(f"/proc/{entry}/stat")
        except OSError:
            continue
        if int(stat[1]) == pid:
            total += int(stat[11]) + int(stat[12])
    return total / tick


class PageClient:
    """The browsing users' GETs: a logged-in ``PortalClient``'s cookies and headers
    over a bare ``http.client`` connection (gunicorn's sync workers close it after
    each answer), no redirect followed: a redirect (to the login, say) comes back as
    itself and counts as an error. urllib's opener and cookie jar cost this process,
    which shares the machine's cores with gunicorn and PostgreSQL, more CPU per page
    than the page's own HTTP. Set-Cookie values (a renewed session) are taken over."""

    def __init__(self, client: PortalClient):
        parts = urlsplit(client.base_url)
        self.base_url = client.base_url
        self.host, self.port = parts.hostname, parts.port
        self.timeout = client.timeout
        self.cookies = {cookie.name: cookie.value for cookie in client.jar}
        self.headers = {"Host": parts.netloc, **dict(client.opener.addheaders)}

    def get(self, path: str) -> Response:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
            connection.request("GET", path, headers={**self.headers, "Cookie": cookie})
            answer = connection.getresponse()
            body = answer.read()
        finally:
            connection.close()
        for header in answer.headers.get_all("Set-Cookie") or ():
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return Response(answer.status, self.base_url + path, dict(answer.headers), body)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []

    def measure(self, page: str, call, check) -> None:
        started = time.perf_counter()
        try:
            response = call()
            problem = check(response)
        except Exception as exc:  # a refused connection, a timeout: an error
            problem = f"{type(exc).__name__}: {exc}"
        elapsed = time.perf_counter() - started
        with self.lock:
            self.latencies[page].append(elapsed)
            if problem:
                self.errors.append(f"{page}: {problem}")


def expect_page(path: str, text: str):
    def check(response):
        if response.status != 200:
            return f"status {response.status} for {path}"
        if response.path != path:
            return f"redirected to {response.path}"
        if text.encode() not in response.body:
            return f"{path} without „{text}“"
        return None

    return check


def browse(client, recorder, *, pages, deadline, think, max_requests) -> None:
    for count in range(max_requests):
        if time.monotonic() >= deadline:
            return
        name, path, text = pages[count % len(pages)]
        recorder.measure(name, lambda p=path: client.get(p), expect_page(path, text))
        time.sleep(random.uniform(think * 0.5, think * 1.5))


def upload(client, recorder, *, upload_path, content, deadline, think, max_requests) -> None:
    for _count in range(max_requests):
        if time.monotonic() >= deadline:
            return
        page = None

        def get_page():
            nonlocal page
            page = client.get(upload_path)
            return page

        recorder.measure("order page (upload)", get_page, expect_page(upload_path, "Anmeldeliste"))
        if page is None or page.status != 200:
            continue

        def check_preview(response):
            if response.status != 200 or "Vorschau Ihrer Bestellung" not in response.text:
                return f"upload: status {response.status} at {response.path}"
            return None

        recorder.measure(
            "upload + validation",
            lambda p=page: client.post_file(
                upload_path,
                field="file",
                filename="Anmeldeliste_Koeln.xlsx",
                content=content,
                csrf_from=p,
            ),
            check_preview,
        )
        time.sleep(random.uniform(think * 0.5, think * 1.5))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--browsers", type=int, default=100)
    parser.add_argument("--uploaders", type=int, default=0)
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between pages (s)")
    parser.add_argument("--max-requests", type=int, default=2000, help="per simulated user")
    args = parser.parse_args()

    url = database_url()
    var_dir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    port = free_port()
    env = production_env(port=port, database_url=url, redis_url="", var_dir=var_dir)
    env["LOG_LEVEL"] = "WARNING"
    base = f"http://127.0.0.1:{port}"
    users = args.browsers + args.uploaders

    print(f"Database {url.rsplit('/', 1)[-1]}, gunicorn on {base} with 2 workers", flush=True)
    recreate_database(url)
    manage("migrate", "--noinput", env=env)
    manage("collectstatic", "--noinput", env=env)
    manage("seed_demo", env=env)
    authority_id = int(
        manage(
            "shell", "-c", SETUP_USERS.format(count=users, uploaders=args.uploaders), env=env
        ).split()[-1]
    )

    processes = ProcessGroup(var_dir / "logs")
    try:
        gunicorn = processes.start("gunicorn", gunicorn_argv(), env=env)
        wait_until(
            lambda: processes.assert_running() or PortalClient(base, timeout=5).get("/health/"),
            timeout=60,
            what="gunicorn",
        )
        # One order through the portal, confirmed and invoiced, so every page has content.
        first = PortalClient(base)
        # (Product "diagnose"; the uploaders validate lists of "bibox", still orderable.)
        first.login("koeln", DEMO_PASSWORD)
        order_path = f"/traeger/{authority_id}/bestellen/diagnose/"
        page = first.get(order_path)
        ordered, _count = fill_registration_list(
            first.get(order_path + "anmeldeliste.xlsx").body, leave_out=NOT_PRICED_FOR_DIAGNOSE
        )
        preview = first.post_file(
            order_path, field="file", filename="a.xlsx", content=ordered, csrf_from=page
        )
        assert "Vorschau Ihrer Bestellung" in preview.text, preview.text[:3000]
        upload_path = f"/traeger/{authority_id}/bestellen/bibox/"
        upload_paths = [
            f"/traeger/{authority_id}/bestellen/last-{i:02d}/" for i in range(args.uploaders)
        ]
        lists = [
            fill_registration_list(first.get(path + "anmeldeliste.xlsx").body)
            for path in upload_paths
        ]
        schools = lists[0][1] if lists else 0
        action = re.search(r'action="(/traeger/\d+/bestellen/entwurf/[0-9a-f-]+/bestellen/)"',
                           preview.text)  # fmt: skip
        submitted = first.post(action.group(1), {"accept_terms": "on"}, csrf_from=preview)
        order_id = int(re.search(r"/eingegangen/(\d+)/$", submitted.path).group(1))
        manage("shell", "-c", CONFIRM_ORDER.format(order_id=order_id), env=env)
        issue_day = datetime.date.today() + datetime.timedelta(days=8)
        manage("run_nightly", "--date", issue_day.isoformat(), "--allow-future", env=env)
        invoices_path = f"/traeger/{authority_id}/rechnungen/"
        assert "pdf/" in first.get(invoices_path).text, "no issued invoice on the list"

        pages = [
            ("dashboard", f"/traeger/{authority_id}/", "Stadt Köln"),
            ("school list", f"/traeger/{authority_id}/schulen/", "Schulen"),
            ("order page", upload_path, "Anmeldeliste"),
            ("invoice list", invoices_path, "Rechnungen"),
            ("order detail", f"/traeger/{authority_id}/bestellungen/{order_id}/", "Bestellung"),
        ]
        print(f"Logging in {users} users …", flush=True)

        def logged_in(i: int) -> PortalClient:
            client = PortalClient(base, timeout=60)
            landing = client.login(f"last{i:02d}", DEMO_PASSWORD)
            assert landing.path == f"/traeger/{authority_id}/", landing.url
            return client

        with ThreadPoolExecutor(max_workers=4) as pool:
            clients = list(pool.map(logged_in, range(users)))

        recorder = Recorder()
        deadline = time.monotonic() + args.seconds
        threads = []
        for i, client in enumerate(clients):
            if i < args.browsers:
                pages_of_user = pages[i % len(pages) :] + pages[: i % len(pages)]
                target, kwargs = browse, {"pages": pages_of_user}
                client = PageClient(client)
            else:
                path, (content, _count) = upload_paths[i - args.browsers], lists[i - args.browsers]
                target, kwargs = upload, {"upload_path": path, "content": content}
            thread = threading.Thread(
                target=target,
                args=(client, recorder),
                kwargs={
                    **kwargs,
                    "deadline": deadline,
                    "think": args.think,
                    "max_requests": args.max_requests,
                },
                daemon=True,
            )
            threads.append(thread)
        print(
            f"{args.browsers} browsing and {args.uploaders} uploading users "
            f"({schools} schools per list) for {args.seconds:.0f} s …",
            flush=True,
        )
        load_before = os.getloadavg()[0]
        cpu_before = cpu_seconds(gunicorn.pid)
        client_before = time.process_time()
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=max(1.0, deadline - time.monotonic() + 90))
        elapsed = time.monotonic() - started
        server_cpu = cpu_seconds(gunicorn.pid) - cpu_before
        client_cpu = time.process_time() - client_before
        load_after = os.getloadavg()[0]
        processes.assert_running()
        # gunicorn logs every worker it boots; beyond the first two, recycled ones.
        restarts = processes.log("gunicorn").count("Booting worker") - 2
        print(f"gunicorn workers restarted during the run: {restarts}")
    except BaseException:
        print(processes.logs())
        raise
    finally:
        processes.stop()
    drop_database(url)

    return report(recorder, elapsed, (server_cpu, client_cpu), (load_before, load_after))


def report(recorder: Recorder, elapsed: float, cpu: tuple, load: tuple) -> int:
    server_cpu, client_cpu = cpu
    total = sum(len(v) for v in recorder.latencies.values())
    print(f"\n{'page':36} {'requests':>8} {'req/s':>7} {'median ms':>10} {'p95 ms':>8}")
    for name, values in sorted(recorder.latencies.items()):
        print(
            f"{name:36} {len(values):8d} {len(values) / elapsed:7.1f} "
            f"{statistics.median(values) * 1000:10.0f} {percentile(values, 0.95) * 1000:8.0f}"
        )
    print(f"{'all':36} {total:8d} {total / elapsed:7.1f}")
    print(f"errors: {len(recorder.errors)}")
    for line in recorder.errors[:20]:
        print("  " + line)
    browsing = [v for name in BROWSING for v in recorder.latencies.get(name, [])]
    rate = len(browsing) / elapsed
    p95 = percentile(browsing, 0.95) if browsing else float("inf")
    print(
        f"gunicorn CPU: {server_cpu:.1f} s for {total} requests = "
        f"{server_cpu / max(total, 1) * 1000:.1f} ms per request; "
        f"load generator (this process) {client_cpu / max(total, 1) * 1000:.1f} ms per request; "
        f"load average {load[0]:.1f} before, {load[1]:.1f} after"
    )
    verdicts = [
        (f"browsing mix: {rate:.1f} requests/s (target ≥ {RATE_TARGET})", rate >= RATE_TARGET),
        (
            f"browsing mix: p95 {p95 * 1000:.0f} ms (target ≤ {P95_TARGET * 1000:.0f} ms)",
            p95 <= P95_TARGET,
        ),
        (f"errors: {len(recorder.errors)} (target 0)", not recorder.errors),
    ]
    for text, ok in verdicts:
        print(f"RESULT {text} {'MET' if ok else 'MISSED'}")
    return 0 if all(ok for _text, ok in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
