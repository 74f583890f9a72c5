"""Reads of invoices, refunds and payments."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.shortcuts import get_object_or_404

from invoicing.models import Invoice, Refund
from licensing.models import Order
from schools.models import SchoolAuthority


def invoices_of_authority(*, authority: SchoolAuthority) -> QuerySet[Invoice]:
    """The authority's issued documents, invoices and cancellation invoices (drafts
    are internal to the publisher), newest first."""
    return (
        Invoice.objects.filter(authority=authority)
        .exclude(status=Invoice.Status.DRAFT)
        .select_related("order__product", "cancels")
        .order_by("-issue_date", "-number")
    )


def invoice_of_authority(*, authority: SchoolAuthority, invoice_id: int) -> Invoice:
    """One issued document of the authority; 404 for drafts and for documents of
    other authorities alike."""
    return get_object_or_404(invoices_of_authority(authority=authority), pk=invoice_id)


@dataclass(frozen=True)
class OpenAmounts:
    """What the authority still owes: issued, unpaid invoices (a partial payment
    settles nothing, R9), and the part of it that is overdue."""

    open: Decimal = Decimal("0.00")
    overdue: Decimal = Decimal("0.00")


def open_amounts_by_order(*, authority: SchoolAuthority) -> dict[int, OpenAmounts]:
    """Open and overdue gross amounts per order of the authority (one query)."""
    rows = (
        Invoice.objects.filter(
            authority=authority, kind=Invoice.Kind.INVOICE, status=Invoice.Status.ISSUED
        )
        .values("order_id")
        .annotate(
            open=Sum("gross_total"),
            overdue=Sum("gross_total", filter=Q(overdue_since__isnull=False)),
        )
    )
    return {
        row["order_id"]: OpenAmounts(
            open=row["open"] or Decimal("0.00"), overdue=row["overdue"] or Decimal("0.00")
        )
        for row in rows
    }


def invoices_of_order(*, order: Order) -> QuerySet[Invoice]:
    """The order's issued documents (invoices and cancellation invoices), newest first."""
    return invoices_of_authority(authority=order.authority).filter(order=order)


def refunds_of_order(*, order: Order) -> QuerySet[Refund]:
    """Refunds to the order's schools for their superseded individual licences
    (drafts included: the buyer sees what its schools will get back)."""
    return (
        Refund.objects.filter(individual_licence__superseded_by__order=order)
        .select_related("school")
        .order_by("school__school_number")
    )
