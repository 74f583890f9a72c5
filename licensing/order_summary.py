"""What the buyer commits to with the binding order: the annual price per school
type, the VAT and the gross total (computed with ``config.totals`` from one line
per school, exactly as the later invoice is), the refunds to schools, and the
terms in plain German with the figures that are settings."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Sum
from django.template.loader import render_to_string

from config.money import money
from config.totals import Totals, compute_totals
from licensing.models import Licence, LicenceTerm, LicenceYear, Product
from licensing.registration_result import RefundNote, RegistrationResult, column_of
from licensing.terms import invoice_issue_delay


@dataclass(frozen=True)
class TypeLine:
    """One school type of the order: how many schools at which price per year."""

    name: str
    schools: int
    price: Decimal
    net: Decimal


@dataclass(frozen=True)
class _SchoolLine:
    """One school's annual net price at the product's VAT rate (an invoice line)."""

    net_amount: Decimal
    vat_rate: Decimal


@dataclass(frozen=True)
class OrderSummary:
    """Annual totals of an order as the consolidated invoice will show them."""

    lines: list[TypeLine]
    vat_rate: Decimal
    totals: Totals
    refunds: list[RefundNote] = field(default_factory=list)

    @property
    def school_count(self) -> int:
        return sum(line.schools for line in self.lines)

    @property
    def refunds_due(self) -> list[RefundNote]:
        return [refund for refund in self.refunds if refund.amount]

    @property
    def refund_total(self) -> Decimal:
        return sum((Decimal(r.amount) for r in self.refunds_due), Decimal("0.00"))


@dataclass(frozen=True)
class OrderTerms:
    """The terms of a bulk licence with the figures that are settings."""

    renewal_notice_days: int
    invoice_delay_days: int
    payment_days: int


def order_terms() -> OrderTerms:
    return OrderTerms(
        renewal_notice_days=settings.RENEWAL_NOTICE_DAYS,
        invoice_delay_days=invoice_issue_delay(settings.INVOICE_ISSUE_DELAY_DAYS),
        payment_days=settings.INVOICE_PAYMENT_DAYS,
    )


def order_terms_text(terms: OrderTerms | None = None) -> str:
    """The terms as plain text, exactly as the buyer reads them in the e-mail."""
    context = {"terms": terms or order_terms()}
    return render_to_string("licensing/emails/_order_terms.txt", context).strip()


def terms_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def summary_of_result(*, result: RegistrationResult, product: Product) -> OrderSummary:
    """The summary of a checked list (before the binding order), at the prices
    valid on the day it was checked."""
    # The schools of a type as one line of their summed prices: the same totals
    # as one line per school (sums of Decimals are exact), without 10,000 lines.
    price_of_type = {
        figure.school_type_id: Decimal(figure.bulk_price)
        for figure in result.figures
        if figure.bulk_price
    }
    schools_of_type = Counter(column_of(result.entries, "school_type_id"))
    school_lines = [
        _SchoolLine(net_amount=price * schools_of_type[type_id], vat_rate=product.vat_rate)
        for type_id, price in price_of_type.items()
        if schools_of_type[type_id]
    ]
    lines = [
        TypeLine(
            name=f.name,
            schools=f.registered,
            price=Decimal(f.bulk_price),
            net=money(Decimal(f.bulk_price) * f.registered),
        )
        for f in result.figures
        if f.registered and f.bulk_price
    ]
    return OrderSummary(
        lines=lines,
        vat_rate=product.vat_rate,
        totals=compute_totals(school_lines),
        refunds=list(result.refunds),
    )


def summary_of_year(*, year: LicenceYear, refunds: list[RefundNote] = ()) -> OrderSummary:
    """The summary of a licence year from its licence terms (the prices the year's
    invoice is drafted from); rejected licences are not billed."""
    product = year.order.product
    terms = LicenceTerm.objects.filter(year=year).exclude(licence__status=Licence.Status.REJECTED)
    rows = (
        terms.values("licence__school__school_type__name", "net_price")
        .annotate(schools=Count("pk"), net=Sum("net_price"))
        .order_by("licence__school__school_type__name", "net_price")
    )
    lines = [
        TypeLine(
            name=row["licence__school__school_type__name"],
            schools=row["schools"],
            price=row["net_price"],
            net=row["net"],
        )
        for row in rows
    ]
    school_lines = [
        _SchoolLine(net_amount=line.price, vat_rate=product.vat_rate)
        for line in lines
        for _ in range(line.schools)
    ]
    return OrderSummary(
        lines=lines,
        vat_rate=product.vat_rate,
        totals=compute_totals(school_lines),
        refunds=list(refunds),
    )


def summary_of_order(*, order) -> OrderSummary:
    """The order's annual totals: of its latest licence year once confirmed,
    before that of the checked list it was placed with (with the refunds the
    check expected)."""
    # order.years.all(): the years prefetched with the order, if they were.
    year = max(order.years.all(), key=lambda y: y.number, default=None)
    if year is not None:
        return summary_of_year(year=year)
    result = RegistrationResult.from_dict(order.upload.result if order.upload else {})
    return summary_of_result(result=result, product=order.product)
