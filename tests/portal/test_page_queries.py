"""Every portal page of an authority reads its data in a fixed number of SQL
statements: the same for 10 schools as for Köln's 256 (no query per school, order
row or invoice line). Time per page is measured in benchmarks/bench_pages.py."""

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from invoicing.models import Invoice
from invoicing.selectors import invoices_of_authority, open_amounts_by_order
from licensing.models import Product
from licensing.selectors import price_overview, price_overviews
from tests.invoicing.factories import cancellation_of
from tests.portal.scaled_world import build_scaled_world

PAGES = [
    "dashboard",
    "school list",
    "products",
    "order page",
    "preview",
    "order submitted",
    "order detail",
    "order detail (waiting)",
    "cancel",
    "invoices",
    "team",
    "billing data",
]


@pytest.fixture(scope="module")
def worlds(django_db_setup, django_db_blocker):
    """A 10-school and a 256-school authority, built once for the module and rolled
    back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        small = build_scaled_world(schools=10, name="Stadt Vlotho", username="vlotho")
        big = build_scaled_world(schools=256, name="Stadt Köln", username="koeln")
        yield small, big
        transaction.set_rollback(True)


def queries_of(world, page: str) -> list[str]:
    client = Client()
    client.force_login(world.user)
    url = world.page_urls()[page]
    assert client.get(url).status_code == 200  # the session's first renewal
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (page, response.status_code)
    return [query["sql"] for query in queries.captured_queries]


def test_every_page_is_covered(worlds):
    small, _big = worlds
    assert sorted(small.page_urls()) == sorted(PAGES)


@pytest.mark.parametrize("page", PAGES)
def test_page_reads_as_many_queries_for_256_schools_as_for_10(db, worlds, page):
    small, big = worlds

    few, many = queries_of(small, page), queries_of(big, page)

    assert len(many) == len(few), "\n".join(many)


def test_big_world_has_a_row_for_every_school(db, worlds):
    """The 256-school pages show what the query counts were measured on."""
    _small, big = worlds
    client = Client()
    client.force_login(big.user)
    urls = big.page_urls()
    detail = client.get(urls["order detail"]).content.decode()
    assert detail.count("freigeschaltet am ") == 256
    assert client.get(urls["preview"]).content.decode().count("@schule.example.org") >= 256
    assert client.get(urls["invoices"]).content.decode().count("eingegangen am") == 1
    submitted = client.get(urls["order submitted"]).content.decode()
    assert submitted.count("<td>Maria Lehrerin ") == 256
    assert submitted.count("<td>Gymnasium</td>") == 256 // 5


def test_order_page_names_the_open_draft_without_reading_its_stored_result(db, worlds):
    """The note about an unordered list needs its name and time, not the check
    result stored with it (JSON of every row)."""
    _small, big = worlds
    client = Client()
    client.force_login(big.user)

    queries = queries_of(big, "order page")
    page = client.get(big.page_urls()["order page"]).content.decode()

    (draft_query,) = [q for q in queries if "licensing_registrationupload" in q]
    assert '"result"' not in draft_query
    assert big.draft.original_filename in page
    assert f"/bestellen/entwurf/{big.draft.pk}/" in page


def test_price_overviews_of_all_products_match_each_products_overview(db, worlds):
    _small, big = worlds
    products = list(Product.objects.filter(pk__in=[big.product.pk, big.draft_product.pk]))
    products.append(Product.objects.create(code="ohne-preis", name="Ohne Preis", vat_rate=7))

    together = price_overviews(authority=big.authority, products=products)

    assert [product for product, _ in together] == products
    for product, overview in together:
        assert overview == price_overview(authority=big.authority, product=product)
    assert together[-1][1].missing_prices


def test_open_amounts_from_the_listed_documents_match_their_own_query(db, worlds):
    """The dashboard computes the open amounts from the documents it lists; a
    cancellation invoice among them counts for nothing, as in the own query."""
    _small, big = worlds
    invoice = Invoice.objects.get(authority=big.authority, kind=Invoice.Kind.INVOICE)

    def both():
        documents = list(invoices_of_authority(authority=big.authority))
        return (
            open_amounts_by_order(authority=big.authority, documents=documents),
            open_amounts_by_order(authority=big.authority),
        )

    listed, queried = both()
    assert listed == queried
    assert listed[invoice.order_id].open == invoice.gross_total - Decimal("100.00")

    cancellation_of(invoice, number=f"RE-2026-S{big.authority.customer_number}")
    listed, queried = both()
    assert listed == queried == {}
