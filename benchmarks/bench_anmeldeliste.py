"""Benchmark: the registration list check and the user's real upload, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python benchmarks/bench_anmeldeliste.py

Works in its own throwaway database ``<DATABASE_URL name>_bench_anmeldeliste``
(created and dropped). The school directory holds real NRW school names
(../shared/data/nrw-schuldaten.csv when present: Datenlizenz Deutschland –
Namensnennung – Version 2.0; Ministerium für Schule und Bildung des Landes
Nordrhein-Westfalen, open.nrw), and the uploaded lists spell them as people do
("Städt. Gymnasium" for "Städtisches Gymnasium", ae/oe/ue for umlauts, hyphens
for spaces, a letter left out), with real-looking contact persons, e-mail
addresses and phone numbers.

Measured per list size in rounds: each round reads the file raw, checks it and
uploads it once, in an order that rotates (``timed_rounds``); wall clock and CPU
time of this process plus its reader processes. The times are the medians of
the rounds; each ratio is the median of the ratios within a round, so that the
two calls of a ratio ran at the same speed of the shared machine:
- ``raw read``: python-calamine alone reading the same file in this process;
- ``check``: ``registration_check`` (read the file, check every row, no writes);
- ``upload``: what the user waits for: the POST of the file through Django's test
  Client, storing the checked list and rendering the preview page that answers it
  (any redirect followed);
- peak memory of every process involved in one 10,000-row upload (a fresh
  process: its peak RSS plus the peak RSS of each reader process it used).
Targets (issue 15): 1,000 rows ≤ 0.05 s and ≤ 3× the raw read; 10,000 rows
≤ 0.5 s; upload ≤ 2× the check; peak memory ≤ 150 MB at 10,000 rows.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench")

CSV_PATH = ROOT.parent / "shared" / "data" / "nrw-schuldaten.csv"
if not CSV_PATH.exists():
    CSV_PATH = Path("/work/shared/data/nrw-schuldaten.csv")
TYPE_NAMES = {
    "02": "Grundschule", "04": "Hauptschule", "08": "Förderschule", "10": "Realschule",
    "15": "Gesamtschule", "20": "Gymnasium", "25": "Weiterbildungskolleg",
    "30": "Berufskolleg",
}  # fmt: skip
HEADER = [
    "Schulnummer", "Schulname", "Schulform", "Adresse", "Vorname", "Nachname", "E-Mail",
    "Telefon",
]  # fmt: skip
SIZES = (1_000, 10_000)
TARGET_1K = 0.05
TARGET_1K_RAW_FACTOR = 3.0
TARGET_10K = 0.5
TARGET_UPLOAD_FACTOR = 2.0
TARGET_MEMORY_MB = 150.0
# Rounds of (raw read, check, upload) per list size (see ``timed_rounds``).
ROUNDS_1K, ROUNDS_10K = 25, 7

FIRST_NAMES = [
    "Jürgen", "Sören", "Björn", "Anne-Marie", "Özlem", "Käthe", "Maximilian", "Jörg",
    "Lea", "Hans-Peter", "Zoë", "Ayşe", "Günther", "Mareike", "Fabian", "Dörte", "Ümit",
    "Katharina", "Noah", "Renée",
]  # fmt: skip
LAST_NAMES = [
    "Müller", "Schäfer", "Weiß", "Köhler", "Groß", "Yılmaz", "Nguyen", "Schmitz",
    "Becker-Lüdenscheid", "von der Heyde", "Özdemir", "Jäger", "Krämer", "Hoffmann",
    "Schröder", "Wagner", "Bäumer", "Fuß", "Çelik", "Dahlmann",
]  # fmt: skip
# How people shorten the names of the directory.
ABBREVIATIONS = [
    ("Städtisches ", "Städt. "), ("Städtische ", "Städt. "), ("Katholische ", "Kath. "),
    ("Evangelische ", "Ev. "), ("Gemeinschaftsgrundschule", "Gemeinschafts-Grundschule"),
    ("Straße", "Str."), ("Sankt ", "St. "), ("Bischöfliches ", "Bischöfl. "),
]  # fmt: skip
ASCII_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})


def ascii_slug(text: str) -> str:
    text = text.lower().translate(ASCII_UMLAUTS).replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c if c.isalnum() else "-" for c in text).strip("-").replace("--", "-")


def real_names() -> list[tuple[str, str]]:
    """(school type key, name) of NRW schools, or made-up ones without the file."""
    names = []
    if CSV_PATH.exists():
        with CSV_PATH.open(encoding="utf-8") as handle:
            next(handle)  # sep=;
            for row in csv.DictReader(handle, delimiter=";"):
                if row["Schulform"] in TYPE_NAMES:
                    parts = (row["Schulbezeichnung_1"], row["Schulbezeichnung_2"])
                    names.append((row["Schulform"], " ".join(p for p in parts if p)[:300]))
    if not names:
        places = ["Köln-Mülheim", "Am Böcking", "Düsseldorfer Straße", "Porz-Zündorf"]
        names = [
            (key, f"Städtisches {TYPE_NAMES[key]} {place}")
            for key in TYPE_NAMES
            for place in places
        ]
    return names


def spelled_as_people_do(name: str, rng: random.Random) -> str:
    """The directory name as a person types it into the list."""
    choice = rng.random()
    if choice < 0.25:
        return name
    for long, short in ABBREVIATIONS:
        name = name.replace(long, short)
    if choice < 0.5:
        name = name.translate(ASCII_UMLAUTS).replace("ß", "ss")
    elif choice < 0.7:
        name = name.replace("-", " ")
    elif choice < 0.85:
        name = name.replace(" ", "-", 1)
    elif len(name) > 12:  # a typo: one letter left out
        cut = rng.randrange(4, len(name) - 4)
        name = name[:cut] + name[cut + 1 :]
    return name


def contact(index: int, school_name: str, rng: random.Random) -> list:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    domain = ascii_slug(school_name)[:40].strip("-") or "schule"
    local = rng.choice(
        [
            f"{ascii_slug(first)}.{ascii_slug(last)}",
            f"{ascii_slug(first)[0]}.{ascii_slug(last)}",
            "sekretariat",
            f"{ascii_slug(last)}{index % 97}",
        ]
    )
    email = rng.choice(
        [
            f"{local}@{domain}.de",
            f"{local}@schulen.koeln.de",
            f"{local.title()}@{domain}.nrw.schule",
            f"{local}+anmeldung@schule.example.org",
        ]
    )
    phone = rng.choice(["0221 / 35 48-12", "+49 221 1234567", "(0221) 221-9876", "02234 98765", ""])
    return [first, last, email, phone]


def build_world(sizes=SIZES):
    """School types with prices, and per size an authority with that many schools
    (real names, made-up numbers) and a user of it. Committed (throwaway DB)."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from licensing.models import Price, Product
    from schools.models import AuthorityMembership, School, SchoolAuthority, SchoolType

    names = real_names()
    with transaction.atomic():
        types = {
            key: SchoolType.objects.create(state="NW", key=key, name=name)
            for key, name in TYPE_NAMES.items()
        }
        product = Product.objects.create(code="bench", name="Benchmark-Produkt", vat_rate=7)
        Price.objects.bulk_create(
            Price(
                product=product,
                school_type=t,
                valid_from="2020-01-01",
                bulk_price="100.00",
                individual_price="150.00",
            )
            for t in types.values()
        )
        cases = []
        for size_index, n in enumerate(sizes, start=1):
            authority = SchoolAuthority.objects.create(
                customer_number=f"9{size_index:04d}", name=f"Stadt Bench {n}", state="NW"
            )
            School.objects.bulk_create(
                School(
                    authority=authority,
                    school_type=types[names[i % len(names)][0]],
                    school_number=f"{size_index * 100_000 + 100_000 + i:06d}",
                    name=names[i % len(names)][1],
                    street=f"Schulstraße {i % 200 + 1}",
                    postal_code=f"{50667 + i % 300:05d}",
                    city="Köln",
                )
                for i in range(n)
            )
            user = get_user_model().objects.create_user(
                username=f"bench{n}", email=f"bench{n}@example.org", password="x"
            )
            AuthorityMembership.objects.create(user=user, authority=authority)
            cases.append((n, authority, user))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return product, cases


def list_bytes(authority, seed: int) -> bytes:
    """An .xlsx as a user sends it: a title above the header, school numbers as
    numbers (Excel floats) or text, names as people spell them, contacts."""
    from openpyxl import Workbook

    from schools.models import School

    rng = random.Random(seed)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Anmeldeliste")
    sheet.append([f"Anmeldeliste {authority.name}"])
    sheet.append([])
    sheet.append(HEADER)
    schools = (
        School.objects.filter(authority=authority, is_active=True)
        .select_related("school_type")
        .order_by("school_number")
    )
    for i, school in enumerate(schools):
        number = int(school.school_number) if i % 3 else f" {school.school_number}"
        address = f"{school.street}, {school.postal_code} {school.city}"
        sheet.append(
            [
                number,
                spelled_as_people_do(school.name, rng),
                school.school_type.name,
                address,
                *contact(i, school.name, rng),
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- CPU and memory of this process and its children -----------------------------


def _children() -> list[int]:
    me = str(os.getpid())
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if stat.rsplit(")", 1)[1].split()[1] == me:
                pids.append(int(entry))
    return pids


def cpu_seconds() -> float:
    """CPU time of this process, its reaped children and its live children (the
    reader processes; from /proc/PID/schedstat, in nanoseconds: /proc/PID/stat
    counts in 10 ms ticks, too coarse for a 10 ms read)."""
    total = time.process_time()
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    total += reaped.ru_utime + reaped.ru_stime
    for pid in _children():
        try:
            total += int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
        except (OSError, ValueError, IndexError):
            continue
    return total


def _status_mb(pid: int | str, field: str = "VmHWM") -> float:
    """Peak (VmHWM) or current (VmRSS) resident memory of a live process. Not
    ``ru_maxrss``: Linux carries a parent's peak over into a child across exec."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def timed_rounds(functions: dict, rounds: int) -> dict[str, tuple[list, list]]:
    """Wall and CPU seconds of every call, ``rounds`` times each function, one call
    of each per round, in an order that rotates from round to round. The calls
    of one round are close in time, so a ratio of two of them (``paired``) is
    measured while the machine runs at one speed: a shared virtual machine runs
    the same work 1.5-2x slower for a few hundred milliseconds at a time, and
    medians taken one function after the other catch such a spell in one of
    them and not the other."""
    names = list(functions)
    walls: dict[str, list] = {name: [] for name in names}
    cpus: dict[str, list] = {name: [] for name in names}
    for number in range(rounds):
        shift = number % len(names)
        for name in names[shift:] + names[:shift]:
            cpu, wall = cpu_seconds(), time.perf_counter()
            functions[name]()
            walls[name].append(time.perf_counter() - wall)
            cpus[name].append(cpu_seconds() - cpu)
    return {name: (walls[name], cpus[name]) for name in names}


def paired(numerators: list, denominators: list) -> float:
    """Median of the ratios of the calls of the same round."""
    return statistics.median(a / b for a, b in zip(numerators, denominators, strict=True))


def spread(values: list) -> str:
    """The middle half of ``values`` (quartiles), for the report."""
    low, _median, high = statistics.quantiles(values, n=4)
    return f"{low:.2f}-{high:.2f}"


def verdict(label: str, measured: float, target: float, unit: str, extra: str = "") -> bool:
    met = measured <= target
    print(
        f"{label:<44} {measured:>8.3f} {unit:<3} target ≤ {target:.3f} {unit:<3} "
        f"{'MET' if met else 'MISSED'}{extra}",
        flush=True,
    )
    return met


def load() -> str:
    return "load " + " ".join(f"{x:.2f}" for x in os.getloadavg())


# --- the measurements ---------------------------------------------------------------


def raw_read(data: bytes):
    from python_calamine import CalamineWorkbook

    return CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()


def upload_client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def post_upload(client, authority, product, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    url = reverse("licensing:order_upload", args=[authority.pk, product.code])
    response = client.post(
        url, {"file": SimpleUploadedFile("anmeldeliste.xlsx", data)}, follow=True
    )
    assert response.status_code == 200, response.status_code
    assert response.has_header("Content-Location"), "the valid list was not stored"
    return response


def measure(n: int, authority, user, product, data: bytes) -> tuple[bool, dict]:
    from django.db import connection

    from licensing.services import registration_check

    def check():
        return registration_check(
            data=data, filename="anmeldeliste.xlsx", authority=authority, product=product
        )

    result = check()  # warm-up (and the reader process started)
    assert result.is_valid, result.messages[:5]
    assert result.row_count == n, result.row_count
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        check()
    client = upload_client(user)
    post_upload(client, authority, product, data)  # warm-up
    raw_read(data)
    measured = timed_rounds(
        {
            "raw": lambda: raw_read(data),
            "check": check,
            "upload": lambda: post_upload(client, authority, product, data),
        },
        ROUNDS_1K if n <= 1000 else ROUNDS_10K,
    )
    (raw_walls, raw_cpus), (check_walls, check_cpus), (upload_walls, upload_cpus) = (
        measured[name] for name in ("raw", "check", "upload")
    )
    raw_wall, check_wall, upload_wall = (
        statistics.median(walls) for walls in (raw_walls, check_walls, upload_walls)
    )
    check_cpu, upload_cpu = statistics.median(check_cpus), statistics.median(upload_cpus)
    size = f"{n:,}".replace(",", ".")
    print(
        f"{size} rows ({len(data) / 1024:.0f} KiB), {len(queries)} queries in the check, "
        f"{len(raw_walls)} rounds; medians: raw calamine read {raw_wall:.3f} s (CPU "
        f"{statistics.median(raw_cpus):.3f} s), check {check_wall:.3f} s, upload "
        f"{upload_wall:.3f} s; {load()}",
        flush=True,
    )
    ok = True
    cpu = f"  (CPU {check_cpu:.3f} s; {load()})"
    if n == 1000:
        ok &= verdict(f"check {size} rows [s]", check_wall, TARGET_1K, "s", cpu)
        raw_ratios = [a / b for a, b in zip(check_walls, raw_walls, strict=True)]
        ok &= verdict(
            f"check {size} rows / raw read [×]",
            paired(check_walls, raw_walls),
            TARGET_1K_RAW_FACTOR,
            "×",
            f"  (median of the rounds; middle half {spread(raw_ratios)}; ratio of the "
            f"medians {check_wall / raw_wall:.2f}, of the CPU medians "
            f"{check_cpu / statistics.median(raw_cpus):.2f})",
        )
    if n == 10_000:
        ok &= verdict(f"check {size} rows [s]", check_wall, TARGET_10K, "s", cpu)
    upload_ratios = [a / b for a, b in zip(upload_walls, check_walls, strict=True)]
    ok &= verdict(
        f"upload+preview {size} rows / check [×]",
        paired(upload_walls, check_walls),
        TARGET_UPLOAD_FACTOR,
        "×",
        f"  (median of the rounds; middle half {spread(upload_ratios)}; ratio of the "
        f"medians {upload_wall / check_wall:.2f}, of the CPU medians "
        f"{upload_cpu / check_cpu:.2f})",
    )
    return ok, {"raw": raw_wall, "check": check_wall, "upload": upload_wall}


def memory(n: int, authority, user, product, data: bytes) -> bool:
    """Peak RSS of a fresh process doing one upload of ``data`` plus the peak RSS
    of every reader process it used."""
    from django.conf import settings

    with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as handle:
        handle.write(data)
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    try:
        output = subprocess.run(
            [
                sys.executable,
                __file__,
                "--probe",
                handle.name,
                str(authority.pk),
                str(user.pk),
                str(product.pk),
            ],
            env={**os.environ, "DATABASE_URL": url},
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        os.unlink(handle.name)
    figures = json.loads(output.strip().splitlines()[-1])
    total = figures["parent"] + figures["children"]
    size = f"{n:,}".replace(",", ".")
    return verdict(
        f"peak RSS, all processes, upload {size} rows [MB]",
        total,
        TARGET_MEMORY_MB,
        "MB",
        f"  (web process {figures['parent']:.0f} MB, of which {figures['before']:.0f} MB "
        f"before the upload; reader processes {figures['children']:.0f} MB; {load()})",
    )


def probe(path: str, authority_id: str, user_id: str, product_id: str) -> None:
    """Runs in a fresh process: one upload, then its peak RSS and its children's."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from licensing.models import Product
    from schools.models import SchoolAuthority

    authority = SchoolAuthority.objects.get(pk=authority_id)
    product = Product.objects.get(pk=product_id)
    client = upload_client(get_user_model().objects.get(pk=user_id))
    data = Path(path).read_bytes()
    before = _status_mb("self")
    post_upload(client, authority, product, data)
    # Live reader processes by their own peak; reaped ones (a fork per upload) by
    # ru_maxrss, which for a fork counts the pages it shares with this process.
    children = sum(_status_mb(pid) for pid in _children())
    children += resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    parent = _status_mb("self")
    print(json.dumps({"parent": parent, "children": children, "before": before}))


def main() -> int:
    import django
    from django.conf import settings

    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith("postgresql"):
        print("DATABASE_URL must name a PostgreSQL database")
        return 2
    db.setdefault("TEST", {})["NAME"] = f"{db['NAME']}_bench_anmeldeliste"
    django.setup()
    from django.db import connection

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    ok = True
    try:
        product, cases = build_world()
        print(
            f"Python {sys.version.split()[0]}, Django {django.get_version()}, PostgreSQL "
            f"{connection.cursor().connection.info.server_version}, {os.cpu_count()} CPUs, "
            f"{load()}",
            flush=True,
        )
        for n, authority, user in cases:
            data = list_bytes(authority, seed=n)
            passed, _figures = measure(n, authority, user, product, data)
            ok &= passed
            if n == 10_000:
                ok &= memory(n, authority, user, product, data)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--probe":
        probe(*sys.argv[2:])
    else:
        raise SystemExit(main())
