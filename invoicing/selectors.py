"""Reads of invoices, refunds and payments."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, QuerySet
from django.shortcuts import get_object_or_404

from invoicing.models import Invoice, Refund
from licensing.models import Order, OrderSchool
from schools.models import SchoolAuthority


def _issued_documents(*, authority: SchoolAuthority) -> QuerySet[Invoice]:
    """The authority's issued documents, invoices and cancellation invoices (drafts
    are internal to the publisher)."""
    return Invoice.objects.filter(authority=authority).exclude(status=Invoice.Status.DRAFT)


def invoices_of_authority(*, authority: SchoolAuthority) -> QuerySet[Invoice]:
    """The authority's issued documents, newest first, with their payments, for the
    invoice table: the product's name (``product_name``) and the number of the
    invoice a cancellation cancels (``cancels_number``) come as two columns. (Joined
    as whole rows, order, product and cancelled invoice were 85 columns more; building
    that query took longer than reading it.)"""
    return (
        _issued_documents(authority=authority)
        .annotate(product_name=F("order__product__name"), cancels_number=F("cancels__number"))
        .prefetch_related("payments")
        .order_by("-issue_date", "-number")
    )


def invoice_of_authority(*, authority: SchoolAuthority, invoice_id: int) -> Invoice:
    """One issued document of the authority, with its order, product and the
    invoice it cancels; 404 for drafts and for documents of other authorities alike."""
    return get_object_or_404(
        _issued_documents(authority=authority).select_related("order__product", "cancels"),
        pk=invoice_id,
    )


@dataclass(frozen=True)
class OpenAmounts:
    """What the authority still owes: issued, unpaid invoices (a partial payment
    settles nothing, R9), and the part of it that is overdue."""

    open: Decimal = Decimal("0.00")
    overdue: Decimal = Decimal("0.00")


def open_amounts_by_order(
    *, authority: SchoolAuthority, documents: list[Invoice] | None = None
) -> dict[int, OpenAmounts]:
    """Open and overdue amounts per order of the authority: what remains of each
    issued, unpaid invoice after the payments received (2 queries; none when
    ``documents`` are the authority's ``invoices_of_authority`` already read)."""
    if documents is None:
        invoices = Invoice.objects.filter(
            authority=authority, kind=Invoice.Kind.INVOICE, status=Invoice.Status.ISSUED
        ).prefetch_related("payments")
    else:
        invoices = [
            d
            for d in documents
            if d.kind == Invoice.Kind.INVOICE and d.status == Invoice.Status.ISSUED
        ]
    amounts: dict[int, OpenAmounts] = {}
    for invoice in invoices:
        remaining = invoice.balance.remaining
        before = amounts.get(invoice.order_id, OpenAmounts())
        amounts[invoice.order_id] = OpenAmounts(
            open=before.open + remaining,
            overdue=before.overdue + (remaining if invoice.is_overdue else Decimal("0.00")),
        )
    return amounts


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


def drafts_failing_issue() -> QuerySet[Invoice]:
    """Work queue: drafts that could not be issued (billing data or an e-invoice
    rule; ``issue_problems`` names the rule ids). They draw no number until
    fixed; the nightly run tries them again."""
    return (
        Invoice.objects.filter(status=Invoice.Status.DRAFT)
        .exclude(issue_problems="")
        .select_related("authority", "order__product")
        .order_by("issue_due_on", "pk")
    )


def invoices_after_last_reminder() -> QuerySet[Invoice]:
    """Invoices still unpaid after the second (last) payment reminder: staff decide
    what happens next (public buyers are not sent to debt collection automatically)."""
    return Invoice.objects.filter(
        kind=Invoice.Kind.INVOICE,
        status=Invoice.Status.ISSUED,
        second_reminder_sent_at__isnull=False,
    ).order_by("second_reminder_sent_at")


def refunds_due_for_transfer():
    """Issued refunds with an account that are in no transfer file yet."""
    return (
        Refund.objects.filter(
            status=Refund.Status.ISSUED, payout__isnull=False, payout__transfer__isnull=True
        )
        .exclude(payout__iban="")
        .select_related("payout", "school")
        .order_by("number")
    )


# Days after the refund document's date until a missing account is the staff's task.
REFUND_ACCOUNT_WAIT_DAYS = 30


def refunds_without_account(*, on: datetime.date, days: int = REFUND_ACCOUNT_WAIT_DAYS):
    """Issued refunds whose school has not given an account ``days`` days (or
    more) after the refund document's date: for the staff's work queue."""
    return (
        Refund.objects.filter(
            status=Refund.Status.ISSUED,
            issue_date__lte=on - datetime.timedelta(days=days),
        )
        .exclude(payout__iban__gt="")
        .select_related("school")
        .order_by("issue_date", "number")
    )


def refund_notice_recipient(*, refund: Refund) -> str:
    """Where the refund's notice goes: the contact person of the school on the
    latest order of the refund's product (the order that superseded the
    individual licence), else the school's own address; "" when neither exists."""
    entry = (
        OrderSchool.objects.filter(
            school_id=refund.school_id,
            order__product_id=refund.individual_licence.product_id,
            contact_anonymised_at__isnull=True,
        )
        .exclude(contact_email="")
        .order_by("-order__submitted_at", "-pk")
        .first()
    )
    return entry.contact_email if entry else refund.school.email
