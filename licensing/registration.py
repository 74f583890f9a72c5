"""Checking a parsed registration list against the school directory (R1, R2, R3,
R8): the result a user sees before the binding order; writes nothing.

``registration_validate`` runs the row checks (R3, ``registration_rows.py``), the
check against running bulk licences (R2), the more-than-half figures per school
type (R1) and the refund notes of superseded individual licences (R8), with a
fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from functools import cached_property

from django.utils import timezone
from django.utils.translation import gettext as _

from config.money import money_text
from licensing.anmeldeliste import ParsedList, TemplateSchool, write_template
from licensing.models import IndividualLicence, Licence, Product
from licensing.registration_result import (
    EntryRow,
    RefundNote,
    RegistrationResult,
    RowError,
    TypeFigure,
    column_of,
)
from licensing.registration_rows import (
    DirectorySchool,
    RowChecker,
    directory_schools,
    normalise_names,
)
from licensing.selectors import prices_on
from licensing.terms import refund_amount
from schools.models import School, SchoolAuthority


class ListContext:
    """What a check reads from the database that does not depend on the list's
    rows, each part loaded on first use (1 query each), or all at once by
    ``load`` (called while the reader process reads the file)."""

    def __init__(self, *, authority: SchoolAuthority, product: Product, on: datetime.date):
        self.authority, self.product, self.on = authority, product, on

    @cached_property
    def directory(self) -> dict[str, DirectorySchool]:
        return directory_schools(authority=self.authority)

    @cached_property
    def running(self) -> list[Licence]:
        """Running bulk licences of the product at the authority's schools."""
        return list(
            # By authority rather than a 10,000-item IN list; filtered by the caller.
            Licence.objects.filter(
                product=self.product, school__authority=self.authority, status__in=Licence.RUNNING
            )
            .select_related("school")
            .only("id", "order_id", "school__school_number", "school__name", "school_id")
        )

    @cached_property
    def prices(self) -> dict:
        return prices_on(product=self.product, on=self.on)

    @cached_property
    def individual(self) -> list[IndividualLicence]:
        """Active individual licences of the product at the authority's schools
        that have not ended by ``on``."""
        return list(
            IndividualLicence.objects.filter(
                product=self.product,
                school__authority=self.authority,
                status=IndividualLicence.Status.ACTIVE,
                end_date__gte=self.on,
            )
            .select_related("school")
            .order_by("school__school_number", "start_date")
        )

    def load(self) -> None:
        for part in ("directory", "running", "prices", "individual"):
            getattr(self, part)
        normalise_names(self.directory)


def registration_validate(
    *,
    parsed: ParsedList,
    authority: SchoolAuthority,
    product: Product,
    today: datetime.date | None = None,
    context: ListContext | None = None,
) -> RegistrationResult:
    """Check every row of ``parsed`` (as its rows arrive) and the list as a whole;
    writes nothing. Raises ``ListFileError`` when the rows cannot be read to the
    end. ``context``: the database rows, when already loaded (its day is ``today``)."""
    if context is None:
        context = ListContext(
            authority=authority, product=product, on=today or timezone.localdate()
        )
    today = context.on
    checker = RowChecker(parsed=parsed, authority=authority, directory=context.directory)
    check = checker.check
    for rows in parsed.arriving():  # the first rows while the reader makes the next
        for parsed_row in rows:
            check(parsed_row)
    checker.finish()
    result = RegistrationResult(assumed_start=today.isoformat(), row_count=len(parsed.rows))
    result.row_errors = checker.errors
    entries = _running_licences_check(
        result=result,
        entries=checker.entries,
        listed=checker.seen,
        parsed=parsed,
        context=context,
    )
    _type_figures(
        result=result, own=checker.own, entries=entries, parsed=parsed, prices=context.prices
    )
    column_order = {header: index for index, header in enumerate(parsed.headers.values())}
    result.row_errors.sort(key=lambda e: (e.row, column_order.get(e.column, len(column_order))))
    if not parsed.rows or (not entries and not result.row_errors):
        result.list_errors.append(_("Die Liste enthält keine Schulen."))
    # Schools of a type without a price cannot be ordered: not "missing".
    orderable_types = {figure.school_type_id for figure in result.figures if figure.bulk_price}
    missing = [
        school
        for school in checker.own.values()
        if school.is_active
        and school.pk not in checker.seen
        and school.school_type_id in orderable_types
    ]  # sorted after the filter: few of the authority's schools are missing
    result.missing_schools = [
        {
            "school_number": school.school_number,
            "school_name": school.name,
            "school_type": school.type_name,
        }
        for school in sorted(missing, key=lambda s: (s.type_name, s.school_number))
    ]
    result.refunds = _refund_notes(entries=entries, context=context)
    result.entries = entries
    return result


def _running_licences_check(
    *,
    result: RegistrationResult,
    entries: Sequence[EntryRow],
    listed: dict[int, int],
    parsed: ParsedList,
    context: ListContext,
) -> list[EntryRow]:
    """R2: listed schools that already hold a running bulk licence of the product
    are reported (1 query); returns the entries without them."""
    if not listed:
        return entries
    for licence in context.running:
        if licence.school_id not in listed:
            continue
        row = listed[licence.school_id]
        result.licensed_schools.append(
            {
                "row": row,
                "school_number": licence.school.school_number,
                "school_name": licence.school.name,
                "order_id": licence.order_id,
            }
        )
        result.row_errors.append(
            RowError(
                row,
                parsed.column_label("school_number"),
                _(
                    "Die Schule %(number)s hat für dieses Produkt bereits eine laufende "
                    "Großkunden-Lizenz (Bestellung Nr. %(order)s). Bitte entfernen Sie "
                    "die Zeile."
                )
                % {"number": licence.school.school_number, "order": licence.order_id},
            )
        )
    licensed = {item["row"] for item in result.licensed_schools}
    return [entry for entry in entries if entry.row not in licensed]


def _type_figures(
    *,
    result: RegistrationResult,
    own: dict[str, DirectorySchool],
    entries: Sequence[EntryRow],
    parsed: ParsedList,
    prices: dict,
) -> None:
    """R1 per school type, totals from the directory, with the prices valid on the
    day of the check; a type below the threshold is a list error, each row of a
    type without price a row error."""
    totals: dict[int, int] = {}
    type_names: dict[int, str] = {}
    for school in own.values():
        type_names[school.school_type_id] = school.type_name
        if school.is_active:
            totals[school.school_type_id] = totals.get(school.school_type_id, 0) + 1
    registered = Counter(column_of(entries, "school_type_id"))
    total_price = Decimal("0.00")
    for type_id in sorted(totals, key=lambda t: type_names[t]):
        figure = TypeFigure(
            school_type_id=type_id,
            name=type_names[type_id],
            registered=registered.get(type_id, 0),
            total=totals[type_id],
        )
        price = prices.get(type_id)
        if price is not None:
            figure.bulk_price = money_text(price.bulk_price)
            subtotal = price.bulk_price * figure.registered
            figure.subtotal = money_text(subtotal)
            total_price += subtotal
        result.figures.append(figure)
        if figure.registered and not figure.passed and price is not None:
            result.list_errors.append(
                _(
                    "%(type)s: %(registered)s von %(total)s Schulen angemeldet. Nötig sind "
                    "mehr als die Hälfte, also mindestens %(needed)s."
                )
                % {
                    "type": figure.name,
                    "registered": figure.registered,
                    "total": figure.total,
                    "needed": figure.needed,
                }
            )
        if figure.registered and price is None:
            result.row_errors.extend(_not_orderable_errors(entries, figure, parsed))
    result.total_price = money_text(total_price)


def _not_orderable_errors(
    entries: Sequence[EntryRow], figure: TypeFigure, parsed: ParsedList
) -> list[RowError]:
    """One error per row whose school is of a type without a price (the
    template lists such schools only on its sheet „Nicht bestellbar“)."""
    column = parsed.column_label(
        "school_type" if "school_type" in parsed.headers else "school_number"
    )
    return [
        RowError(
            entry.row,
            column,
            _(
                "Die Schule %(number)s hat die Schulform %(type)s; diese Schulform ist für "
                "dieses Produkt nicht bestellbar (es gibt keinen Preis dafür). Bitte löschen "
                "Sie die Zeile oder wenden Sie sich an Ihre Ansprechpartner im Verlag."
            )
            % {"number": entry.school_number, "type": figure.name},
        )
        for entry in entries
        if entry.school_type_id == figure.school_type_id
    ]


def _refund_notes(*, entries: Sequence[EntryRow], context: ListContext) -> list[RefundNote]:
    """R8: the individual licences the bulk licence would supersede if it started
    on the day of the check, with the refund each would get (1 query)."""
    if not entries:
        return []
    entry_ids = set(column_of(entries, "school_id"))
    individual = context.individual
    on = context.on
    notes = []
    for licence in individual:
        if licence.school_id not in entry_ids:
            continue
        refund = refund_amount(
            paid=licence.paid_amount,
            term_start=licence.start_date,
            term_end=licence.end_date,
            bulk_start=on,
        )
        notes.append(
            RefundNote(
                school_number=licence.school.school_number,
                school_name=licence.school.name,
                term=f"{licence.start_date:%d.%m.%Y}–{licence.end_date:%d.%m.%Y}",
                paid=money_text(licence.paid_amount),
                amount=money_text(refund[0]) if refund else None,
                remaining_days=refund[1] if refund else None,
                term_days=refund[2] if refund else None,
            )
        )
    return notes


def registration_template(
    *, authority: SchoolAuthority, product: Product, on: datetime.date | None = None
) -> bytes:
    """The .xlsx template pre-filled with the authority's active schools of the
    types ``product`` has a price for on ``on`` (today); the other active schools
    on the sheet „Nicht bestellbar“ (2 queries)."""
    priced = prices_on(product=product, on=on or timezone.localdate())
    schools = (
        School.objects.filter(authority=authority, is_active=True)
        .select_related("school_type")
        .order_by("school_type__name", "school_number")
    )
    orderable: list[TemplateSchool] = []
    not_orderable: list[TemplateSchool] = []
    type_names: set[str] = set()
    for school in schools:
        row = TemplateSchool(
            school_number=school.school_number,
            name=school.name,
            school_type=school.school_type.name,
            address=school.address,
        )
        if school.school_type_id in priced:
            orderable.append(row)
            type_names.add(row.school_type)
        else:
            not_orderable.append(row)
    return write_template(
        authority_name=authority.name,
        customer_number=authority.customer_number,
        product_name=product.name,
        schools=orderable,
        school_type_names=sorted(type_names),
        not_orderable=not_orderable,
    )


def template_filename(*, authority: SchoolAuthority, product: Product) -> str:
    return f"Anmeldeliste_{product.code}_{authority.customer_number}.xlsx"
