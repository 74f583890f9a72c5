"""Reads of invoices, refunds and payments."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from invoicing.models import Invoice
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
