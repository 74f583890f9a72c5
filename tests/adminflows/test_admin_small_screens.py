"""The publisher's back office in headless Chromium at a desktop (1280 px), the
iPhone 12–15 (390 px) and the smallest common Android (360 px), as the portal's
pages are checked in tests/test_accessibility.py: no admin page scrolls sideways
(a table may scroll inside its own box, as the changelist's ``.results`` does), and
axe finds no serious or critical violation of our own markup.

Each role's staff account walks every admin page it may open: the start page, the
app pages, each registered model's changelist, add page and change pages (the
first and the last object, and the long ones below), the work queue, every action
that asks for input (config/admin_actions.py), the bank statement import and its
preview, the SEPA file page. The world is the admin flows' demo world (every state
an order, invoice and refund reaches) with the long names of tests/long_content.py
on authorities, schools, contacts, bank entries and refund accounts, plus a checked
registration list, a log-in attempt and a second-factor device with long values."""

import datetime
import re
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from invoicing import bank_services, payouts
from invoicing.bank_models import BankEntry, BankImport
from licensing.models import Order, OrderSchool
from licensing.registration import registration_template
from licensing.services import registration_check, registration_upload_store
from portal.roles import BUCHHALTUNG, LESEN, VERTRIEB
from schools.models import Invitation, School, SchoolType
from tests import browser as browser_fixtures
from tests.adminflows.test_role_matrix import CASES, matrix_world  # noqa: F401 (fixture)
from tests.factories import (
    OrderSchoolFactory,
    PriceFactory,
    ProductFactory,
    SchoolAuthorityFactory,
    UserFactory,
)
from tests.invoicing.bank_files import Tx, camt053
from tests.invoicing.factories import RefundFactory
from tests.long_content import LONG_AUTHORITY, LONG_EMAIL, LONG_SCHOOL
from tests.portal_world import filled_list
from tests.test_accessibility import DESKTOP, OVERFLOW, PHONE, SMALL_PHONE

browser = browser_fixtures.browser
browser_page = browser_fixtures.browser_page
axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")

SUPERUSER = "Superuser"
ACCOUNTS = {  # the broadest (everything), both working roles together, the narrowest
    SUPERUSER: [],
    f"{VERTRIEB}+{BUCHHALTUNG}": [VERTRIEB, BUCHHALTUNG],
    LESEN: [LESEN],
}
LONG_REMITTANCE = (
    "Rechnung RE-2026-00042 Gemeinschaftshauptschule Förderschwerpunkt Lernen "
    "https://www.stadt-koeln.example.org/schulverwaltungsamt/zahlungen/2026/rechnungsnummer"
)
LONG_WORD = "Schulverwaltungsangelegenheitenzahlungsverkehrsabwicklungsstelle"
EXTRA_SCHOOLS = 30

# Actions that show a page of their own (config/admin_actions.py action_form_page,
# the bank entry's assignment); the objects are the role matrix's cases.
ACTION_PAGES = [
    "licensing.Order.confirm_orders",
    "licensing.Order.reject_orders",
    "invoicing.Invoice.cancel_and_reissue",
    "invoicing.Invoice.record_payment",
    "invoicing.Payment.resolve",
    "invoicing.Refund.mark_paid_out",
    "invoicing.Refund.enter_account",
    "invoicing.RefundTransfer.mark_paid",
    "invoicing.RefundTransfer.withdraw",
    "invoicing.Credit.mark_paid_back",
    "invoicing.BankEntry.assign",
    "invoicing.BankEntry.leave",
]

# axe findings in markup of Django's stock admin templates and widgets (not ours),
# by rule id and a part of the element's selector; every other serious or critical
# finding fails, on every page (our templates/admin/ and our ModelAdmins' fields).
STOCK_AXE_FINDINGS: dict[str, tuple[str, ...]] = {
    # admin/js/SelectFilter2.js (filter_horizontal of users and groups) puts an
    # aria-label on the search icon's <span>.
    "aria-prohibited-attr": (".help-tooltip.search-label-icon",),
    # admin/widgets/split_datetime.html: one label for the date and time inputs;
    # admin/edit_inline/tabular.html: the column header names a row's fields, no
    # <label> per row (inline prices, memberships, the delete boxes).
    "label": (
        "#id_last_login_",
        "#id_date_joined_",
        "#id_throttling_failure_timestamp_",
        "#id_prices-",
        "#id_memberships-",
        "-DELETE",
    ),
    "label-title-only": ("#id_memberships-", "#searchbar"),  # tabular.html, search_form.html
    "select-name": ("#id_prices-",),  # tabular.html
    # autocomplete_fields: Django's vendored Select2 combobox has no accessible name.
    "aria-input-field-name": ("select2",),
    # admin/edit_inline/tabular.html: on a phone the inline's table scrolls inside
    # its .inline-group, which is not focusable.
    "scrollable-region-focusable": ("-group",),
}


@pytest.fixture
def authority(db):
    return SchoolAuthorityFactory(name=LONG_AUTHORITY, email=LONG_EMAIL)


def _long_bank_import(*, statement: str, ref: str, by):
    data = camt053(
        [
            Tx("12.34", LONG_REMITTANCE, ref=f"{ref}1", name=LONG_AUTHORITY),
            Tx("99.00", LONG_WORD, ref=f"{ref}2", name=LONG_SCHOOL),
        ],
        statement_id=statement,
    )
    return bank_services.bank_import_store(
        data=data, filename=f"{LONG_WORD}-{statement}.xml", by=by
    )


@pytest.fixture
def long_world(matrix_world, publisher_user):  # noqa: F811
    """The role matrix's world with long names on everything a page shows."""
    w = dict(matrix_world)
    authority = w["running"].authority
    for school in School.objects.filter(authority=authority):
        School.objects.filter(pk=school.pk).update(name=f"{LONG_SCHOOL} {school.pk}")
    for entry in OrderSchool.objects.filter(order__authority=authority):
        OrderSchool.objects.filter(pk=entry.pk).update(contact_email=f"{entry.pk}.{LONG_EMAIL}")
    school_type = w["submitted"].schools.first().school.school_type
    for number in range(EXTRA_SCHOOLS):
        OrderSchoolFactory(
            order=w["submitted"],
            school__authority=authority,
            school__school_type=school_type,
            school__name=f"{LONG_SCHOOL} {number}",
            contact_email=f"{number}.{LONG_EMAIL}",
        )
    UserFactory(
        username=f"verlag.{LONG_EMAIL}"[:150],
        first_name="Maria-Theresia",
        last_name="Müller-Lüdenscheidt-Hohenzollern",
        email=LONG_EMAIL,
        is_staff=True,
    )
    booked = _long_bank_import(statement="2027-03-16-0001", ref="L", by=publisher_user)
    bank_services.bank_import_book(bank_import=booked, by=publisher_user)
    w["long_entry"] = BankEntry.objects.filter(
        status=BankEntry.Status.REVIEW, remittance=LONG_REMITTANCE
    ).first()
    w["draft_import"] = _long_bank_import(statement="2027-03-17-0001", ref="D", by=publisher_user)
    due = RefundFactory(
        number="ER-2099-00003",
        individual_licence__school__name=f"{LONG_SCHOOL} Erstattung",
        individual_licence__school__authority=authority,
    )
    payouts.refund_account_save(
        refund=due, holder=LONG_WORD, iban="DE89370400440532013000", staff=True
    )
    Invitation.objects.create(
        authority=authority,
        email=f"neu.{LONG_EMAIL}",
        invited_by=publisher_user,
        expires_at=timezone.now() + datetime.timedelta(days=7),
    )
    _long_upload(authority, publisher_user)
    _long_sign_in_records(publisher_user)
    return w


def _long_upload(authority, user) -> None:
    """A checked registration list of the long-named schools for a product none of
    them has yet, under a long file name."""
    product = ProductFactory(name=f"Digitale Schulbuchsammlung {LONG_WORD}", code="LANG")
    for school_type in SchoolType.objects.filter(schools__authority=authority).distinct():
        PriceFactory(product=product, school_type=school_type, valid_from=datetime.date(2020, 1, 1))
    data = filled_list(registration_template(authority=authority, product=product))
    filename = f"Anmeldeliste {LONG_AUTHORITY} {LONG_WORD}.xlsx"
    result = registration_check(data=data, filename=filename, authority=authority, product=product)
    assert result.is_valid, result.messages
    registration_upload_store(
        authority=authority, product=product, data=data, filename=filename, result=result, by=user
    )


def _long_sign_in_records(user) -> None:
    """A locked-out log-in attempt and a second-factor device with long values."""
    AccessAttempt.objects.create(
        username=f"anmeldung.{LONG_EMAIL}",
        ip_address="2001:db8:85a3::8a2e:370:7334",
        user_agent=f"Mozilla/5.0 (Linux; Android 14; {LONG_WORD}) AppleWebKit/537.36",
        http_accept="text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        path_info="/konto/anmelden/" + "weiter/" * 12,
        get_data="",
        post_data=f"username=anmeldung.{LONG_EMAIL}",
        failures_since_start=5,
    )
    TOTPDevice.objects.create(user=user, name=LONG_WORD, confirmed=True)


def staff_account(name: str):
    user = UserFactory(
        username=f"verwaltung-{name.lower().replace('+', '-')}",
        is_staff=True,
        is_superuser=name == SUPERUSER,
    )
    user.groups.set(Group.objects.filter(name__in=ACCOUNTS[name]))
    return user


def admin_request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def _model_pages(user, world) -> list[tuple[str, str]]:
    request = admin_request(user)
    extra = {  # long ones the first/last objects may miss
        Order: [world["submitted"]],
        BankImport: [world["draft_import"]],
        BankEntry: [world["long_entry"]],
    }
    pages = []
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        if not model_admin.has_view_or_change_permission(request):
            continue
        name = f"{opts.app_label}_{opts.model_name}"
        pages.append((f"{opts.label} changelist", reverse(f"admin:{name}_changelist")))
        if model_admin.has_add_permission(request):
            pages.append((f"{opts.label} add", reverse(f"admin:{name}_add")))
        objects = model_admin.get_queryset(request).order_by("pk")
        shown = [objects.first(), objects.last(), *extra.get(model, [])]
        for pk in dict.fromkeys(obj.pk for obj in shown if obj is not None):
            label = "order change" if model is Order else f"{opts.label} change"
            pages.append((f"{label} {pk}", reverse(f"admin:{name}_change", args=[pk])))
    return pages


def admin_pages(user, world) -> list[tuple[str, str]]:
    """Every admin page ``user`` may open: (label, path)."""
    request = admin_request(user)
    pages = [("index", reverse("admin:index")), ("work queue", reverse("admin_work_queue"))]
    pages += [
        (f"app {app['app_label']}", reverse("admin:app_list", args=[app["app_label"]]))
        for app in admin.site.get_app_list(request)
    ]
    pages += _model_pages(user, world)
    pages.append(("password change", reverse("admin:password_change")))
    if user.has_perm("invoicing.import_bankstatement"):
        pages.append(("bank import upload", reverse("admin:invoicing_bankstatement_import")))
        pages.append(
            (
                "bank import preview",
                reverse(
                    "admin:invoicing_bankstatement_import_preview",
                    args=[world["draft_import"].pk],
                ),
            )
        )
    if user.is_superuser:
        pages.append(("user password", reverse("admin:auth_user_password_change", args=[user.pk])))
    return pages


def log_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def too_wide(page, width: int) -> str | None:
    page.set_viewport_size({"width": width, "height": 800})
    found = page.evaluate(OVERFLOW)
    if found["scrollWidth"] <= found["innerWidth"]:
        return None
    return f"{width} px: {found['scrollWidth']} px wide; sticking out: {found['elements']}"


def _is_stock(rule: str, node: dict) -> bool:
    target = " ".join(str(part) for part in node["target"])
    return any(selector in target for selector in STOCK_AXE_FINDINGS.get(rule, ()))


def axe_findings(page) -> list[str]:
    """Serious and critical axe violations, without Django's stock ones."""
    results = axe_sync.Axe().run(page)
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] not in ("serious", "critical"):
            continue
        nodes = [n for n in violation["nodes"] if not _is_stock(violation["id"], n)]
        found += [f"axe {violation['id']}: {n['target']} {n['html'][:120]}" for n in nodes]
    return found


def check(page, label: str) -> list[str]:
    """Width at 1280, 390 and 360 px (axe at 1280 and 390 px): what failed."""
    failures = []
    for width in (DESKTOP, PHONE, SMALL_PHONE):
        problem = too_wide(page, width)
        if problem:
            failures.append(f"{label} ({page.url}) at {problem}")
        if width != SMALL_PHONE:
            failures += [f"{label} at {width} px: {f}" for f in axe_findings(page)]
    page.set_viewport_size({"width": DESKTOP, "height": 800})
    return failures


def with_input_error(page) -> bool:
    """Post the payment form with an amount that is no number: it comes back with
    its error message (nothing is recorded)."""
    page.get_by_label("Betrag (€)").fill("zwölf Euro")
    with page.expect_navigation():
        page.locator("input[name=apply]").click()
    return page.locator(".errornote").count() > 0


def open_action_page(page, live_server, action: str, world) -> bool:
    """Select the case's objects on the changelist and run ``action`` (no input)."""
    label, name = action.rsplit(".", 1)
    select, _data = CASES[action]
    app_label, model_name = label.lower().split(".")
    pks = [world["long_entry"].pk] if action == "invoicing.BankEntry.assign" else select(world)
    page.goto(f"{live_server.url}{reverse(f'admin:{app_label}_{model_name}_changelist')}")
    if page.locator(f"select[name=action] option[value={name}]").count() == 0:
        return False  # not offered to this role
    for pk in pks:
        page.locator(f"input.action-select[value='{pk}']").check()
    page.locator("select[name=action]").select_option(name)
    with page.expect_navigation():
        page.locator("button[name=index]").click()
    return page.locator("input[name=apply]").count() == 1


@pytest.mark.browser
@pytest.mark.parametrize("account", list(ACCOUNTS))
def test_every_admin_page_fits_a_phone(account, long_world, live_server, browser_page):
    page = browser_page
    page.set_viewport_size({"width": DESKTOP, "height": 800})
    user = staff_account(account)
    failures = []
    page.goto(f"{live_server.url}{reverse('admin:login')}")
    failures += check(page, "login")
    log_in(page, live_server, user)
    pages = admin_pages(user, long_world)
    for label, path in pages:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, f"{label}: {path} answers {response.status}"
        failures += check(page, label)
        if page.locator("h1").count() != 1:
            failures.append(f"{label}: {page.locator('h1').count()} h1 headings")
    shown = 0
    for action in ACTION_PAGES:
        if open_action_page(page, live_server, action, long_world):
            shown += 1
            failures += check(page, f"action {action}")
            if page.locator("h1").count() != 1:
                failures.append(f"action {action}: {page.locator('h1').count()} h1 headings")
            if action == "invoicing.Invoice.record_payment" and with_input_error(page):
                failures += check(page, f"action {action} with an error")
    assert len(pages) > 20
    if account == SUPERUSER:  # the long objects of every kind have their change page here
        changes = {label.rsplit(" ", 1)[0] for label, _path in pages}
        assert {
            "licensing.RegistrationUpload change",
            "axes.AccessAttempt change",
            "otp_totp.TOTPDevice change",
        } <= changes, changes
    if account != LESEN:
        assert shown > 0
    assert failures == [], "\n".join(failures)


TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "admin"
SCROLL_BOX = re.compile(
    r'<div class="table-scroll" tabindex="0" role="group" aria-labelledby="([^"]+)">\s*<table'
)


def test_every_table_of_our_admin_pages_scrolls_in_its_own_named_box():
    """A table of templates/admin/ sits in a focusable .table-scroll box named by a
    heading or caption of the same template (static/css/admin.css lets it scroll)."""
    bare, unnamed = [], []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text()
        boxes = SCROLL_BOX.findall(text)
        if len(boxes) != text.count("<table"):
            bare.append(path.name)
        unnamed += [f"{path.name}: {box}" for box in boxes if f'id="{box}"' not in text]
    assert bare == [], "tables without their scrolling box"
    assert unnamed == [], "boxes named by an id that is not in the template"


@pytest.mark.browser
def test_work_queue_tasks_are_links_in_view_on_a_small_phone(long_world, live_server, browser_page):
    """At 360 px each task of the work queue is a link on screen, without scrolling
    its table sideways; at desktop width the "bearbeiten" column is there too."""
    page = browser_page
    log_in(page, live_server, staff_account(SUPERUSER))
    page.goto(f"{live_server.url}{reverse('admin_work_queue')}")
    links = "table.work-queue tbody a"
    in_view = """(selector) => [...document.querySelectorAll(selector)]
        .filter(a => a.getClientRects().length)
        .map(a => {
            const r = a.getBoundingClientRect();
            return [a.textContent, r.left, r.right];
        })"""
    page.set_viewport_size({"width": DESKTOP, "height": 800})
    desktop = page.evaluate(in_view, links)
    page.set_viewport_size({"width": SMALL_PHONE, "height": 800})
    phone = page.evaluate(in_view, links)
    tasks = page.locator("table.work-queue tbody th").count()
    assert tasks > 5
    assert len(desktop) == 2 * tasks
    assert len(phone) == tasks
    assert [box for box in phone if box[1] < 0 or box[2] > SMALL_PHONE] == []
    assert page.evaluate("document.querySelector('.table-scroll').scrollWidth") <= SMALL_PHONE
