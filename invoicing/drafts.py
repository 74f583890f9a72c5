"""Draft consolidated invoices (R9): one per licence year, made when an order is
confirmed or renewed (on licensing's ``licence_year_started`` signal, see
``receivers.py``), following the year's licence terms until it is issued."""

import datetime
from collections import defaultdict

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.audit_bulk import NIGHTLY_RUN, audit_log_bulk
from invoicing.models import Invoice, InvoiceLine
from invoicing.totals import compute_totals
from licensing.models import Licence, LicenceTerm, LicenceYear

LINE_BATCH = 2000


def issue_delay_days() -> int:
    """R9: issued 1 to 2 weeks after setup or renewal, whatever the setting says."""
    return min(max(settings.INVOICE_ISSUE_DELAY_DAYS, 7), 14)


def issue_due_day(*, licence_year: LicenceYear, on: datetime.date) -> datetime.date:
    """R9: the day a year's invoice is issued: setup or renewal plus the delay.

    The setup of an order is the later of its confirmation (``on``) and the first
    year's start; a renewal is the renewed year's start, however late the nightly
    run that renews it comes. After a gap that day may have passed already: the
    same run then issues the draft (``issuing.invoices_issue_due``), so it is never
    issued later than 14 days after setup or renewal unless no nightly run ran at
    all in between, and then on the first run."""
    setup_or_renewal = licence_year.start_date
    if licence_year.number == 1:
        setup_or_renewal = max(on, licence_year.start_date)
    return setup_or_renewal + datetime.timedelta(days=issue_delay_days())


# --- Drafts ------------------------------------------------------------------------


def _line(*, invoice: Invoice | None, position: int, term: LicenceTerm, year: LicenceYear):
    licence = term.licence
    return InvoiceLine(
        invoice=invoice,
        position=position,
        licence=licence,
        school_number=licence.school.school_number,
        school_name=licence.school.name,
        product_name=licence.product.name,
        period_start=year.start_date,
        period_end=year.end_date,
        net_amount=term.net_price,
        vat_rate=licence.product.vat_rate,
    )


LINE_FIELDS = (
    "position",
    "licence_id",
    "school_number",
    "school_name",
    "product_name",
    "period_start",
    "period_end",
    "net_amount",
    "vat_rate",
)


# The same values read from a licence term, in the order of LINE_FIELDS after "position".
TERM_FIELDS = (
    "licence_id",
    "licence__school__school_number",
    "licence__school__name",
    "licence__product__name",
    "year__start_date",
    "year__end_date",
    "net_price",
    "licence__product__vat_rate",
)


def draft_rebuild_lines(invoice: Invoice) -> bool:
    """Lines of a draft from the year's licence terms (one per school), and totals.
    Drafts follow corrections of the order until they are issued. A draft whose
    lines already are what the terms give is left as it is (read as plain values,
    nothing written); returns whether it was rebuilt."""
    terms = (
        LicenceTerm.objects.filter(year_id=invoice.licence_year_id)
        .exclude(licence__status=Licence.Status.REJECTED)
        .order_by("licence__school__school_number", "pk")
        .values_list(*TERM_FIELDS)
    )
    wanted = [(position, *term) for position, term in enumerate(terms, start=1)]
    current = InvoiceLine.objects.filter(invoice=invoice).order_by("position")
    if wanted == list(current.values_list(*LINE_FIELDS)):
        return False
    lines = [
        InvoiceLine(invoice=invoice, **dict(zip(LINE_FIELDS, row, strict=True))) for row in wanted
    ]
    InvoiceLine.objects.filter(invoice=invoice).delete()
    InvoiceLine.objects.bulk_create(lines)
    totals = compute_totals(lines)
    invoice.net_total, invoice.vat_total, invoice.gross_total = (
        totals.net,
        totals.vat,
        totals.gross,
    )
    invoice.save(update_fields=["net_total", "vat_total", "gross_total"])
    return True


@transaction.atomic
def invoice_create_draft(*, licence_year: LicenceYear, on: datetime.date | None = None) -> Invoice:
    """The draft consolidated invoice for a licence year (order start or renewal).

    Idempotent: the year's valid invoice is returned if there is one (a draft is
    brought up to date with the year's licence terms first). The draft is issued
    automatically on ``issue_due_day`` (``on``: the day of the confirmation or of
    the nightly run that renewed; default today)."""
    existing = (
        Invoice.objects.select_for_update()
        .filter(licence_year=licence_year, kind=Invoice.Kind.INVOICE)
        .exclude(status=Invoice.Status.CANCELLED)
        .first()
    )
    if existing is None:
        order = licence_year.order
        invoice = Invoice(
            kind=Invoice.Kind.INVOICE,
            status=Invoice.Status.DRAFT,
            authority_id=order.authority_id,
            order=order,
            licence_year=licence_year,
            issue_due_on=issue_due_day(licence_year=licence_year, on=on or timezone.localdate()),
            service_period_start=licence_year.start_date,
            service_period_end=licence_year.end_date,
        )
        try:
            with transaction.atomic():
                invoice.save()
        except IntegrityError:
            # Created by a concurrent call since our look-up: use that one.
            return invoice_create_draft(licence_year=licence_year, on=on)
        existing = invoice
    if existing.status == Invoice.Status.DRAFT:
        draft_rebuild_lines(existing)
    return existing


def invoices_create_drafts(
    *, years: list[LicenceYear], terms: list[LicenceTerm], on: datetime.date
) -> list[Invoice]:
    """The drafts of new licence years made by the nightly renewals (set-based form
    of ``invoice_create_draft`` for years that have no invoice yet): invoices and
    lines from the rows in memory (``terms`` in school-number order, each licence
    with school and product loaded) in bulk inserts, with one audit entry per row.
    Runs in the renewal's transaction."""
    terms_by_year: dict[int, list[LicenceTerm]] = defaultdict(list)
    for term in terms:
        terms_by_year[term.year_id].append(term)
    drafts: list[tuple[Invoice, list[InvoiceLine]]] = []
    for year in years:
        lines = [
            _line(invoice=None, position=position, term=term, year=year)
            for position, term in enumerate(terms_by_year[year.pk], start=1)
        ]
        totals = compute_totals(lines)
        invoice = Invoice(
            kind=Invoice.Kind.INVOICE,
            status=Invoice.Status.DRAFT,
            authority_id=year.order.authority_id,
            order_id=year.order_id,
            licence_year=year,
            issue_due_on=issue_due_day(licence_year=year, on=on),
            service_period_start=year.start_date,
            service_period_end=year.end_date,
            net_total=totals.net,
            vat_total=totals.vat,
            gross_total=totals.gross,
        )
        drafts.append((invoice, lines))
    invoices = Invoice.objects.bulk_create([invoice for invoice, _lines in drafts])
    all_lines = []
    for invoice, lines in drafts:
        for line in lines:
            line.invoice = invoice
        all_lines.extend(lines)
    InvoiceLine.objects.bulk_create(all_lines, batch_size=LINE_BATCH)
    audit_log_bulk(created=[*invoices, *all_lines], source=NIGHTLY_RUN)
    return invoices
