"""Factories for issued invoicing documents with every snapshot field filled, as
the invoicing services leave them at issue."""

import contextlib
import datetime
from decimal import Decimal

import factory
import pgtrigger
from django.conf import settings
from django.db import models

from config.totals import compute_totals
from invoicing.models import Invoice, InvoiceLine, Refund
from licensing.models import IndividualLicence
from tests.factories import (
    IndividualLicenceFactory,
    LicenceYearFactory,
    SchoolAuthorityFactory,
    SchoolFactory,
)

SET_UP_IGNORES = (
    "invoice_status_invoice",
    "invoice_status_cancellation",
    "invoice_snapshot_frozen",
)


class InvoiceFactory(factory.django.DjangoModelFactory):
    """An issued consolidated invoice (no lines: add them with ``add_lines``)."""

    class Meta:
        model = Invoice

    kind = Invoice.Kind.INVOICE
    status = Invoice.Status.ISSUED
    number = factory.Sequence(lambda n: f"RE-2026-{n + 1:05d}")
    authority = factory.SubFactory(
        SchoolAuthorityFactory,
        name="Stadt Musterstadt",
        billing_department="Schulverwaltungsamt",
        leitweg_id="05315000-SCHULAMT1-82",
    )
    licence_year = factory.SubFactory(
        LicenceYearFactory, order__authority=factory.SelfAttribute("...authority")
    )
    order = factory.SelfAttribute("licence_year.order")
    issue_date = datetime.date(2026, 8, 10)
    issued_at = factory.LazyFunction(
        lambda: datetime.datetime(2026, 8, 10, 2, 0, tzinfo=datetime.UTC)
    )
    due_date = datetime.date(2026, 9, 9)
    service_period_start = factory.SelfAttribute("licence_year.start_date")
    service_period_end = factory.SelfAttribute("licence_year.end_date")
    buyer_name = factory.SelfAttribute("authority.name")
    buyer_department = factory.SelfAttribute("authority.billing_department")
    buyer_street = factory.SelfAttribute("authority.street")
    buyer_postal_code = factory.SelfAttribute("authority.postal_code")
    buyer_city = factory.SelfAttribute("authority.city")
    buyer_email = factory.SelfAttribute("authority.email")
    buyer_leitweg_id = factory.SelfAttribute("authority.leitweg_id")
    buyer_customer_number = factory.SelfAttribute("authority.customer_number")
    seller = factory.LazyFunction(lambda: dict(settings.SELLER))


@contextlib.contextmanager
def as_draft(invoice: Invoice):
    """Test set-up only: take a factory invoice back to draft while its lines and
    totals are written, then give it its status again. Goes past the model's
    checks and the database triggers, which refuse exactly that everywhere else
    (tests/invoicing/test_immutability.py)."""
    row = models.QuerySet(Invoice).filter(pk=invoice.pk)
    status = row.values_list("status", flat=True).get()
    with pgtrigger.ignore(*(f"invoicing.Invoice:{name}" for name in SET_UP_IGNORES)):
        row.update(status=Invoice.Status.DRAFT)
        yield row
        row.update(status=status)


def add_lines(
    invoice: Invoice,
    prices: list[tuple[str, str]],
    product: str = "",
    names: list[str] | None = None,
) -> Invoice:
    """Give ``invoice`` one line per (net price, VAT rate) and set its totals;
    ``names`` are the school names (default: one numbered name per line)."""
    product = product or invoice.order.product.name
    sign = Decimal("-1") if invoice.kind == Invoice.Kind.CANCELLATION else Decimal("1")
    lines = [
        InvoiceLine(
            invoice=invoice,
            position=position,
            school_number=f"{190000 + position}",
            school_name=names[position - 1]
            if names
            else f"Städt. Gemeinschaftsgrundschule Am Park {position}",
            product_name=product,
            period_start=invoice.service_period_start,
            period_end=invoice.service_period_end,
            net_amount=sign * Decimal(net),
            vat_rate=Decimal(rate),
        )
        for position, (net, rate) in enumerate(prices, start=1)
    ]
    # Lines and totals are written while the document is a draft, as invoice_issue
    # does (a factory invoice is born issued).
    with as_draft(invoice) as row:
        InvoiceLine.objects.bulk_create(lines)
        totals = compute_totals(lines)
        row.update(net_total=totals.net, vat_total=totals.vat, gross_total=totals.gross)
    return Invoice.objects.get(pk=invoice.pk)


def cancellation_of(original: Invoice, number: str = "RE-2026-00099") -> Invoice:
    """The issued cancellation invoice (negative mirror) of ``original``."""
    cancellation = InvoiceFactory(
        kind=Invoice.Kind.CANCELLATION,
        number=number,
        authority=original.authority,
        licence_year=original.licence_year,
        cancels=original,
        issue_date=original.issue_date + datetime.timedelta(days=5),
        due_date=None,
    )
    prices = [(str(line.net_amount), str(line.vat_rate)) for line in original.lines.all()]
    cancellation = add_lines(cancellation, prices, product=original.lines.first().product_name)
    original.status = Invoice.Status.CANCELLED
    original.save(update_fields=["status"])
    return cancellation


class RefundFactory(factory.django.DjangoModelFactory):
    """An issued refund of 160.50 € paid at 7 %, bulk start 1 Aug 2026:
    153 of 365 days remain → 67.28 € gross = 62.88 € net + 4.40 € VAT."""

    class Meta:
        model = Refund

    individual_licence = factory.SubFactory(
        IndividualLicenceFactory,
        school=factory.SubFactory(
            SchoolFactory,
            name="Städt. Gymnasium Am Dom",
            street="Domplatz 3",
            postal_code="50667",
            city="Köln",
            email="sekretariat@gymnasium-am-dom.example.org",
        ),
        status=IndividualLicence.Status.SUPERSEDED,
    )
    school = factory.SelfAttribute("individual_licence.school")
    status = Refund.Status.ISSUED
    number = factory.Sequence(lambda n: f"ER-2026-{n + 1:05d}")
    bulk_start_date = datetime.date(2026, 8, 1)
    remaining_days = 153
    term_days = 365
    original_invoice_number = factory.SelfAttribute("individual_licence.original_invoice_number")
    original_invoice_date = factory.SelfAttribute("individual_licence.original_invoice_date")
    vat_rate = factory.SelfAttribute("individual_licence.vat_rate")
    gross_amount = Decimal("67.28")
    net_amount = Decimal("62.88")
    vat_amount = Decimal("4.40")
    recipient_name = factory.SelfAttribute("school.name")
    recipient_street = factory.SelfAttribute("school.street")
    recipient_postal_code = factory.SelfAttribute("school.postal_code")
    recipient_city = factory.SelfAttribute("school.city")
    seller = factory.LazyFunction(lambda: dict(settings.SELLER))
    issue_date = datetime.date(2026, 8, 12)
    issued_at = factory.LazyFunction(
        lambda: datetime.datetime(2026, 8, 12, 2, 0, tzinfo=datetime.UTC)
    )
