"""BITV 2.0 / WCAG 2.1 AA and small screens (issue 13) on every portal page, in
headless Chromium: axe-core (bundled with axe-playwright-python, nothing is
downloaded at run time) finds no violation at 1280 px and at 390 px, and no page
scrolls sideways at 1280, 390 or 360 px. All axe rules run, WCAG 2.0/2.1 A and AA
and axe's best practices. The pages are filled with long content
(tests/long_content.py), so a page that only fits while its data is short fails.
Every URL of the portal is either a page here or listed as no page
(``test_every_portal_url_is_checked``)."""

import re
from io import BytesIO
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.urls import resolve, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice
from openpyxl import load_workbook
from playwright.sync_api import expect

from invoicing.payout_links import refund_account_token
from invoicing.refunds import refund_create_for_superseded
from licensing.registration import registration_template
from schools.team import invitation_create, invitation_token
from tests import browser as browser_fixtures
from tests.browser import login
from tests.factories import IndividualLicenceFactory, MembershipFactory, SchoolAuthorityFactory
from tests.long_content import LONG_AUTHORITY, LONG_EMAIL, LONG_SCHOOL, add_long_content
from tests.portal_world import PASSWORD, build_world, filled_list
from tests.portal_world import _upload as store_upload
from tests.test_portal_access import walk

# Playwright fixtures (a headless Chromium) from tests/browser.py.
browser = browser_fixtures.browser
browser_page = browser_fixtures.browser_page

axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")

GOOD_IBAN = "DE89 3704 0044 0532 0130 00"

# Every portal page: the name of the URL it is shown under (None: an error page,
# reached from whatever URL fails).
PAGES = {
    "landing": "home",
    "login": "login",
    "login_errors": "login",
    "login_locked": "login",
    "password_reset": "password_reset",
    "password_reset_done": "password_reset_done",
    "password_reset_confirm": "password_reset_confirm",
    "password_reset_complete": "password_reset_complete",
    "impressum": "impressum",
    "datenschutz": "datenschutz",
    "two_factor": "otp_verify",
    "authority_choice": "portal:start",
    "dashboard": "portal:dashboard",
    "school_list": "schools:school_list",
    "billing_data": "schools:billing_data",
    "billing_data_errors": "schools:billing_data",
    "team": "schools:team",
    "invitation_accept": "schools:invitation_accept",
    "invitation_invalid": "schools:invitation_accept",
    "order_products": "licensing:order_products",
    "order_upload": "licensing:order_upload",
    "upload_file_error": "licensing:order_upload",
    "upload_result_errors": "licensing:order_upload",
    "preview": "licensing:order_preview",
    "preview_replaced": "licensing:order_upload",  # redirected, with a message
    "upload_file_replaced": "licensing:order_upload_file",
    "submitted": "licensing:order_submitted",
    "order_detail": "orders:detail",
    "order_detail_cancelled": "orders:detail",
    "order_detail_submitted": "orders:detail",
    "order_detail_rejected": "orders:detail",
    "order_detail_ended": "orders:detail",
    "cancel": "orders:cancel",
    "withdraw": "orders:withdraw",
    "invoice_list": "invoicing:invoice_list",
    "refund_account": "invoicing:refund_account",
    "refund_account_errors": "invoicing:refund_account",
    "refund_account_done": "invoicing:refund_account",
    "refund_account_refused": "invoicing:refund_account",
    "error_400": None,
    "error_403": None,
    "error_403_csrf": None,
    "error_404": None,
    "error_404_logged_in": None,
    "error_500": None,
}
# URLs that show no page of their own: downloads, POST-only actions, the health check.
NOT_PAGES = {
    "health": "JSON for the load balancer",
    "logout": "POST only; redirects to the start page",
    "licensing:order_template": "Excel download",
    "licensing:order_submit": "POST only; redirects to the submitted page",
    "invoicing:invoice_pdf": "PDF download",
    "invoicing:invoice_xml": "XML download",
    "invoicing:invoice_breakdown": "Excel download",
    "schools:member_remove": "POST only; redirects to the team page",
    "schools:member_make_manager": "POST only; redirects to the team page",
}

# Widths: a desktop, the iPhone 12–15 (390 px) and the smallest common Android (360 px).
DESKTOP, PHONE, SMALL_PHONE = 1280, 390, 360

# What makes the page too wide, for the failure message: elements reaching past
# the right edge, and elements whose own text runs past their box (a long word),
# neither inside a scrolling box.
OVERFLOW = """() => {
  const limit = document.documentElement.clientWidth;
  const scrolls = (e) => ["auto", "scroll", "hidden"].includes(getComputedStyle(e).overflowX);
  const inScroller = (e) => {
    for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
      if (scrolls(p)) return true;
    }
    return false;
  };
  const describe = (e, width) => {
    const classes = typeof e.className === "string" ? e.className.trim().split(/\\s+/) : [];
    return e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
      classes.map((c) => (c ? "." + c : "")).join("") + " (" + Math.round(width) + " px)";
  };
  const found = [];
  for (const e of document.body.querySelectorAll("*")) {
    if (inScroller(e)) continue;
    const right = e.getBoundingClientRect().right;
    if (right > limit + 0.5) found.push(describe(e, right));
    const ownText = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (ownText && !scrolls(e) && e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0) {
      found.push("text in " + describe(e, e.getBoundingClientRect().left + e.scrollWidth));
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
          elements: found.slice(0, 8)};
}"""


# Pages whose tables are wider than a phone with tests/long_content.py: there a
# table must scroll inside its .table-responsive box (else the data proves nothing).
WIDE_TABLES = {
    "dashboard",
    "school_list",
    "team",
    "order_products",
    "upload_result_errors",
    "order_detail",
    "invoice_list",
}
TABLE_SCROLLS = """() => [...document.querySelectorAll(".table-responsive")].some(
  (box) => box.scrollWidth > box.clientWidth)"""


def assert_no_violations(page) -> None:
    results = axe_sync.Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def assert_fits(page, width: int) -> None:
    """No horizontal page scroll at ``width``: documentElement.scrollWidth <= innerWidth."""
    page.set_viewport_size({"width": width, "height": 800})
    found = page.evaluate(OVERFLOW)
    assert found["scrollWidth"] <= found["innerWidth"], (
        f"{page.url} scrolls sideways at {width} px: {found['scrollWidth']} px wide; "
        f"sticking out: {found['elements']}"
    )


def _upload(page, path) -> None:
    page.get_by_label("Ausgefüllte Anmeldeliste").set_input_files(str(path))
    page.get_by_role("button", name="Liste hochladen und prüfen").click()
    page.wait_for_load_state()


def _refund(world):
    """A refund to a school of ``world`` with a long name."""
    licence = IndividualLicenceFactory(
        school__authority=world.authority, school__name=f"{LONG_SCHOOL} 0"
    )
    quarter = licence.start_date + (licence.end_date - licence.start_date) / 4
    return refund_create_for_superseded(individual_licence=licence, bulk_start=quarter, on=quarter)


def _open_public(name, page, base, world) -> bool:
    """Open ``name`` if it is a page without login; False if it is none."""
    paths = {
        "landing": "/",
        "login": "/anmelden/",
        "password_reset": "/passwort-vergessen/",
        "password_reset_done": "/passwort-vergessen/gesendet/",
        "password_reset_complete": "/passwort-neu/fertig/",
        "impressum": "/impressum/",
        "datenschutz": "/datenschutz/",
        "error_404": "/gibt-es-nicht/",
    }
    if name == "password_reset_confirm":
        uid = urlsafe_base64_encode(force_bytes(world.user.pk))
        token = default_token_generator.make_token(world.user)
        paths[name] = f"/passwort-neu/{uid}/{token}/"
    if name.startswith("refund_account"):
        refund = _refund(world)
        token = refund_account_token(refund=refund)
        if name == "refund_account_refused":
            token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
        paths[name] = reverse("invoicing:refund_account", args=[refund.pk, token])
    if name.startswith("invitation"):
        invitation = invitation_create(
            authority=world.authority, email=f"eingeladen.{LONG_EMAIL}", by=world.user
        )
        token = invitation_token(invitation)
        if name == "invitation_invalid":
            token = token[:-2] + "xx"
        paths[name] = reverse("schools:invitation_accept", args=[world.authority.pk, token])
    if name not in paths:
        return False
    page.goto(base + paths[name])
    page.wait_for_load_state()
    if name == "refund_account_errors":
        page.get_by_label("Kontoinhaber").fill(LONG_SCHOOL)
        page.get_by_label("IBAN").fill("DE00" + "1234567890" * 4)
        page.get_by_role("button", name="Konto speichern").click()
        page.wait_for_load_state()
        expect(page.get_by_role("alert")).not_to_have_count(0)
    elif name == "refund_account_done":
        page.get_by_label("Kontoinhaber").fill(LONG_SCHOOL)
        page.get_by_label("IBAN").fill(GOOD_IBAN)
        page.get_by_role("button", name="Konto speichern").click()
        page.wait_for_load_state()
    return True


def _open_login_failures(name, page, base, world, settings) -> bool:
    if name not in ("login_errors", "login_locked", "error_400", "error_403_csrf"):
        return False
    if name == "login_locked":
        settings.AXES_ENABLED = True
        settings.AXES_FAILURE_LIMIT = 1
    page.goto(f"{base}/anmelden/")
    page.get_by_label("Benutzername").fill(world.user.username)
    page.get_by_label("Passwort").fill("falsch")
    if name == "error_403_csrf":
        page.context.clear_cookies()  # the CSRF cookie is gone, as after a long pause
    if name == "error_400":
        # A form body above DATA_UPLOAD_MAX_MEMORY_SIZE is refused with 400.
        page.evaluate(
            """(size) => {
              const i = document.createElement("input");
              i.type = "hidden"; i.name = "padding"; i.value = "x".repeat(size);
              document.querySelector("main form").append(i);
            }""",
            settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1,
        )
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_load_state()
    return True


def _upload_with_errors(page, world, tmp_path) -> None:
    data = filled_list(
        registration_template(authority=world.authority, product=world.draft_product)
    )
    workbook = load_workbook(BytesIO(data))
    sheet = workbook["Anmeldeliste"]
    sheet.cell(row=5, column=7, value="maria(at)schule")
    sheet.cell(row=6, column=7, value=LONG_EMAIL.replace("@", "(at)"))
    sheet.cell(row=7, column=5, value=None)
    path = tmp_path / "Anmeldeliste mit einem sehr langen Dateinamen_Schulverwaltungsamt.xlsx"
    workbook.save(path)
    _upload(page, path)
    expect(page.get_by_role("heading", name="Die Anmeldeliste hat Fehler")).to_have_count(1)


def open_page(name, page, live_server, world, tmp_path, settings) -> None:
    """Go to the page ``name`` as a user of ``world`` would see it."""
    base = live_server.url
    a = world.authority.pk
    if _open_public(name, page, base, world):
        return
    if _open_login_failures(name, page, base, world, settings):
        return
    user = world.user
    if name == "two_factor":
        TOTPDevice.objects.create(user=user, name="App", confirmed=True)
    if name == "authority_choice":
        MembershipFactory(user=user, authority=SchoolAuthorityFactory(name=LONG_AUTHORITY))
    if name == "error_403":  # the team page for a member who is no Verwalter
        user = world.colleague_membership.user
    if name == "error_500":
        settings.ROOT_URLCONF = "tests.crash_urls"
    if name in ("preview_replaced", "upload_file_replaced"):  # a colleague uploaded a newer list
        store_upload(world.authority, world.draft_product, user)
    login(page, live_server, username=user.username, password=PASSWORD)
    orders = world.orders
    urls = {
        "dashboard": f"/traeger/{a}/",
        "school_list": f"/traeger/{a}/schulen/",
        "billing_data": f"/traeger/{a}/rechnungsdaten/",
        "billing_data_errors": f"/traeger/{a}/rechnungsdaten/",
        "order_products": f"/traeger/{a}/bestellen/",
        "order_upload": f"/traeger/{a}/bestellen/{world.product.code}/",
        "upload_file_error": f"/traeger/{a}/bestellen/{world.product.code}/",
        "upload_result_errors": f"/traeger/{a}/bestellen/{world.draft_product.code}/",
        "preview": f"/traeger/{a}/bestellen/entwurf/{world.draft.pk}/",
        "preview_replaced": f"/traeger/{a}/bestellen/entwurf/{world.draft.pk}/",
        "upload_file_replaced": f"/traeger/{a}/bestellen/entwurf/{world.draft.pk}/datei/",
        "submitted": f"/traeger/{a}/bestellen/eingegangen/{orders['submitted'].pk}/",
        "order_detail": f"/traeger/{a}/bestellungen/{orders['confirmed'].pk}/",
        "order_detail_cancelled": f"/traeger/{a}/bestellungen/{orders['cancelled'].pk}/",
        "order_detail_submitted": f"/traeger/{a}/bestellungen/{orders['submitted'].pk}/",
        "order_detail_rejected": f"/traeger/{a}/bestellungen/{orders['rejected'].pk}/",
        "order_detail_ended": f"/traeger/{a}/bestellungen/{orders['ended'].pk}/",
        "authority_choice": "/start/",
        "cancel": f"/traeger/{a}/bestellungen/{orders['confirmed'].pk}/kuendigen/",
        "withdraw": f"/traeger/{a}/bestellungen/{orders['cancelled'].pk}/kuendigung-zuruecknehmen/",
        "invoice_list": f"/traeger/{a}/rechnungen/",
        "two_factor": "/anmelden/zwei-faktor/",
        "team": f"/traeger/{a}/team/",
        "error_403": f"/traeger/{a}/team/",
        "error_500": "/test-absturz/",
        "error_404_logged_in": f"/traeger/{a}/bestellungen/999999999/",
    }
    page.goto(base + urls[name])
    if name == "upload_file_error":
        path = tmp_path / "liste.xlsx"
        path.write_bytes(b"kein Excel")
        _upload(page, path)
        assert page.get_by_role("alert").count() >= 1
    elif name == "upload_result_errors":
        _upload_with_errors(page, world, tmp_path)
    elif name == "billing_data_errors":
        page.get_by_label("E-Mail für Rechnungen").fill(LONG_EMAIL.replace("@", "(at)"))
        page.get_by_role("button", name="Rechnungsdaten speichern").click()
        page.wait_for_load_state()
        expect(page.get_by_role("alert")).not_to_have_count(0)


ERROR_HEADINGS = {
    "error_400": "Ungültige Anfrage (Fehler 400)",
    "error_403": "Zugriff verweigert (Fehler 403)",
    "error_403_csrf": "Sicherheitsprüfung fehlgeschlagen (Fehler 403)",
    "error_404": "Seite nicht gefunden (Fehler 404)",
    "error_404_logged_in": "Seite nicht gefunden (Fehler 404)",
    "error_500": "Serverfehler (Fehler 500)",
}


def _assert_reached(page, name) -> None:
    """The page is the one meant: shown under its URL name, or the error page."""
    if PAGES[name] is None:
        expect(page.get_by_role("heading", level=1)).to_have_text(ERROR_HEADINGS[name])
    else:
        assert resolve(urlparse(page.url).path).view_name == PAGES[name], page.url
    assert page.locator("h1").count() == 1


@pytest.fixture
def long_world(transactional_db):
    world = build_world(name=LONG_AUTHORITY)
    add_long_content(world)
    return world


@pytest.mark.browser
@pytest.mark.parametrize("name", list(PAGES))
def test_page_fits_small_screens_and_has_no_axe_violations(
    name, long_world, live_server, browser_page, tmp_path, settings
):
    page = browser_page
    page.set_viewport_size({"width": DESKTOP, "height": 800})
    open_page(name, page, live_server, long_world, tmp_path, settings)
    _assert_reached(page, name)
    assert_fits(page, DESKTOP)
    assert_no_violations(page)
    assert_fits(page, SMALL_PHONE)
    if name in WIDE_TABLES:  # the content is long enough to need the table's own scroll
        assert page.evaluate(TABLE_SCROLLS), f"no table of {name} scrolls at {SMALL_PHONE} px"
    assert_fits(page, PHONE)
    assert_no_violations(page)


@pytest.mark.browser
def test_navbar_collapses_and_abmelden_is_reachable_on_a_phone(
    long_world, live_server, browser_page
):
    page = browser_page
    errors = []  # scripts refused by the Content-Security-Policy, and script errors
    page.on("console", lambda m: "Refused to" in m.text and errors.append(m.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_viewport_size({"width": PHONE, "height": 844})
    login(page, live_server, username=long_world.user.username, password=PASSWORD)
    logout = page.get_by_role("button", name="Abmelden")
    menu = page.get_by_role("button", name="Menü")
    expect(logout).to_be_hidden()
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(logout).to_be_visible()
    expect(page.get_by_role("link", name="Rechnungsdaten")).to_be_visible()
    assert_no_violations(page)  # the open menu too
    box = logout.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE, box
    logout.click()
    page.wait_for_load_state()
    assert resolve(urlparse(page.url).path).view_name == "home"
    page.goto(f"{live_server.url}/traeger/{long_world.authority.pk}/")
    assert resolve(urlparse(page.url).path).view_name == "login"  # logged out
    assert errors == []


@pytest.mark.browser
def test_navbar_is_open_without_a_menu_button_on_a_desktop(long_world, live_server, browser_page):
    page = browser_page
    page.set_viewport_size({"width": DESKTOP, "height": 800})
    login(page, live_server, username=long_world.user.username, password=PASSWORD)
    expect(page.get_by_role("button", name="Menü")).to_be_hidden()
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()
    expect(page.get_by_role("link", name="Schulen", exact=True)).to_be_visible()


def test_every_portal_url_is_checked():
    """A new portal URL fails here until it is a page above or listed in NOT_PAGES."""
    names = {name for name, _route, _kwargs in walk()}
    covered = set(PAGES.values()) | set(NOT_PAGES)
    assert names - covered == set(), "portal URLs without a page check"
    assert covered - {None} - names == set(), "names above that are no URL (any more)"


TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
WRAPPED_TABLE = re.compile(
    r'<div class="table-responsive" tabindex="0" role="group" aria-labelledby="([^"]+)">\s*'
    r'<table[^>]*>\s*<caption id="([^"]+)"'
)


def test_every_portal_table_scrolls_in_its_own_named_box():
    """Each table of a portal page sits in a focusable .table-responsive box named
    by the table's caption (the admin, e-mails and PDFs have their own layouts)."""
    bare, misnamed = [], []
    for path in sorted(TEMPLATES.rglob("*.html")):
        relative = path.relative_to(TEMPLATES).as_posix()
        if relative.startswith("admin/") or "/emails/" in relative or "/pdf/" in relative:
            continue
        text = path.read_text()
        wrapped = WRAPPED_TABLE.findall(text)
        if len(wrapped) != text.count("<table"):
            bare.append(relative)
        misnamed += [relative for box, caption in wrapped if box != caption]
    assert bare == [], "tables without their scrolling box"
    assert misnamed == [], "boxes not named by their table's caption"
