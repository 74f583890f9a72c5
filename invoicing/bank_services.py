"""Bank statement import, the writes: keep an uploaded file that could be read as
a draft, show what booking it would do (the preview), book it (statements,
entries, automatic payments; set-based), and the staff's hand work on the
review list (assign an entry to one or more invoices, or leave it with a note).

Reading the files is ``bank_statements``; deciding per entry is ``bank_matching``;
payments are recorded by ``payments`` with the rules of R9."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from invoicing.bank_matching import (
    EntryMatch,
    InvoiceFacts,
    invoice_numbers_in,
    match_entries,
    numbers_in_entries,
)
from invoicing.bank_models import BankEntry, BankImport, BankStatement
from invoicing.bank_statements import (
    ParsedEntry,
    ParsedStatement,
    file_sha256,
    format_euro,
    parse_bank_file,
)
from invoicing.models import Invoice, Payment
from invoicing.payments import PaymentItem, payment_record, payment_refusal, payments_record_many
from licensing.terms import money


@dataclass
class PlannedEntry:
    statement: ParsedStatement
    entry: ParsedEntry
    match: EntryMatch
    invoice_number: str = ""

    @property
    def reason_label(self) -> str:
        return BankEntry.Reason(self.match.reason).label


@dataclass
class ImportPlan:
    """What booking a file would do: its statements, the entries not imported
    before with their outcome, and how many were imported before."""

    statements: list[ParsedStatement]
    entries: list[PlannedEntry] = field(default_factory=list)
    duplicates: int = 0

    @property
    def automatic(self) -> list[PlannedEntry]:
        return [p for p in self.entries if p.match.books_automatically]

    @property
    def review(self) -> list[PlannedEntry]:
        return [p for p in self.entries if not p.match.books_automatically]

    @property
    def automatic_total(self) -> Decimal:
        return sum((p.entry.amount for p in self.automatic), Decimal("0"))

    def summary(self) -> dict:
        return {
            "statements": len(self.statements),
            "entries": len(self.entries),
            "automatic": len(self.automatic),
            "automatic_total": str(self.automatic_total),
            "review": len(self.review),
            "duplicates": self.duplicates,
        }


def bank_import_store(*, data: bytes, filename: str, by) -> BankImport:
    """Keep an uploaded bank file as a draft for the preview. Raises
    ``BankFileError`` (German message) and writes nothing if it cannot be read."""
    parse_bank_file(data, filename)
    bank_import = BankImport(
        original_filename=filename[:255], file_sha256=file_sha256(data), uploaded_by=by
    )
    bank_import.file.save("kontoauszug", ContentFile(data), save=False)
    bank_import.save()
    return bank_import


def _read_import(bank_import: BankImport) -> list[ParsedStatement]:
    with bank_import.file.open("rb") as handle:
        return parse_bank_file(handle.read(), bank_import.original_filename)


def bank_import_plan(*, statements: list[ParsedStatement], lock: bool = False) -> ImportPlan:
    """Match the entries of ``statements`` that are not imported yet, in three
    queries whatever their number. ``lock`` locks the invoices (for booking)."""
    plan = ImportPlan(statements=statements)
    keys = {(s.account, e.key) for s in statements for e in s.entries}
    known = set(
        BankEntry.objects.filter(
            account__in={account for account, _key in keys},
            entry_key__in={key for _account, key in keys},
        ).values_list("account", "entry_key")
    )
    fresh: list[tuple[ParsedStatement, ParsedEntry]] = []
    for statement in statements:
        for entry in statement.entries:
            if (statement.account, entry.key) in known:
                plan.duplicates += 1
                continue
            known.add((statement.account, entry.key))
            fresh.append((statement, entry))
    invoices = Invoice.objects.filter(
        kind=Invoice.Kind.INVOICE, number__in=numbers_in_entries(e for _s, e in fresh)
    )
    if lock:
        invoices = invoices.select_for_update().order_by("pk")
    facts = {
        row["number"]: InvoiceFacts(**row)
        for row in invoices.values("pk", "number", "gross_total", "status")
    }
    matches = match_entries((e for _s, e in fresh), facts)
    for (statement, entry), match in zip(fresh, matches, strict=True):
        number = match.numbers[0] if match.books_automatically else ""
        plan.entries.append(PlannedEntry(statement, entry, match, number))
    return plan


def bank_import_preview(*, bank_import: BankImport) -> ImportPlan:
    """What booking ``bank_import`` would do now (read again, matched against
    the invoices as they are now)."""
    return bank_import_plan(statements=_read_import(bank_import))


def not_draft_message(bank_import: BankImport) -> str:
    return _("Die Datei „%(name)s“ ist schon %(status)s; es wurde nichts gebucht.") % {
        "name": bank_import.original_filename,
        "status": bank_import.get_status_display(),
    }


def bank_import_book(*, bank_import: BankImport, by) -> dict:
    """Book a previewed file: its statements and new entries are stored, exact
    payments recorded, everything else put on the review list. Entries
    imported before are skipped. Returns the summary."""
    try:
        return _book(bank_import=bank_import, by=by)
    except IntegrityError as exc:
        raise ValidationError(
            _(
                "Dieselben Buchungen wurden gerade von einem anderen Import gebucht. Bitte "
                "öffnen Sie die Vorschau erneut; es wurde nichts gebucht."
            )
        ) from exc


@transaction.atomic
def _book(*, bank_import: BankImport, by) -> dict:
    locked = BankImport.objects.select_for_update().get(pk=bank_import.pk)
    if locked.status != BankImport.Status.DRAFT:
        raise ValidationError(not_draft_message(locked))
    plan = bank_import_plan(statements=_read_import(locked), lock=True)
    rows = _statement_rows(plan.statements, bank_import=locked)
    entries = BankEntry.objects.bulk_create(
        [_entry_row(planned, rows) for planned in plan.entries], batch_size=1000
    )
    payments_record_many(
        items=[
            PaymentItem(
                invoice_id=planned.match.invoice_pk,
                amount=planned.entry.amount,
                paid_on=planned.entry.booking_date,
                reference=planned.entry.remittance,
                bank_entry_id=row.pk,
            )
            for planned, row in zip(plan.entries, entries, strict=True)
            if planned.match.books_automatically
        ],
        by=by,
    )
    locked.status = BankImport.Status.BOOKED
    locked.booked_by = by
    locked.booked_at = timezone.now()
    locked.summary = plan.summary()
    locked.save(update_fields=["status", "booked_by", "booked_at", "summary"])
    return locked.summary


def _statement_rows(
    statements: list[ParsedStatement], *, bank_import: BankImport
) -> dict[tuple[str, str], BankStatement]:
    """The statement rows by (account, id): existing ones are reused (a statement
    imported before, perhaps with entries missing then), new ones created."""
    rows = {
        (row.account, row.statement_id): row
        for row in BankStatement.objects.filter(
            account__in={s.account for s in statements},
            statement_id__in={s.statement_id for s in statements},
        )
    }
    new = [
        BankStatement(
            bank_import=bank_import,
            file_format=s.file_format,
            account=s.account,
            statement_id=s.statement_id,
            sequence_number=s.sequence_number,
            currency=s.currency,
            created_at=s.created_at,
            period_start=s.period_start,
            period_end=s.period_end,
            opening_balance=s.opening_balance,
            closing_balance=s.closing_balance,
        )
        for s in statements
        if (s.account, s.statement_id) not in rows
    ]
    for row in BankStatement.objects.bulk_create(new):
        rows[(row.account, row.statement_id)] = row
    return rows


def _entry_row(planned: PlannedEntry, rows: dict) -> BankEntry:
    entry, match = planned.entry, planned.match
    statement = rows[(planned.statement.account, planned.statement.statement_id)]
    automatic = match.books_automatically
    return BankEntry(
        statement=statement,
        account=statement.account,
        entry_key=entry.key,
        booking_date=entry.booking_date,
        value_date=entry.value_date,
        amount=entry.amount,
        currency=entry.currency,
        is_credit=entry.is_credit,
        is_reversal=entry.is_reversal,
        is_return=entry.is_return,
        return_reason=entry.return_reason,
        remittance=entry.remittance,
        counterparty_name=entry.counterparty_name,
        counterparty_iban=entry.counterparty_iban,
        end_to_end_id=entry.end_to_end_id,
        bank_reference=entry.bank_reference,
        batch_reference=entry.batch_reference,
        status=BankEntry.Status.BOOKED if automatic else BankEntry.Status.REVIEW,
        reason=match.reason,
        invoice_numbers=list(match.numbers),
    )


@transaction.atomic
def bank_import_discard(*, bank_import: BankImport, by) -> BankImport:
    locked = BankImport.objects.select_for_update().get(pk=bank_import.pk)
    if locked.status != BankImport.Status.DRAFT:
        raise ValidationError(not_draft_message(locked))
    locked.status = BankImport.Status.DISCARDED
    locked.save(update_fields=["status"])
    return locked


# --- the review list --------------------------------------------------------------


def _locked_open_entry(entry: BankEntry) -> BankEntry:
    locked = BankEntry.objects.select_for_update().get(pk=entry.pk)
    if locked.status != BankEntry.Status.REVIEW:
        raise ValidationError(
            _("Die Buchung vom %(date)s über %(amount)s ist schon erledigt (%(status)s).")
            % {
                "date": locked.booking_date.strftime("%d.%m.%Y"),
                "amount": format_euro(locked.amount),
                "status": locked.get_status_display(),
            }
        )
    return locked


def not_assignable_message(entry: BankEntry) -> str:
    if entry.is_return or entry.is_reversal:
        return _(
            "Eine Rückbuchung bezahlt keine Rechnung. Bitte erledigen Sie sie mit einem Vermerk."
        )
    if not entry.is_credit:
        return _(
            "Eine Abbuchung (Soll) bezahlt keine Rechnung. Bitte erledigen Sie sie mit "
            "einem Vermerk."
        )
    return _(
        "Die Buchung ist in %(currency)s. Zahlungen werden nur in Euro erfasst; bitte "
        "erledigen Sie sie mit einem Vermerk."
    ) % {"currency": entry.currency}


@transaction.atomic
def bank_entry_assign(
    *, entry: BankEntry, allocations: list[tuple[str, Decimal]], note: str = "", by
) -> list[Payment]:
    """Record the entry as payment(s) of one or more invoices, given as
    (invoice number, amount) rows whose amounts add up to the entry's amount.
    Each payment follows R9 (a partial or excess payment is recorded and flagged).
    Any error refuses the whole assignment."""
    locked = _locked_open_entry(entry)
    if not locked.can_be_assigned:
        raise ValidationError(not_assignable_message(locked))
    rows = _allocation_rows(locked, allocations)
    payments = [
        payment_record(
            invoice=invoice,
            amount=amount,
            paid_on=locked.booking_date,
            reference=locked.remittance[:200],
            by=by,
            bank_entry=locked,
        )
        for invoice, amount in rows
    ]
    locked.status = BankEntry.Status.ASSIGNED
    locked.note = note.strip()
    locked.resolved_by = by
    locked.resolved_at = timezone.now()
    locked.save(update_fields=["status", "note", "resolved_by", "resolved_at"])
    return payments


def _allocation_rows(entry: BankEntry, allocations: list[tuple[str, Decimal]]) -> list:
    if not allocations:
        raise ValidationError(_("Bitte geben Sie mindestens eine Rechnungsnummer mit Betrag an."))
    errors, numbers = [], []
    for line, (text, amount) in enumerate(allocations, start=1):
        found = invoice_numbers_in(text)
        if len(found) != 1:
            errors.append(
                _("Zeile %(line)d: „%(text)s“ ist keine Rechnungsnummer (Form RE-2027-00042).")
                % {"line": line, "text": text}
            )
        elif found[0] in numbers:
            errors.append(
                _("Zeile %(line)d: Rechnung %(number)s steht zweimal da.")
                % {"line": line, "number": found[0]}
            )
        numbers.append(found[0] if len(found) == 1 else "")
        if money(Decimal(amount)) <= 0:
            errors.append(
                _("Zeile %(line)d: Der Betrag muss größer als 0,00 € sein.") % {"line": line}
            )
    total = sum((money(Decimal(a)) for _n, a in allocations), Decimal("0"))
    if total != entry.amount:
        errors.append(
            _(
                "Die Beträge ergeben %(total)s, die Buchung beträgt %(amount)s. Bitte verteilen "
                "Sie genau den Buchungsbetrag."
            )
            % {"total": format_euro(total), "amount": format_euro(entry.amount)}
        )
    invoices = Invoice.objects.filter(kind=Invoice.Kind.INVOICE, number__in=numbers).in_bulk(
        field_name="number"
    )
    for line, number in enumerate(numbers, start=1):
        if number and number not in invoices:
            errors.append(
                _("Zeile %(line)d: Die Rechnung %(number)s gibt es nicht.")
                % {"line": line, "number": number}
            )
        elif number:
            refusal = payment_refusal(invoice=invoices[number], amount=Decimal("0.01"))
            if refusal:
                errors.append(_("Zeile %(line)d: %(error)s") % {"line": line, "error": refusal})
    if errors:
        raise ValidationError(errors)
    return [
        (invoices[number], money(Decimal(amount)))
        for number, (_text, amount) in zip(numbers, allocations, strict=True)
    ]


@transaction.atomic
def bank_entry_leave(*, entry: BankEntry, note: str, by) -> BankEntry:
    """Close an entry of the review list without a payment (e.g. a bank fee,
    a return already dealt with); ``note`` says why."""
    note = note.strip()
    if not note:
        raise ValidationError(
            _(
                "Bitte schreiben Sie in den Vermerk, warum die Buchung keiner Rechnung "
                "zugeordnet wird."
            )
        )
    locked = _locked_open_entry(entry)
    locked.status = BankEntry.Status.LEFT
    locked.note = note
    locked.resolved_by = by
    locked.resolved_at = timezone.now()
    locked.save(update_fields=["status", "note", "resolved_by", "resolved_at"])
    return locked


def suggested_allocations(entry: BankEntry) -> list[tuple[str, Decimal]]:
    """Rows to start the assignment form with: the invoice numbers found in the
    text, the whole amount on a single one, or each open invoice's gross amount
    when several are named."""
    numbers = list(entry.invoice_numbers)
    if len(numbers) == 1:
        return [(numbers[0], entry.amount)]
    invoices = Invoice.objects.filter(kind=Invoice.Kind.INVOICE, number__in=numbers).in_bulk(
        field_name="number"
    )
    return [(n, invoices[n].gross_total if n in invoices else Decimal("0")) for n in numbers]
