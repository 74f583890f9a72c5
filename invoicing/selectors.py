"""Reads of invoices, refunds and payments."""

from django.db.models import QuerySet

from invoicing.models import Invoice
from schools.models import SchoolAuthority


def invoices_of_authority(*, authority: SchoolAuthority) -> QuerySet[Invoice]:
    """The authority's issued documents (drafts are internal to the publisher)."""
    return (
        Invoice.objects.filter(authority=authority)
        .exclude(status=Invoice.Status.DRAFT)
        .select_related("order__product")
        .order_by("-issue_date", "-number")
    )
