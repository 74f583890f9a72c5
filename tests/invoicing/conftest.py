"""Fixtures of the invoicing tests. The PDF and XML renderers belong to the
e-invoice work (``invoicing/pdf.py``, ``invoicing/einvoice.py``); here they are
replaced by small fakes whose bytes name the document, so that these tests check
what invoicing does with the documents (store, hash, send, serve, export)."""

import datetime
import hashlib
import sys
import types
from decimal import Decimal

import pytest

import invoicing
from tests.factories import (
    LicenceFactory,
    LicenceTermFactory,
    LicenceYearFactory,
    OrderFactory,
    ProductFactory,
)


def fake_pdf(document, xml=None) -> bytes:
    return f"%PDF-1.7 fake {document.number} {document.pk}\n%%EOF\n".encode()


def fake_xml(document) -> bytes:
    return f'<?xml version="1.0"?><doc number="{document.number}"/>'.encode()


@pytest.fixture(autouse=True)
def fake_renderers(monkeypatch, settings):
    pdf = types.ModuleType("invoicing.pdf")
    pdf.render_invoice_pdf = fake_pdf
    pdf.render_refund_pdf = fake_pdf
    einvoice = types.ModuleType("invoicing.einvoice")
    einvoice.invoice_xml = fake_xml
    einvoice.refund_xml = fake_xml
    # The fake XML is no e-invoice: the rule check before the number passes it
    # (tests/invoicing/test_rule_check.py runs the real one).
    rules = types.ModuleType("invoicing.einvoice_rules")
    rules.check_document = lambda xml, with_schematron=True: []
    rules.content_key = lambda xml: hashlib.sha256(xml).hexdigest()
    monkeypatch.setitem(sys.modules, "invoicing.einvoice_rules", rules)
    monkeypatch.setattr(invoicing, "einvoice_rules", rules, raising=False)
    monkeypatch.setitem(sys.modules, "invoicing.pdf", pdf)
    monkeypatch.setitem(sys.modules, "invoicing.einvoice", einvoice)
    monkeypatch.setattr(invoicing, "pdf", pdf, raising=False)
    monkeypatch.setattr(invoicing, "einvoice", einvoice, raising=False)
    settings.INVOICE_ISSUE_DELAY_DAYS = 7
    settings.INVOICE_PAYMENT_DAYS = 30
    return pdf, einvoice


def make_licence_year(
    *,
    authority,
    prices=(Decimal("100.00"),),
    vat_rate=Decimal("7.00"),
    start=datetime.date(2026, 8, 1),
    product=None,
):
    """A confirmed order of ``authority`` with one school per price in its first year."""
    product = product or ProductFactory(vat_rate=vat_rate)
    order = OrderFactory(authority=authority, product=product, status="confirmed")
    year = LicenceYearFactory(order=order, start_date=start)
    for price in prices:
        licence = LicenceFactory(order=order, status="active")
        LicenceTermFactory(licence=licence, year=year, net_price=price)
    return year


@pytest.fixture
def licence_year(authority):
    return make_licence_year(
        authority=authority, prices=(Decimal("100.00"), Decimal("100.00"), Decimal("33.35"))
    )
