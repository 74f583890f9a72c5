"""Matching bank entries to invoices (pure functions, no database): every case
of the review list and the one case that books automatically."""

from decimal import Decimal

import pytest

from invoicing.bank_matching import (
    InvoiceFacts,
    invoice_numbers_in,
    match_entries,
    match_entry,
)
from invoicing.bank_models import BankEntry
from invoicing.bank_statements import ParsedEntry
from tests.invoicing.bank_files import DAY

Reason = BankEntry.Reason


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("Rechnung RE-2027-00042", ["RE-2027-00042"]),
        ("re-2027-00042", ["RE-2027-00042"]),
        ("RE 2027 00042", ["RE-2027-00042"]),
        ("RE2027-42 Stadt Köln", ["RE-2027-00042"]),
        ("RE - 2027 - 00042", ["RE-2027-00042"]),
        ("Nr.:RE/2027/00042", ["RE-2027-00042"]),
        ("RE202700042", ["RE-2027-00042"]),
        (
            "RE-2027-00042, RE-2027-00043 und re 2027 00044",
            ["RE-2027-00042", "RE-2027-00043", "RE-2027-00044"],
        ),
        ("RE-2027-00042 RE-2027-00042", ["RE-2027-00042"]),
        ("RE-2027-00042 12 Schulen", ["RE-2027-00042"]),
        ("Beitrag THERE 2027 1", []),
        ("RE-2027-0004212", []),
        ("RE-2027-00000", []),
        ("Kundennummer 2027 00042", []),
        ("", []),
    ],
)
def test_invoice_numbers_in_text(text, numbers):
    assert invoice_numbers_in(text) == numbers


def entry(amount="107.00", text="RE-2027-00042", **kwargs) -> ParsedEntry:
    return ParsedEntry(
        key="k",
        booking_date=DAY,
        value_date=DAY,
        amount=Decimal(amount),
        currency=kwargs.pop("currency", "EUR"),
        is_credit=kwargs.pop("is_credit", True),
        remittance=text,
        **kwargs,
    )


INVOICES = {
    "RE-2027-00042": InvoiceFacts(1, "RE-2027-00042", Decimal("107.00"), "issued"),
    "RE-2027-00043": InvoiceFacts(2, "RE-2027-00043", Decimal("50.00"), "issued"),
    "RE-2027-00044": InvoiceFacts(3, "RE-2027-00044", Decimal("80.00"), "paid"),
    "RE-2027-00045": InvoiceFacts(4, "RE-2027-00045", Decimal("80.00"), "cancelled"),
}


def test_exact_amount_and_one_open_invoice_books_automatically():
    match = match_entry(entry(), INVOICES, set())
    assert (match.reason, match.invoice_pk, match.books_automatically) == (Reason.EXACT, 1, True)


@pytest.mark.parametrize(
    ("amount", "reason"),
    [("106.99", Reason.PARTIAL), ("0.01", Reason.PARTIAL), ("107.01", Reason.EXCESS)],
)
def test_a_cent_off_either_way_goes_to_review(amount, reason):
    match = match_entry(entry(amount), INVOICES, set())
    assert match.reason == reason
    assert not match.books_automatically
    assert match.numbers == ("RE-2027-00042",)


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"text": "RE-2027-00042 RE-2027-00043", "amount": "157.00"}, Reason.SEVERAL),
        ({"text": "RE-2027-00042 RE-2027-09999"}, Reason.SEVERAL),
        ({"text": "Lizenzen Schulen Musterstadt"}, Reason.UNKNOWN),
        ({"text": "RE-2027-09999"}, Reason.UNKNOWN),
        ({"text": "RE-2027-00044", "amount": "80.00"}, Reason.PAID),
        ({"text": "RE-2027-00045", "amount": "80.00"}, Reason.CANCELLED),
        ({"is_credit": False}, Reason.DEBIT),
        ({"is_return": True, "return_reason": "AC04"}, Reason.RETURN),
        ({"is_reversal": True, "is_credit": False}, Reason.RETURN),
        ({"currency": "USD"}, Reason.CURRENCY),
        ({"currency": "CHF", "is_credit": False}, Reason.DEBIT),
    ],
)
def test_every_other_case_goes_to_review_with_its_reason(kwargs, reason):
    match = match_entry(entry(**kwargs), INVOICES, set())
    assert match.reason == reason
    assert match.invoice_pk is None


def test_a_second_exact_payment_of_one_invoice_in_the_same_file_is_reviewed():
    first, second, other = match_entries(
        [entry(), entry(text="re 2027 42"), entry("50.00", "RE-2027-00043")], INVOICES
    )
    assert (first.reason, first.invoice_pk) == (Reason.EXACT, 1)
    assert (second.reason, second.invoice_pk) == (Reason.PAID, None)
    assert (other.reason, other.invoice_pk) == (Reason.EXACT, 2)


def test_a_draft_invoice_is_never_paid_automatically():
    draft = {"RE-2027-00042": InvoiceFacts(1, "RE-2027-00042", Decimal("107.00"), "draft")}
    assert match_entry(entry(), draft, set()).reason == Reason.UNKNOWN
