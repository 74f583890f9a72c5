"""The whole order flow by keyboard alone (Tab, Shift+Tab, Enter, Space) with a
visible focus on every control used, and form errors linked to their fields."""

from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from playwright.sync_api import expect

from licensing.models import Order
from tests import browser as browser_fixtures
from tests.portal_world import PASSWORD, build_world, filled_list

# Playwright fixtures (a headless Chromium) from tests/browser.py.
browser = browser_fixtures.browser
browser_page = browser_fixtures.browser_page

FOCUSED = """() => {
  const e = document.activeElement;
  const s = getComputedStyle(e);
  const label = e.labels && e.labels.length ? e.labels[0].innerText.trim() : "";
  return {
    text: (e.innerText || e.value || "").trim(),
    label: label,
    focusVisible: e.matches(":focus-visible"),
    outline: s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0,
    shadow: s.boxShadow !== "none",
  };
}"""


def tab_to(page, name: str, *, backwards: bool = False, limit: int = 80) -> None:
    """Press Tab (or Shift+Tab) until the control named ``name`` has the focus,
    and check that the focus is visible there."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        info = page.evaluate(FOCUSED)
        seen.append(info["label"] or info["text"][:40])
        if info["text"] == name or info["label"].rstrip("*") == name:
            assert info["focusVisible"], f"{name}: focus not :focus-visible"
            assert info["outline"] or info["shadow"], f"{name}: no focus indicator"
            return
    raise AssertionError(f"{name!r} not reachable by keyboard; focus went through {seen}")


@pytest.mark.browser
def test_order_flow_by_keyboard_alone(transactional_db, live_server, browser_page, tmp_path):
    world = build_world()
    page = browser_page
    page.goto(f"{live_server.url}/anmelden/")
    tab_to(page, "Benutzername")
    page.keyboard.type(world.user.username)
    tab_to(page, "Passwort")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name=world.authority.name)).to_be_visible()

    tab_to(page, "Produkt bestellen")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Produkt bestellen")).to_be_visible()
    tab_to(page, "Deutsch digital bestellen")
    tab_to(page, "Mathe digital bestellen", backwards=True)
    tab_to(page, "Deutsch digital bestellen")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Deutsch digital bestellen")).to_be_visible()

    # The page offers the open draft; a new list replaces it.
    tab_to(page, "Anmeldeliste herunterladen (Excel)")
    with page.expect_download() as download_info:
        page.keyboard.press("Enter")
    template = tmp_path / "vorlage.xlsx"
    download_info.value.save_as(template)
    workbook = load_workbook(BytesIO(filled_list(template.read_bytes())))
    workbook["Anmeldeliste"].delete_rows(8)  # one Grundschule does not take part
    listed = tmp_path / "Anmeldeliste Tastatur.xlsx"
    workbook.save(listed)

    tab_to(page, "Ausgefüllte Anmeldeliste")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(str(listed))
    tab_to(page, "Liste hochladen und prüfen")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Vorschau Ihrer Bestellung")).to_be_visible()

    tab_to(page, "Ich habe die Bedingungen gelesen und bestelle verbindlich")
    page.keyboard.press("Space")
    tab_to(page, "Verbindlich bestellen")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Bestellung eingegangen")).to_be_visible()
    order = Order.objects.get(authority=world.authority, product=world.draft_product)
    assert order.status == Order.Status.SUBMITTED
    assert order.upload.original_filename == "Anmeldeliste Tastatur.xlsx"
    assert order.schools.count() == 6  # 7 active schools, one deleted from the list


@pytest.mark.browser
def test_skip_link_is_the_first_stop_and_visible(transactional_db, live_server, browser_page):
    page = browser_page
    page.goto(f"{live_server.url}/")
    page.keyboard.press("Tab")
    info = page.evaluate(FOCUSED)
    assert info["text"] == "Zum Inhalt springen"
    assert page.get_by_role("link", name="Zum Inhalt springen").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


# --- errors linked to their fields ------------------------------------------------


def summary_links(html: str) -> str:
    start = html.index('id="error-summary"')
    return html[start : html.index("</div>", start)]


@pytest.mark.django_db
def test_login_errors_are_summarised_and_linked_to_the_fields(client):
    html = client.post(reverse("login"), {"username": "", "password": ""}).content.decode()
    summary = summary_links(html)
    required = "Dieses Feld ist zwingend erforderlich."
    link = '<a class="alert-link" href="#id_{}">{}: {}</a>'
    assert link.format("username", "Benutzername", required) in summary
    assert link.format("password", "Passwort", required) in summary
    assert 'aria-describedby="id_username_error"' in html
    assert '<div id="id_username_error" class="invalid-feedback">' in html

    build_world()
    html = client.post(
        reverse("login"), {"username": "schulamt", "password": "falsch"}
    ).content.decode()
    summary = summary_links(html)
    assert 'role="alert"' in html[html.index("error-summary") - 80 :]
    message = (
        "Bitte Benutzername und Passwort eingeben. Beide Felder berücksichtigen die "
        "Groß-/Kleinschreibung."
    )
    assert f'<a class="alert-link" href="#id_username">{message}</a>' in summary
    assert html.count(message) == 1  # in the summary only, not twice


@pytest.mark.django_db
def test_upload_form_error_is_summarised_and_linked_to_the_field():
    world = build_world()
    client = Client()
    client.force_login(world.user)
    url = reverse("licensing:order_upload", args=[world.authority.pk, world.product.code])
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(url, {"file": SimpleUploadedFile("liste.xlsx", b"kein Excel")})
    html = response.content.decode()
    summary = summary_links(html)
    assert "Die Datei konnte nicht geprüft werden. Es wurde nichts gespeichert" in summary
    assert '<a class="alert-link" href="#id_file">Ausgefüllte Anmeldeliste: ' in summary
    assert 'aria-describedby="id_file_helptext id_file_error"' in html
    assert '<div id="id_file_error" class="invalid-feedback">' in html
    assert 'aria-invalid="true"' in html
