"""Validation of a parsed registration list against the school directory
(DOMAIN R1, R2, R3, R8): the result a user sees before the binding order.

``registration_validate`` reads with a fixed number of queries whatever the
number of rows: the authority's schools, the listed numbers, running bulk
licences, individual licences and prices are each fetched in one query.
"""

from __future__ import annotations

import datetime
import difflib
import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from licensing.anmeldeliste import ParsedList, TemplateSchool, normalise_header, write_template
from licensing.models import IndividualLicence, Licence, Product
from licensing.selectors import prices_on
from licensing.terms import refund_amount
from schools.models import School, SchoolAuthority

NAME_MAX = 100
PHONE_MAX = 50
_PHONE = re.compile(r"^[0-9 +()/.\-]+$")


@dataclass(slots=True)
class _DirectorySchool:
    pk: int
    school_number: str
    name: str
    is_active: bool
    school_type_id: int
    type_name: str
    type_key: str


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return _("Zeile %(row)s, Spalte %(column)s: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class TypeFigure:
    """R1 for one school type: registered of total, needed = total // 2 + 1."""

    school_type_id: int
    name: str
    registered: int
    total: int
    bulk_price: str | None = None  # Decimal as text (JSON)
    subtotal: str | None = None

    @property
    def needed(self) -> int:
        return self.total // 2 + 1

    @property
    def passed(self) -> bool:
        return 2 * self.registered > self.total

    @property
    def percent(self) -> int:
        return round(100 * self.registered / self.total) if self.total else 0

    @property
    def threshold_percent(self) -> int:
        return round(100 * self.needed / self.total) if self.total else 0


@dataclass
class EntryRow:
    """A valid row: the school and its contact person."""

    row: int
    school_id: int
    school_number: str
    school_name: str
    school_type_id: int
    first_name: str
    last_name: str
    email: str
    phone: str


@dataclass
class RefundNote:
    school_number: str
    school_name: str
    term: str
    paid: str
    amount: str | None  # None: three months or less remain, no refund
    remaining_days: int | None
    term_days: int | None


@dataclass
class RegistrationResult:
    row_errors: list[RowError] = field(default_factory=list)
    list_errors: list[str] = field(default_factory=list)
    entries: list[EntryRow] = field(default_factory=list)
    figures: list[TypeFigure] = field(default_factory=list)
    missing_schools: list[dict] = field(default_factory=list)
    licensed_schools: list[dict] = field(default_factory=list)
    refunds: list[RefundNote] = field(default_factory=list)
    total_price: str = "0.00"
    assumed_start: str = ""
    row_count: int = 0

    @property
    def is_valid(self) -> bool:
        return not self.row_errors and not self.list_errors and bool(self.entries)

    @property
    def messages(self) -> list[str]:
        """Every problem as one line, rows first (the command's output)."""
        return [str(error) for error in self.row_errors] + list(self.list_errors)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> RegistrationResult:
        return cls(
            row_errors=[RowError(**e) for e in data.get("row_errors", [])],
            list_errors=list(data.get("list_errors", [])),
            entries=[EntryRow(**e) for e in data.get("entries", [])],
            figures=[TypeFigure(**f) for f in data.get("figures", [])],
            missing_schools=list(data.get("missing_schools", [])),
            licensed_schools=list(data.get("licensed_schools", [])),
            refunds=[RefundNote(**r) for r in data.get("refunds", [])],
            total_price=data.get("total_price", "0.00"),
            assumed_start=data.get("assumed_start", ""),
            row_count=data.get("row_count", 0),
        )


def _number_candidates(raw: str) -> list[str]:
    """The school number as written, and with the leading zeros Excel drops when
    it turns a text number into a number (NRW numbers have six digits)."""
    number = raw.replace(" ", "")
    if number.isdigit() and len(number) < 6:
        return [number, number.zfill(6)]
    return [number]


def _loose_name(text: str) -> str:
    return normalise_header(text)


def _names_match(given: str, directory: str) -> bool:
    """Loose check of the school name (R3): the user may abbreviate."""
    if given == directory:
        return True
    a, b = _loose_name(given), _loose_name(directory)
    if not a or a == b or a in b or b in a:
        return True
    return difflib.SequenceMatcher(None, a, b).quick_ratio() >= 0.6 and (
        difflib.SequenceMatcher(None, a, b).ratio() >= 0.6
    )


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def registration_validate(
    *,
    parsed: ParsedList,
    authority: SchoolAuthority,
    product: Product,
    today: datetime.date | None = None,
) -> RegistrationResult:
    """Check every row of ``parsed`` and the list as a whole; writes nothing."""
    today = today or timezone.localdate()
    result = RegistrationResult(assumed_start=today.isoformat(), row_count=len(parsed.rows))
    label = parsed.column_label
    errors = result.row_errors

    # 1 query: every school of the authority (active or not), for R1 totals,
    # the missing schools and the type check.
    own_schools = {
        row[1]: _DirectorySchool(*row)
        for row in School.objects.filter(authority=authority).values_list(
            "id",
            "school_number",
            "name",
            "is_active",
            "school_type_id",
            "school_type__name",
            "school_type__key",
        )
    }
    # 1 query: listed numbers that are not the authority's own (foreign or unknown).
    foreign_numbers: set[str] = set()
    for parsed_row in parsed.rows:
        for candidate in _number_candidates(parsed_row.values.get("school_number", "")):
            if candidate and candidate not in own_schools:
                foreign_numbers.add(candidate)
    foreign: set[str] = set()
    if foreign_numbers:
        foreign = set(
            School.objects.filter(
                state=authority.state, school_number__in=foreign_numbers
            ).values_list("school_number", flat=True)
        )

    type_names_by_key: dict[str, int] = {}
    for type_id, type_name, type_key in {
        (school.school_type_id, school.type_name, school.type_key)
        for school in own_schools.values()
    }:
        type_names_by_key[normalise_header(type_name)] = type_id
        type_names_by_key[normalise_header(type_key)] = type_id
    given_types: dict[str, int | None] = {}  # spelling in the list -> type id

    seen: dict[int, int] = {}
    entries: list[EntryRow] = []
    for parsed_row in parsed.rows:
        values = parsed_row.values
        row = parsed_row.row_number
        raw_number = values.get("school_number", "")
        school = None
        row_ok = True
        if not raw_number:
            errors.append(RowError(row, label("school_number"), _("Die Schulnummer fehlt.")))
            row_ok = False
        else:
            candidates = _number_candidates(raw_number)
            school = next((own_schools[c] for c in candidates if c in own_schools), None)
            if school is None:
                if any(c in foreign for c in candidates):
                    message = _(
                        "Die Schule %(number)s gehört im Schulverzeichnis nicht zu Ihrem "
                        "Schulträger."
                    ) % {"number": raw_number}
                else:
                    message = _(
                        "Die Schulnummer %(number)s steht nicht im Schulverzeichnis. "
                        "Bitte prüfen Sie die Nummer."
                    ) % {"number": raw_number}
                errors.append(RowError(row, label("school_number"), message))
                row_ok = False
            elif not school.is_active:
                errors.append(
                    RowError(
                        row,
                        label("school_number"),
                        _(
                            "Die Schule %(number)s ist im Schulverzeichnis als geschlossen "
                            "eingetragen und kann nicht angemeldet werden."
                        )
                        % {"number": school.school_number},
                    )
                )
                row_ok = False
            elif school.pk in seen:
                errors.append(
                    RowError(
                        row,
                        label("school_number"),
                        _(
                            "Die Schule %(number)s steht doppelt in der Liste "
                            "(auch in Zeile %(first)s)."
                        )
                        % {"number": school.school_number, "first": seen[school.pk]},
                    )
                )
                row_ok = False
            else:
                seen[school.pk] = row
                given_type = values.get("school_type", "")
                if given_type:
                    if given_type not in given_types:
                        given_types[given_type] = type_names_by_key.get(
                            normalise_header(given_type)
                        )
                    type_id = given_types[given_type]
                    if type_id != school.school_type_id:
                        errors.append(
                            RowError(
                                row,
                                label("school_type"),
                                _(
                                    "Die Schulform „%(given)s“ passt nicht zum "
                                    "Schulverzeichnis: Die Schule %(number)s ist dort "
                                    "eine %(type)s."
                                )
                                % {
                                    "given": given_type,
                                    "number": school.school_number,
                                    "type": school.type_name,
                                },
                            )
                        )
                        row_ok = False
                given_name = values.get("school_name", "")
                if given_name and not _names_match(given_name, school.name):
                    errors.append(
                        RowError(
                            row,
                            label("school_name"),
                            _(
                                "Der Schulname „%(given)s“ passt nicht zur Schulnummer "
                                "%(number)s (im Schulverzeichnis: %(name)s). Bitte prüfen "
                                "Sie die Schulnummer."
                            )
                            % {
                                "given": given_name,
                                "number": school.school_number,
                                "name": school.name,
                            },
                        )
                    )
                    row_ok = False

        first_name = values.get("first_name", "")
        last_name = values.get("last_name", "")
        email = values.get("email", "")
        phone = values.get("phone", "")
        for key, value in (("first_name", first_name), ("last_name", last_name)):
            if not value:
                missing = (
                    _("Der Vorname der Ansprechperson fehlt.")
                    if key == "first_name"
                    else _("Der Nachname der Ansprechperson fehlt.")
                )
                errors.append(RowError(row, label(key), missing))
                row_ok = False
            elif len(value) > NAME_MAX:
                errors.append(
                    RowError(
                        row,
                        label(key),
                        _("Der Eintrag ist zu lang (höchstens %(max)s Zeichen).")
                        % {"max": NAME_MAX},
                    )
                )
                row_ok = False
        if not email:
            errors.append(
                RowError(row, label("email"), _("Die E-Mail-Adresse der Ansprechperson fehlt."))
            )
            row_ok = False
        else:
            try:
                validate_email(email)
            except ValidationError:
                errors.append(
                    RowError(
                        row,
                        label("email"),
                        _("„%(value)s“ ist keine gültige E-Mail-Adresse.") % {"value": email},
                    )
                )
                row_ok = False
        if phone and (len(phone) > PHONE_MAX or not _PHONE.match(phone)):
            errors.append(
                RowError(
                    row,
                    label("phone"),
                    _(
                        "„%(value)s“ ist keine Telefonnummer (erlaubt sind Ziffern, "
                        "Leerzeichen und + ( ) / -, höchstens %(max)s Zeichen)."
                    )
                    % {"value": phone, "max": PHONE_MAX},
                )
            )
            row_ok = False
        if row_ok and school is not None:
            entries.append(
                EntryRow(
                    row=row,
                    school_id=school.pk,
                    school_number=school.school_number,
                    school_name=school.name,
                    school_type_id=school.school_type_id,
                    first_name=first_name,
                    last_name=last_name,
                    email=email.lower() if email.count("@") == 1 else email,
                    phone=phone,
                )
            )

    listed_ids = set(seen)
    listed_rows = seen  # school id -> row of its (first) line

    # R2: schools that already hold a running bulk licence for the product (1 query).
    if listed_ids:
        running = (
            # By authority rather than a 10,000-item IN list; filtered below.
            Licence.objects.filter(
                product=product, school__authority=authority, status__in=Licence.RUNNING
            )
            .select_related("school")
            .only("id", "order_id", "school__school_number", "school__name", "school_id")
        )
        for licence in running:
            if licence.school_id not in listed_rows:
                continue
            row = listed_rows[licence.school_id]
            result.licensed_schools.append(
                {
                    "row": row,
                    "school_number": licence.school.school_number,
                    "school_name": licence.school.name,
                    "order_id": licence.order_id,
                }
            )
            errors.append(
                RowError(
                    row,
                    label("school_number"),
                    _(
                        "Die Schule %(number)s hat für dieses Produkt bereits eine laufende "
                        "Großkunden-Lizenz (Bestellung Nr. %(order)s). Bitte entfernen Sie "
                        "die Zeile."
                    )
                    % {"number": licence.school.school_number, "order": licence.order_id},
                )
            )
        licensed = {item["row"] for item in result.licensed_schools}
        entries = [entry for entry in entries if entry.row not in licensed]
    column_order = {header: index for index, header in enumerate(parsed.headers.values())}
    errors.sort(key=lambda e: (e.row, column_order.get(e.column, len(column_order))))

    # R1 per school type, totals from the directory; prices valid today (1 query).
    prices = prices_on(product=product, on=today)
    totals: dict[int, int] = {}
    type_names: dict[int, str] = {}
    for school in own_schools.values():
        type_names[school.school_type_id] = school.type_name
        if school.is_active:
            totals[school.school_type_id] = totals.get(school.school_type_id, 0) + 1
    registered: dict[int, int] = {}
    for entry in entries:
        registered[entry.school_type_id] = registered.get(entry.school_type_id, 0) + 1
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
            figure.bulk_price = _money(price.bulk_price)
            subtotal = price.bulk_price * figure.registered
            figure.subtotal = _money(subtotal)
            total_price += subtotal
        result.figures.append(figure)
        if figure.registered and not figure.passed:
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
            result.list_errors.append(
                _(
                    "Für die Schulform %(type)s gibt es für dieses Produkt keinen Preis. "
                    "Bitte wenden Sie sich an den Verlag."
                )
                % {"type": figure.name}
            )
    result.total_price = _money(total_price)
    if not parsed.rows or (not entries and not errors):
        result.list_errors.append(_("Die Liste enthält keine Schulen."))

    result.missing_schools = [
        {
            "school_number": school.school_number,
            "school_name": school.name,
            "school_type": school.type_name,
        }
        for school in sorted(own_schools.values(), key=lambda s: (s.type_name, s.school_number))
        if school.is_active and school.pk not in listed_ids
    ]

    # R8: individual licences the bulk licence would supersede (1 query).
    if entries:
        entry_ids = {entry.school_id for entry in entries}
        individual = (
            IndividualLicence.objects.filter(
                product=product,
                school__authority=authority,
                status=IndividualLicence.Status.ACTIVE,
                end_date__gte=today,
            )
            .select_related("school")
            .order_by("school__school_number", "start_date")
        )
        for licence in individual:
            if licence.school_id not in entry_ids:
                continue
            refund = refund_amount(
                paid=licence.paid_amount,
                term_start=licence.start_date,
                term_end=licence.end_date,
                bulk_start=today,
            )
            result.refunds.append(
                RefundNote(
                    school_number=licence.school.school_number,
                    school_name=licence.school.name,
                    term=f"{licence.start_date:%d.%m.%Y}–{licence.end_date:%d.%m.%Y}",
                    paid=_money(licence.paid_amount),
                    amount=_money(refund[0]) if refund else None,
                    remaining_days=refund[1] if refund else None,
                    term_days=refund[2] if refund else None,
                )
            )
    result.entries = entries
    return result


@dataclass
class PriceLine:
    name: str
    schools: int
    bulk_price: Decimal | None
    bulk_total: Decimal | None
    individual_price: Decimal | None
    individual_total: Decimal | None
    needed: int


@dataclass
class PriceOverview:
    lines: list[PriceLine]
    bulk_total: Decimal
    individual_total: Decimal | None
    missing_prices: bool


def price_overview(
    *, authority: SchoolAuthority, product: Product, on: datetime.date | None = None
) -> PriceOverview:
    """What ``product`` costs per year for all active schools of ``authority``, per
    school type, and what the schools would pay with individual licences (2 queries)."""
    on = on or timezone.localdate()
    prices = prices_on(product=product, on=on)
    counts: dict[int, list] = {}
    for type_id, type_name in School.objects.filter(
        authority=authority, is_active=True
    ).values_list("school_type_id", "school_type__name"):
        counts.setdefault(type_id, [type_name, 0])[1] += 1
    lines = []
    bulk_total = Decimal("0.00")
    individual_total = Decimal("0.00")
    has_individual = False
    missing = False
    for type_id, (name, n) in sorted(counts.items(), key=lambda item: item[1][0]):
        price = prices.get(type_id)
        if price is None:
            missing = True
            lines.append(PriceLine(name, n, None, None, None, None, n // 2 + 1))
            continue
        individual = price.individual_price if price.individual_price else None
        lines.append(
            PriceLine(
                name=name,
                schools=n,
                bulk_price=price.bulk_price,
                bulk_total=price.bulk_price * n,
                individual_price=individual,
                individual_total=individual * n if individual is not None else None,
                needed=n // 2 + 1,
            )
        )
        bulk_total += price.bulk_price * n
        if individual is not None:
            has_individual = True
            individual_total += individual * n
    return PriceOverview(
        lines=lines,
        bulk_total=bulk_total,
        individual_total=individual_total if has_individual else None,
        missing_prices=missing,
    )


def registration_template(*, authority: SchoolAuthority, product: Product) -> bytes:
    """The .xlsx template pre-filled with the authority's active schools (1 query)."""
    schools = list(
        School.objects.filter(authority=authority, is_active=True)
        .select_related("school_type")
        .order_by("school_type__name", "school_number")
    )
    type_names = sorted({school.school_type.name for school in schools})
    return write_template(
        authority_name=authority.name,
        customer_number=authority.customer_number,
        product_name=product.name,
        schools=[
            TemplateSchool(
                school_number=school.school_number,
                name=school.name,
                school_type=school.school_type.name,
                address=school.address,
            )
            for school in schools
        ],
        school_type_names=type_names,
    )


def template_filename(*, authority: SchoolAuthority, product: Product) -> str:
    return f"Anmeldeliste_{product.code}_{authority.customer_number}.xlsx"
