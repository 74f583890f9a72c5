"""The dashboard in Chromium: a running licence shows its licence year, the next
renewal and the last day to cancel before it."""

import datetime

import pytest
from playwright.sync_api import expect

from licensing.confirmation import order_confirm
from tests.browser import login
from tests.licensing.factories import priced_product, submitted_order

pytestmark = [pytest.mark.browser]
D = datetime.date


def test_dashboard_shows_next_renewal_and_cancel_deadline(
    transactional_db,
    live_server,
    browser_page,
    staff_user,
    authority,
    set_today,
):
    set_today(D(2026, 7, 1))
    product, gs = priced_product(price="100.00")
    order = submitted_order(authority=authority, product=product, school_type=gs, schools=2)
    order_confirm(order=order, start_date=D(2026, 8, 1), by=None)
    set_today(D(2027, 2, 10))

    login(browser_page, live_server, username=staff_user.username, password="geheim-123")
    table = browser_page.get_by_role("table", name="Laufende Lizenzen je Produkt")
    row = table.get_by_role("row").filter(has_text=product.name)
    expect(row).to_have_count(1)
    cells = row.get_by_role("cell")
    expect(cells.nth(0)).to_have_text("2")
    expect(cells.nth(1)).to_have_text("Jahr 1: 01.08.2026–31.07.2027")
    expect(cells.nth(2)).to_have_text("01.08.2027")
    expect(cells.nth(3)).to_have_text("31.07.2027")
    expect(browser_page.locator("#open-amounts")).to_contain_text(
        "Offene Rechnungen zusammen: 0,00 €"
    )
