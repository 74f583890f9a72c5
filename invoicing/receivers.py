"""Invoicing's handlers of the licence lifecycle's signals (``licensing/signals.py``),
connected in ``InvoicingConfig.ready``. They run inside the lifecycle's
transaction: a confirmed or renewed licence year (or a batch of them) gets its
draft invoice, and the
superseded individual licences their refunds, or nothing is saved."""

from django.dispatch import receiver

from invoicing import drafts, refunds
from licensing.signals import (
    individual_licences_superseded,
    licence_year_started,
    licence_years_started,
)


@receiver(licence_year_started, dispatch_uid="invoicing.draft_for_licence_year")
def draft_for_licence_year(sender, *, year, on, **kwargs) -> None:
    drafts.invoice_create_draft(licence_year=year, on=on)


@receiver(licence_years_started, dispatch_uid="invoicing.drafts_for_licence_years")
def drafts_for_licence_years(sender, *, years, terms, on, **kwargs) -> None:
    drafts.invoices_create_drafts(years=years, terms=terms, on=on)


@receiver(individual_licences_superseded, dispatch_uid="invoicing.refunds_for_superseded")
def refunds_for_superseded(sender, *, licences, bulk_start, on, **kwargs) -> None:
    for licence in licences:
        refunds.refund_create_for_superseded(
            individual_licence=licence, bulk_start=bulk_start, on=on
        )
