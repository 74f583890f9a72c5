"""BITV 2.0 / WCAG 2.1 AA: axe-core (bundled with axe-playwright-python, nothing is
downloaded at run time) finds no violation on any portal page in headless Chromium.
All axe rules run, WCAG 2.0/2.1 A and AA and axe's best practices."""

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice

from licensing.registration import registration_template
from tests import browser as browser_fixtures
from tests.browser import login
from tests.factories import MembershipFactory, SchoolAuthorityFactory
from tests.portal_world import PASSWORD, build_world, filled_list

# Playwright fixtures (a headless Chromium) from tests/browser.py.
browser = browser_fixtures.browser
browser_page = browser_fixtures.browser_page

pytestmark = [pytest.mark.browser]

axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")


def assert_no_violations(page) -> None:
    results = axe_sync.Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def _upload(page, path) -> None:
    page.get_by_label("Ausgefüllte Anmeldeliste").set_input_files(str(path))
    page.get_by_role("button", name="Liste hochladen und prüfen").click()
    page.wait_for_load_state()


def open_page(name, page, live_server, world, tmp_path) -> None:
    """Go to the page ``name`` as a user of ``world`` would see it."""
    base = live_server.url
    a = world.authority.pk
    public = {
        "landing": "/",
        "login": "/anmelden/",
        "password_reset": "/passwort-vergessen/",
        "password_reset_done": "/passwort-vergessen/gesendet/",
        "password_reset_complete": "/passwort-neu/fertig/",
        "impressum": "/impressum/",
        "datenschutz": "/datenschutz/",
    }
    if name == "password_reset_confirm":
        uid = urlsafe_base64_encode(force_bytes(world.user.pk))
        token = default_token_generator.make_token(world.user)
        public[name] = f"/passwort-neu/{uid}/{token}/"
    if name in public:
        page.goto(base + public[name])
        page.wait_for_load_state()
        return
    if name == "login_errors":
        page.goto(f"{base}/anmelden/")
        page.get_by_label("Benutzername").fill(world.user.username)
        page.get_by_label("Passwort").fill("falsch")
        page.get_by_role("button", name="Anmelden").click()
        page.wait_for_load_state()
        return
    if name == "two_factor":
        TOTPDevice.objects.create(user=world.user, name="App", confirmed=True)
    if name == "authority_choice":
        MembershipFactory(user=world.user, authority=SchoolAuthorityFactory(name="Kreis Zwei"))
    login(page, live_server, username=world.user.username, password=PASSWORD)
    orders = world.orders
    urls = {
        "dashboard": f"/traeger/{a}/",
        "school_list": f"/traeger/{a}/schulen/",
        "order_products": f"/traeger/{a}/bestellen/",
        "order_upload": f"/traeger/{a}/bestellen/{world.product.code}/",
        "upload_file_error": f"/traeger/{a}/bestellen/{world.product.code}/",
        "upload_result_errors": f"/traeger/{a}/bestellen/{world.draft_product.code}/",
        "preview": f"/traeger/{a}/bestellen/entwurf/{world.draft.pk}/",
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
    }
    page.goto(base + urls[name])
    if name == "upload_file_error":
        path = tmp_path / "liste.xlsx"
        path.write_bytes(b"kein Excel")
        _upload(page, path)
        assert page.get_by_role("alert").count() >= 1
    elif name == "upload_result_errors":
        data = filled_list(
            registration_template(authority=world.authority, product=world.draft_product)
        )
        from io import BytesIO

        from openpyxl import load_workbook

        workbook = load_workbook(BytesIO(data))
        workbook["Anmeldeliste"].cell(row=5, column=7, value="maria(at)schule")
        path = tmp_path / "Anmeldeliste.xlsx"
        workbook.save(path)
        _upload(page, path)
        assert page.get_by_role("heading", name="Die Anmeldeliste hat Fehler").count() == 1


PAGES = [
    "landing",
    "login",
    "login_errors",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "authority_choice",
    "dashboard",
    "school_list",
    "order_products",
    "order_upload",
    "upload_file_error",
    "upload_result_errors",
    "preview",
    "submitted",
    "order_detail",
    "order_detail_cancelled",
    "order_detail_submitted",
    "order_detail_rejected",
    "order_detail_ended",
    "cancel",
    "withdraw",
    "invoice_list",
    "impressum",
    "datenschutz",
    "two_factor",
    "team",
]


@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_axe_violations(name, transactional_db, live_server, browser_page, tmp_path):
    world = build_world()
    open_page(name, browser_page, live_server, world, tmp_path)
    assert browser_page.locator("h1").count() == 1
    assert_no_violations(browser_page)
