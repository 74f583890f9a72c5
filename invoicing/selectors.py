"""Reads of invoices, refunds and payments."""

import datetime

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from invoicing.models import Invoice, Refund
from licensing.models import OrderSchool
from schools.models import SchoolAuthority


def invoices_of_authority(*, authority: SchoolAuthority) -> QuerySet[Invoice]:
    """The authority's issued documents, invoices and cancellation invoices (drafts
    are internal to the publisher), newest first, with their payments."""
    return (
        Invoice.objects.filter(authority=authority)
        .exclude(status=Invoice.Status.DRAFT)
        .select_related("order__product", "cancels")
        .prefetch_related("payments")
        .order_by("-issue_date", "-number")
    )


def invoice_of_authority(*, authority: SchoolAuthority, invoice_id: int) -> Invoice:
    """One issued document of the authority; 404 for drafts and for documents of
    other authorities alike."""
    return get_object_or_404(invoices_of_authority(authority=authority), pk=invoice_id)


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
