"""Refunds for superseded individual licences (R8): Erstattung / Rechnungskorrektur
addressed to the school, with its own gapless number series, PDF and e-invoice.

The refund is the paid (gross) amount pro rata. Net and VAT are shown at the rate of
the original invoice: net = gross / (1 + rate / 100) rounded half up, VAT = gross -
net, so that net + VAT is exactly the money paid back. EN 16931 BR-CO-17 (VAT =
net x rate, rounded) then holds for most amounts; for the rest (about 7 % of
amounts at 7 %, 16 % at 19 %) it is off by exactly one cent, and no net amount
exists that both satisfies it and adds up to the gross (the gross is unreachable by
``n + round(n * rate)``). The EN 16931 CII schematron accepts a deviation of up to
one currency unit in BR-CO-17, so we keep the exact gross."""

import datetime
import logging
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.money import money
from invoicing.documents import documents_store
from invoicing.models import DOCUMENT_FIELDS, NumberSeries, Refund
from invoicing.numbering import number_next
from invoicing.rule_check import refund_rules_check
from invoicing.tasks import send_refund_notice
from licensing.models import IndividualLicence
from licensing.terms import refund_amount

logger = logging.getLogger(__name__)


def refund_split(*, gross: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """(net, VAT) of the R8 gross amount at ``rate`` percent; they always add up to
    ``gross``, the amount paid back.

    The net is chosen so that VAT = net x rate rounded half up (EN 16931 BR-CO-17)
    where such a net exists. For some gross amounts none does (at 19 % about one
    in six cent values cannot be reached); then the VAT is gross - net, one cent
    from the strict product, which the official EN 16931 rule tolerates."""
    rate = Decimal(rate)
    estimate = money(gross / (1 + rate / 100))
    for net in (estimate + Decimal(step) / 100 for step in (0, -1, 1, -2, 2)):
        if net + money(net * rate / 100) == gross:
            return net, gross - net
    return estimate, gross - estimate


@transaction.atomic
def refund_create_for_superseded(
    *,
    individual_licence: IndividualLicence,
    bulk_start: datetime.date,
    on: datetime.date | None = None,
) -> Refund | None:
    """The R8 refund for an individual licence superseded by a bulk licence starting
    on ``bulk_start``, issued right away; ``None`` when 3 months or less remain.
    Idempotent: a second call returns the refund already made."""
    existing = Refund.objects.filter(individual_licence=individual_licence).first()
    if existing is not None:
        return existing
    result = refund_amount(
        paid=individual_licence.paid_amount,
        term_start=individual_licence.start_date,
        term_end=individual_licence.end_date,
        bulk_start=bulk_start,
    )
    if result is None:
        return None
    gross, remaining_days, term_days = result
    net, vat = refund_split(gross=gross, rate=individual_licence.vat_rate)
    refund = Refund.objects.create(
        individual_licence=individual_licence,
        school=individual_licence.school,
        bulk_start_date=bulk_start,
        remaining_days=remaining_days,
        term_days=term_days,
        original_invoice_number=individual_licence.original_invoice_number,
        original_invoice_date=individual_licence.original_invoice_date,
        vat_rate=individual_licence.vat_rate,
        gross_amount=gross,
        net_amount=net,
        vat_amount=vat,
    )
    return refund_issue(refund=refund, on=on or timezone.localdate())


@transaction.atomic
def refund_issue(*, refund: Refund, on: datetime.date) -> Refund:
    """Number (own gapless series), recipient and seller snapshot; the PDF and XML
    are made after commit (``refund_documents_make``), so that a failing renderer
    never blocks the confirmation that superseded the licence. The nightly run
    makes documents that are still missing."""
    locked = Refund.objects.select_for_update().get(pk=refund.pk)
    if locked.status != Refund.Status.DRAFT:
        return locked
    school = locked.school
    locked.recipient_name = school.name
    locked.recipient_street = school.street
    locked.recipient_postal_code = school.postal_code
    locked.recipient_city = school.city
    locked.seller = dict(settings.SELLER)
    locked.issue_date = on
    locked.issued_at = timezone.now()
    refund_rules_check(locked)
    locked.number = number_next(series=NumberSeries.REFUND, year=on.year)
    locked.status = Refund.Status.ISSUED
    locked.save()
    refund_id = locked.pk
    transaction.on_commit(lambda: _refund_documents_after_commit(refund_id))
    return locked


def refund_documents_make(*, refund_id: int) -> Refund:
    """Render and store the PDF and XML of an issued refund once (idempotent), then
    have them e-mailed to the school with the link for its account."""
    from invoicing import einvoice, pdf

    with transaction.atomic():
        locked = Refund.objects.select_for_update().get(pk=refund_id)
        if locked.status == Refund.Status.DRAFT or locked.pdf_sha256:
            return locked
        xml_bytes = einvoice.refund_xml(locked)
        pdf_bytes = pdf.render_refund_pdf(locked)
        documents_store(document=locked, pdf=pdf_bytes, xml=xml_bytes)
        locked.save(update_fields=list(DOCUMENT_FIELDS))
        send_refund_notice.delay(locked.pk)  # after commit, to the school
    return locked


def _refund_documents_after_commit(refund_id: int) -> None:
    try:
        refund_documents_make(refund_id=refund_id)
    except Exception:  # made again by the nightly run, which reports a failure
        logger.exception("documents of refund %s could not be made", refund_id)


@transaction.atomic
def refund_mark_paid_out(*, refund: Refund, paid_out_on: datetime.date, by=None) -> Refund:
    """Staff paid the refund out to the school."""
    locked = Refund.objects.select_for_update().get(pk=refund.pk)
    if locked.status != Refund.Status.ISSUED:
        raise ValidationError(
            _("Die Erstattung %(number)s ist nicht zur Auszahlung offen.")
            % {"number": locked.number or locked.pk}
        )
    locked.status = Refund.Status.PAID_OUT
    locked.paid_out_at = paid_out_on
    locked.paid_out_by = by
    locked.save(update_fields=["status", "paid_out_at", "paid_out_by"])
    return locked
