"""Writes of invoicing: drafts, issuing with gapless numbers, cancellation,
payments, refunds. (Implemented by the invoicing work; the licensing services call
``invoice_create_draft`` and ``refund_create_for_superseded`` and the nightly run
calls ``invoices_issue_due`` and ``invoices_mark_overdue``.)"""

import datetime

from licensing.models import IndividualLicence, LicenceYear


def invoice_create_draft(*, licence_year: LicenceYear):
    """Create the draft consolidated invoice for a licence year (order start or
    renewal). Idempotent: returns the existing valid invoice of the year."""
    return None


def refund_create_for_superseded(
    *, individual_licence: IndividualLicence, bulk_start: datetime.date
):
    """Create the R8 refund for a superseded individual licence, if one is due."""
    return None


def invoices_issue_due(*, on: datetime.date) -> int:
    """Issue every draft whose issue date has come; returns how many."""
    return 0


def invoices_mark_overdue(*, on: datetime.date) -> int:
    """Mark issued invoices past their due date overdue and remind once; returns how many."""
    return 0
