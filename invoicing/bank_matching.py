"""Matching bank entries to invoices, as pure functions (no database): find the
invoice numbers in a remittance text and decide per entry whether its payment
is recorded automatically (one open invoice, exactly its gross amount) or why
staff must look at it (partial, excess, several invoices, unknown reference,
already paid, cancelled, debit, return, foreign currency)."""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from invoicing.bank_models import BankEntry
from invoicing.models import Invoice, NumberSeries
from invoicing.numbering import PREFIXES, format_number

Reason = BankEntry.Reason
_PREFIX = PREFIXES[NumberSeries.INVOICE]
_SEPARATOR = r"[\s\-_/.:#]{0,3}"
# "RE-2027-00042", "re 2027 00042", "RE2027-42", "R E - 2027 - 000 42" is not
# accepted (a space inside the sequence would make "RE-2027-00042 12 Schulen"
# ambiguous). A letter right before the prefix ("THERE 2027 1") is no match.
INVOICE_NUMBER = re.compile(
    r"(?<![A-Za-z])"
    + _SEPARATOR.join(re.escape(letter) for letter in _PREFIX)
    + _SEPARATOR
    + r"(20\d{2})"
    + _SEPARATOR
    + r"(\d{1,6})(?!\d)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class InvoiceFacts:
    """What matching needs to know about one invoice."""

    pk: int
    number: str
    gross_total: Decimal
    status: str


@dataclass(frozen=True)
class EntryMatch:
    reason: str
    numbers: tuple[str, ...] = ()
    invoice_pk: int | None = None

    @property
    def books_automatically(self) -> bool:
        return self.invoice_pk is not None


def invoice_numbers_in(text: str) -> list[str]:
    """Invoice numbers written in ``text`` in their canonical form, in order of
    appearance, each once. Tolerates spaces, dashes, lower case and a sequence
    number without its leading zeros."""
    found: list[str] = []
    for match in INVOICE_NUMBER.finditer(text or ""):
        sequence = int(match.group(2))
        if sequence == 0:
            continue
        number = format_number(
            series=NumberSeries.INVOICE, year=int(match.group(1)), sequence=sequence
        )
        if number not in found:
            found.append(number)
    return found


def match_entry(entry, invoices: Mapping[str, InvoiceFacts], settled: set[int]) -> EntryMatch:
    """The outcome for one entry. ``invoices`` holds the invoices (kind
    "Rechnung") by number; ``settled`` the invoices already paid by an earlier
    entry of the same import (it is extended when this entry settles one)."""
    numbers = tuple(invoice_numbers_in(entry.remittance))
    if entry.is_return or entry.is_reversal:
        return EntryMatch(Reason.RETURN, numbers)
    if not entry.is_credit:
        return EntryMatch(Reason.DEBIT, numbers)
    if entry.currency != "EUR":
        return EntryMatch(Reason.CURRENCY, numbers)
    if len(numbers) > 1:
        return EntryMatch(Reason.SEVERAL, numbers)
    invoice = invoices.get(numbers[0]) if numbers else None
    if invoice is None:
        return EntryMatch(Reason.UNKNOWN, numbers)
    if invoice.status == Invoice.Status.CANCELLED:
        return EntryMatch(Reason.CANCELLED, numbers)
    if invoice.status == Invoice.Status.PAID or invoice.pk in settled:
        return EntryMatch(Reason.PAID, numbers)
    if invoice.status != Invoice.Status.ISSUED:
        return EntryMatch(Reason.UNKNOWN, numbers)
    if entry.amount < invoice.gross_total:
        return EntryMatch(Reason.PARTIAL, numbers)
    if entry.amount > invoice.gross_total:
        return EntryMatch(Reason.EXCESS, numbers)
    settled.add(invoice.pk)
    return EntryMatch(Reason.EXACT, numbers, invoice_pk=invoice.pk)


def match_entries(entries: Iterable, invoices: Mapping[str, InvoiceFacts]) -> list[EntryMatch]:
    """Outcomes for ``entries`` in order: the first exact payment of an invoice
    books it, a second one in the same import goes to review as "schon bezahlt"."""
    settled: set[int] = set()
    return [match_entry(entry, invoices, settled) for entry in entries]


def numbers_in_entries(entries: Iterable) -> set[str]:
    """Every invoice number any of ``entries`` mentions (for one lookup query)."""
    numbers: set[str] = set()
    for entry in entries:
        numbers.update(invoice_numbers_in(entry.remittance))
    return numbers
