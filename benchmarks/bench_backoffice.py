"""The publisher's back office with a large order (260 schools, 10 of them with an
individual licence that is refunded): the order's admin page, and confirming it
from that page, with a broker (activation e-mails queued for the worker) and
without one (demo mode: the e-mails are sent in the request).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench REDIS_URL=redis://127.0.0.1:6379/2 \\
        python benchmarks/bench_backoffice.py

Server time is measured around the Django test client's request (no network).
Targets: order page < 0.5 s; confirm < 1 s with a broker, < 3 s without. Without
REDIS_URL the broker figure is not measured (reported as such). The tasks queued
during the measurement are purged from the broker afterwards. A warm-up order is
confirmed first (a running server has its imports and templates loaded). Run by
``benchmarks/run_all.py`` with the others.
"""

import datetime
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

SCHOOLS = 260
INDIVIDUAL = 10
PAGE_TARGET = 0.5
CONFIRM_BROKER_TARGET = 1.0
CONFIRM_EAGER_TARGET = 3.0


def main() -> int:
    import django
    from django.conf import settings

    tmp = tempfile.mkdtemp(prefix="bench-backoffice-")
    if "DATABASE_URL" not in os.environ:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    redis_url = os.environ.get("REDIS_URL", "")
    django.setup()
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        db.setdefault("TEST", {})["NAME"] = f"{tmp}/bench-test.sqlite3"
    settings.ALLOWED_HOSTS = ["*"]

    from django.db import connection

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        results = measure(redis_url)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(f"load average of the machine: {os.getloadavg()[0]:.1f}")
    met = True
    for label, seconds, target in results:
        if seconds is None:
            print(f"RESULT {label}: not measured (no REDIS_URL) (target < {target} s) MISSED")
            met = False
            continue
        ok = seconds < target
        met &= ok
        print(f"RESULT {label}: {seconds:.3f} s (target < {target} s) {'MET' if ok else 'MISSED'}")
    return 0 if met else 1


def build(product, school_type, authority, index: int):
    from licensing.models import IndividualLicence, Licence, Order, OrderSchool
    from schools.models import School

    order = Order.objects.create(authority=authority, product=product)
    schools = School.objects.bulk_create(
        School(
            authority=authority,
            school_type=school_type,
            state="NW",
            school_number=f"{index}{n:05d}",
            name=f"Städtische Schule {index}-{n}",
            street="Schulstraße 1",
            postal_code="50667",
            city="Köln",
        )
        for n in range(SCHOOLS)
    )
    OrderSchool.objects.bulk_create(
        OrderSchool(
            order=order,
            school=school,
            contact_first_name="Eva",
            contact_last_name=f"Muster {n}",
            contact_email=f"eva{index}-{n}@schule.example.org",
        )
        for n, school in enumerate(schools)
    )
    Licence.objects.bulk_create(
        Licence(order=order, school=school, product=product) for school in schools
    )
    IndividualLicence.objects.bulk_create(
        IndividualLicence(
            school=school,
            product=product,
            start_date=datetime.date(2026, 1, 1),
            end_date=datetime.date(2026, 12, 31),
            paid_amount=Decimal("160.50"),
            vat_rate=Decimal("7.00"),
            original_invoice_number=f"EL-{index}-{n}",
            original_invoice_date=datetime.date(2026, 1, 2),
        )
        for n, school in enumerate(schools[:INDIVIDUAL])
    )
    return order


def world():
    from django.contrib.auth import get_user_model

    from licensing.models import Price, Product
    from schools.models import SchoolAuthority, SchoolType

    authority = SchoolAuthority.objects.create(
        customer_number="10182",
        name="Stadt Köln",
        street="Willy-Brandt-Platz 2",
        postal_code="50679",
        city="Köln",
        email="schulamt@stadt-koeln.example.org",
        leitweg_id="05315000-SCHULAMT1-82",
    )
    school_type = SchoolType.objects.create(state="NW", key="02", name="Grundschule")
    product = Product.objects.create(code="bench", name="Digitales Lehrwerk", vat_rate=7)
    Price.objects.create(
        product=product,
        school_type=school_type,
        valid_from=datetime.date(2020, 1, 1),
        bulk_price=Decimal("100.00"),
        individual_price=Decimal("150.00"),
    )
    user = get_user_model().objects.create_user(
        "verlag", "verlag@example.org", "x", is_staff=True, is_superuser=True
    )
    return authority, school_type, product, user


CPU: dict[str, float] = {}


def timed(call, label: str = "") -> tuple[float, object]:
    """Wall time of ``call``; its CPU time in this process is kept under ``label``
    (the machine may be shared: the CPU figure shows the request's own work)."""
    cpu = time.process_time()
    started = time.perf_counter()
    result = call()
    elapsed = time.perf_counter() - started
    if label:
        CPU[label] = time.process_time() - cpu
    return elapsed, result


def confirm(client, order, on: datetime.date, label: str = "") -> float:
    from django.urls import reverse

    from licensing.models import Order

    url = reverse("admin:licensing_order_confirm", args=[order.pk])
    seconds, response = timed(lambda: client.post(url, {"start_date": on.isoformat()}), label)
    assert response.status_code == 302, response.status_code
    status = Order.objects.get(pk=order.pk).status
    assert status == Order.Status.CONFIRMED, status
    return seconds


def measure(redis_url: str) -> list[tuple[str, float | None, float]]:
    from django.core import mail
    from django.test import Client
    from django.urls import reverse

    from config import clock
    from config.celery_app import app as celery_app
    from licensing.models import OutgoingMail

    authority, school_type, product, user = world()
    client = Client()
    client.force_login(user)
    today = clock.today()
    warm_up = build(product, school_type, authority, 9)
    confirm(client, warm_up, today)  # imports and template caches of a running server
    eager_order = build(product, school_type, authority, 1)
    page = reverse("admin:licensing_order_change", args=[eager_order.pk])
    client.get(page)  # templates compiled, caches warm
    page_times = [timed(lambda: client.get(page), "page")[0] for _ in range(5)]
    page_s = statistics.median(page_times)
    print(
        f"order page with {SCHOOLS} schools: median of 5 {page_s:.3f} s "
        f"(last: {CPU['page']:.3f} s CPU in Django)"
    )

    eager_s = confirm(client, eager_order, today, "eager")
    sent = len(mail.outbox) - SCHOOLS
    print(
        f"confirm without broker: {eager_s:.3f} s ({CPU['eager']:.3f} s CPU in Django), "
        f"{sent} e-mails sent in the request"
    )

    broker_s = None
    if redis_url:
        celery_app.conf.task_always_eager = False
        celery_app.conf.broker_url = redis_url
        broker_order = build(product, school_type, authority, 2)
        try:
            broker_s = confirm(client, broker_order, today, "broker")
        finally:
            celery_app.conf.task_always_eager = True
            purged = celery_app.control.purge()
        queued = OutgoingMail.objects.filter(order=broker_order, sent_at=None).count()
        print(
            f"confirm with broker: {broker_s:.3f} s ({CPU['broker']:.3f} s CPU in Django), "
            f"{queued} e-mails queued for the worker "
            f"({purged} tasks purged afterwards)"
        )
    return [
        (f"order admin page, {SCHOOLS} schools", page_s, PAGE_TARGET),
        (f"confirm {SCHOOLS} schools with broker", broker_s, CONFIRM_BROKER_TARGET),
        (f"confirm {SCHOOLS} schools without broker", eager_s, CONFIRM_EAGER_TARGET),
    ]


if __name__ == "__main__":
    sys.exit(main())
