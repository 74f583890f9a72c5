"""Booking bank files: exact payments are recorded, everything else lands on
the review list, nothing is recorded twice, and staff assign or leave entries."""

from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from invoicing import bank_services
from invoicing.bank_models import BankEntry, BankImport, BankStatement
from invoicing.bank_statements import BankFileError
from invoicing.models import Invoice, Payment
from invoicing.payments import PaymentItem, payment_record, payments_record_many
from tests.factories import UserFactory
from tests.invoicing.bank_files import DAY, Tx, camt053, mt940, zipped
from tests.invoicing.factories import InvoiceFactory

pytestmark = pytest.mark.django_db
D = Decimal
Status, Reason = BankEntry.Status, BankEntry.Reason


@pytest.fixture
def clerk(db):
    return UserFactory(username="buchhaltung", is_staff=True)


@pytest.fixture
def invoices(db):
    """Open invoices RE-2027-00042 (107,00), -00043 (50,00), -00044 (80,00), a
    paid one -00045 and a cancelled one -00046."""
    made = {}
    for number, gross, status in [
        ("RE-2027-00042", "107.00", "issued"),
        ("RE-2027-00043", "50.00", "issued"),
        ("RE-2027-00044", "80.00", "issued"),
        ("RE-2027-00045", "70.00", "paid"),
        ("RE-2027-00046", "60.00", "cancelled"),
    ]:
        made[number] = InvoiceFactory(number=number, gross_total=D(gross), status=status)
    return made


def store(data: bytes, clerk, name="auszug.xml") -> BankImport:
    return bank_services.bank_import_store(data=data, filename=name, by=clerk)


def book(data: bytes, clerk, name="auszug.xml") -> dict:
    return bank_services.bank_import_book(bank_import=store(data, clerk, name), by=clerk)


STATEMENT = [
    Tx("107.00", "Rechnung RE-2027-00042", ref="E1"),  # exact
    Tx("0", ref="E2", batch=[Tx("50.00", "re 2027 43", ref="E2a"), Tx("79.99", "RE-2027-00044")]),
    Tx("70.00", "RE-2027-00045", ref="E3"),  # already paid
    Tx("60.00", "RE-2027-00046", ref="E4"),  # cancelled
    Tx("157.00", "RE-2027-00042 RE-2027-00043", ref="E5"),  # several
    Tx("12.00", "Spende Förderverein", ref="E6"),  # unknown
    Tx("3.50", "Kontoführung", credit=False),  # debit
    Tx("107.00", "RE-2027-00042", ref="E7", return_reason="AC04"),  # return
    Tx("80.00", "RE-2027-00044", currency="USD", ref="E8"),  # foreign currency
    Tx("200.00", "RE-2027-00044", ref="E9"),  # excess
]


def test_broken_file_writes_nothing(clerk, invoices):
    with pytest.raises(BankFileError):
        store(camt053(STATEMENT)[:-30], clerk)
    assert not BankImport.objects.exists()
    assert not BankStatement.objects.exists() and not Payment.objects.exists()


def test_preview_records_nothing_and_shows_every_outcome(clerk, invoices):
    bank_import = store(camt053(STATEMENT), clerk)
    plan = bank_services.bank_import_preview(bank_import=bank_import)
    assert [p.match.reason for p in plan.entries] == [
        Reason.EXACT,
        Reason.EXACT,
        Reason.PARTIAL,
        Reason.PAID,
        Reason.CANCELLED,
        Reason.SEVERAL,
        Reason.UNKNOWN,
        Reason.DEBIT,
        Reason.RETURN,
        Reason.CURRENCY,
        Reason.EXCESS,
    ]
    assert [p.invoice_number for p in plan.automatic] == ["RE-2027-00042", "RE-2027-00043"]
    assert plan.automatic_total == D("157.00")
    assert not BankStatement.objects.exists() and not BankEntry.objects.exists()
    assert not Payment.objects.exists()


def test_booking_records_exact_payments_and_lists_the_rest(clerk, invoices):
    summary = book(camt053(STATEMENT), clerk)
    assert summary == {
        "statements": 1,
        "entries": 11,
        "automatic": 2,
        "automatic_total": "157.00",
        "review": 9,
        "duplicates": 0,
    }
    paid = Invoice.objects.get(number="RE-2027-00042")
    assert (paid.status, paid.paid_at) == ("paid", DAY)
    assert Invoice.objects.get(number="RE-2027-00043").status == "paid"
    assert Invoice.objects.get(number="RE-2027-00044").status == "issued"
    payments = Payment.objects.order_by("invoice__number")
    assert [(p.invoice.number, p.amount, p.outcome, p.needs_attention) for p in payments] == [
        ("RE-2027-00042", D("107.00"), "settled", False),
        ("RE-2027-00043", D("50.00"), "settled", False),
    ]
    assert all(p.bank_entry.status == Status.BOOKED and p.recorded_by == clerk for p in payments)
    assert payments[0].reference == "Rechnung RE-2027-00042"
    review = BankEntry.objects.filter(status=Status.REVIEW)
    assert review.count() == 9
    assert BankEntry.objects.get(entry_key="ntry:E5").invoice_numbers == [
        "RE-2027-00042",
        "RE-2027-00043",
    ]
    statement = BankStatement.objects.get()
    assert (statement.opening_balance, statement.closing_balance) == (D("1000.00"), D("1919.49"))
    assert BankImport.objects.get().status == BankImport.Status.BOOKED


def test_booked_payments_are_in_the_audit_log(clerk, invoices):
    book(camt053(STATEMENT), clerk)
    payment = Payment.objects.get(invoice__number="RE-2027-00042")
    created = LogEntry.objects.get_for_object(payment).get()
    assert (created.action, created.actor) == (LogEntry.Action.CREATE, clerk)
    invoice_log = LogEntry.objects.get_for_object(payment.invoice).get(
        action=LogEntry.Action.UPDATE
    )
    assert invoice_log.changes["status"] == ["issued", "paid"]
    assert invoice_log.actor == clerk


def test_the_same_file_twice_records_nothing_twice(clerk, invoices):
    data = camt053(STATEMENT)
    book(data, clerk)
    second = store(data, clerk)
    plan = bank_services.bank_import_preview(bank_import=second)
    assert (plan.entries, plan.duplicates) == ([], 11)
    summary = bank_services.bank_import_book(bank_import=second, by=clerk)
    assert (summary["entries"], summary["duplicates"]) == (0, 11)
    assert BankEntry.objects.count() == 11
    assert Payment.objects.count() == 2
    assert BankStatement.objects.count() == 1


def test_an_overlapping_file_adds_only_new_entries(clerk, invoices):
    book(camt053(STATEMENT[:1]), clerk)
    # The same statement again (e.g. a corrected download) with one more entry,
    # and an MT940 of another account in a ZIP.
    data = zipped(
        {
            "a.xml": camt053(STATEMENT[:1] + [Tx("80.00", "RE-2027-00044", ref="N1")]),
            "b.sta": mt940([Tx("50.00", "RE-2027-00043")], account="DE12500105170648489890"),
        }
    )
    summary = book(data, clerk, "auszuege.zip")
    assert (summary["entries"], summary["automatic"], summary["duplicates"]) == (2, 2, 1)
    assert BankStatement.objects.count() == 2
    assert set(Invoice.objects.filter(status="paid").values_list("number", flat=True)) == {
        "RE-2027-00042",
        "RE-2027-00043",
        "RE-2027-00044",
        "RE-2027-00045",
    }


def test_booking_twice_the_same_draft_is_refused(clerk, invoices):
    bank_import = store(camt053(STATEMENT[:1]), clerk)
    bank_services.bank_import_book(bank_import=bank_import, by=clerk)
    with pytest.raises(ValidationError) as info:
        bank_services.bank_import_book(bank_import=bank_import, by=clerk)
    assert info.value.messages == [
        "Die Datei „auszug.xml“ ist schon gebucht; es wurde nichts gebucht."
    ]
    assert Payment.objects.count() == 1


def test_booking_matches_again_against_what_happened_since_the_preview(clerk, invoices):
    bank_import = store(camt053(STATEMENT[:1]), clerk)
    assert bank_services.bank_import_preview(bank_import=bank_import).automatic
    payment_record(invoice=invoices["RE-2027-00042"], amount=D("107.00"), paid_on=DAY, by=clerk)
    summary = bank_services.bank_import_book(bank_import=bank_import, by=clerk)
    assert (summary["automatic"], summary["review"]) == (0, 1)
    assert BankEntry.objects.get().reason == Reason.PAID


def test_discarded_draft_cannot_be_booked(clerk, invoices):
    bank_import = store(camt053(STATEMENT[:1]), clerk)
    bank_services.bank_import_discard(bank_import=bank_import, by=clerk)
    with pytest.raises(ValidationError):
        bank_services.bank_import_book(bank_import=bank_import, by=clerk)
    assert not Payment.objects.exists()


# On SQLite Django splits a bulk insert into batches of 999 parameters, so 60 entries
# take an insert or two more than 5 there; on PostgreSQL one insert each.
@pytest.mark.postgres
def test_preview_and_booking_queries_do_not_grow_with_the_entries(clerk, invoices):
    def queries(count: int, offset: int) -> tuple[int, int]:
        for n in range(count):
            InvoiceFactory(number=f"RE-2028-{offset + n:05d}", gross_total=D("10.00"))
        data = camt053(
            [Tx("10.00", f"RE-2028-{offset + n:05d}", ref=f"Q{offset + n}") for n in range(count)],
            statement_id=f"S{offset}",
        )
        bank_import = store(data, clerk)
        with CaptureQueriesContext(connection) as preview:
            bank_services.bank_import_preview(bank_import=bank_import)
        with CaptureQueriesContext(connection) as booking:
            bank_services.bank_import_book(bank_import=bank_import, by=clerk)
        return len(preview), len(booking)

    queries(1, 900)  # warms per-process caches (content types of the audit entries)
    small, large = queries(5, 1), queries(60, 100)
    assert small == large
    assert small[0] <= 3
    assert Invoice.objects.filter(number__startswith="RE-2028", status="paid").count() == 66


# --- the review list --------------------------------------------------------------


@pytest.fixture
def booked(clerk, invoices):
    book(camt053(STATEMENT), clerk)
    return {e.entry_key: e for e in BankEntry.objects.all()}


def test_assign_several_invoices_by_hand(clerk, booked):
    entry = booked["ntry:E5"]
    assert bank_services.suggested_allocations(entry) == [
        ("RE-2027-00042", D("107.00")),
        ("RE-2027-00043", D("50.00")),
    ]
    # Both were paid by this statement already: the payments are duplicates,
    # recorded and flagged (R9), and the entry is done.
    payments = bank_services.bank_entry_assign(
        entry=entry,
        allocations=[("re 2027 42", D("107.00")), ("RE-2027-00044", D("50.00"))],
        note="Sammelüberweisung",
        by=clerk,
    )
    assert [(p.invoice.number, p.outcome) for p in payments] == [
        ("RE-2027-00042", "duplicate"),
        ("RE-2027-00044", "partial"),
    ]
    entry.refresh_from_db()
    assert (entry.status, entry.note, entry.resolved_by) == (
        Status.ASSIGNED,
        "Sammelüberweisung",
        clerk,
    )
    assert set(entry.payments.values_list("amount", flat=True)) == {D("107.00"), D("50.00")}


def test_assign_partial_payment_settles_nothing(clerk, booked):
    (payment,) = bank_services.bank_entry_assign(
        entry=booked["ntry:E2/2"], allocations=[("RE-2027-00044", D("79.99"))], by=clerk
    )
    assert (payment.outcome, payment.needs_attention) == ("partial", True)
    assert Invoice.objects.get(number="RE-2027-00044").status == "issued"


def test_assign_unknown_entry_to_the_right_invoice_settles_it(clerk, booked):
    entry = booked["ntry:E9"]  # 200 € for an invoice of 80 €: excess as it stands
    with pytest.raises(ValidationError):
        bank_services.bank_entry_assign(
            entry=entry, allocations=[("RE-2027-00044", D("80.00"))], by=clerk
        )
    payments = bank_services.bank_entry_assign(
        entry=entry,
        allocations=[("RE-2027-00044", D("80.00")), ("RE-2027-00045", D("120.00"))],
        by=clerk,
    )
    assert [p.outcome for p in payments] == ["settled", "duplicate"]


@pytest.mark.parametrize(
    ("allocations", "messages"),
    [
        ([], ["Bitte geben Sie mindestens eine Rechnungsnummer mit Betrag an."]),
        (
            [("RE-2027-00044", D("10.00"))],
            [
                "Die Beträge ergeben 10,00 €, die Buchung beträgt 12,00 €. Bitte verteilen "
                "Sie genau den Buchungsbetrag."
            ],
        ),
        (
            [("Förderverein", D("12.00"))],
            ["Zeile 1: „Förderverein“ ist keine Rechnungsnummer (Form RE-2027-00042)."],
        ),
        (
            [("RE-2027-09999", D("12.00"))],
            ["Zeile 1: Die Rechnung RE-2027-09999 gibt es nicht."],
        ),
        (
            [("RE-2027-00044", D("6.00")), ("re-2027-44", D("6.00"))],
            ["Zeile 2: Rechnung RE-2027-00044 steht zweimal da."],
        ),
        (
            [("RE-2027-00046", D("12.00"))],
            [
                "Zeile 1: Die Rechnung RE-2027-00046 ist storniert. Bitte erfassen Sie die "
                "Zahlung bei der neuen Rechnung."
            ],
        ),
    ],
)
def test_wrong_assignment_is_refused_and_writes_nothing(clerk, booked, allocations, messages):
    entry = booked["ntry:E6"]
    with pytest.raises(ValidationError) as info:
        bank_services.bank_entry_assign(entry=entry, allocations=allocations, by=clerk)
    assert info.value.messages == messages
    entry.refresh_from_db()
    assert entry.status == Status.REVIEW
    assert Payment.objects.count() == 2


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (
            "ntry:E8",
            "Die Buchung ist in USD. Zahlungen werden nur in Euro erfasst; bitte erledigen Sie "
            "sie mit einem Vermerk.",
        ),
        (
            "stmt:2027-03-15-0001/7",
            "Eine Abbuchung (Soll) bezahlt keine Rechnung. Bitte erledigen Sie sie mit einem "
            "Vermerk.",
        ),
        (
            "ntry:E7",
            "Eine Rückbuchung bezahlt keine Rechnung. Bitte erledigen Sie sie mit einem Vermerk.",
        ),
    ],
)
def test_foreign_currency_debits_and_returns_cannot_pay_invoices(clerk, booked, key, message):
    with pytest.raises(ValidationError) as info:
        bank_services.bank_entry_assign(
            entry=booked[key], allocations=[("RE-2027-00044", booked[key].amount)], by=clerk
        )
    assert info.value.messages == [message]
    assert Payment.objects.count() == 2


def test_leave_with_a_note(clerk, booked):
    entry = booked["stmt:2027-03-15-0001/7"]
    with pytest.raises(ValidationError) as info:
        bank_services.bank_entry_leave(entry=entry, note="  ", by=clerk)
    assert info.value.messages == [
        "Bitte schreiben Sie in den Vermerk, warum die Buchung keiner Rechnung zugeordnet wird."
    ]
    bank_services.bank_entry_leave(entry=entry, note="Kontoführungsgebühr März", by=clerk)
    entry.refresh_from_db()
    assert (entry.status, entry.note) == (Status.LEFT, "Kontoführungsgebühr März")
    with pytest.raises(ValidationError) as info:
        bank_services.bank_entry_leave(entry=entry, note="nochmal", by=clerk)
    assert info.value.messages == [
        "Die Buchung vom 15.03.2027 über 3,50 € ist schon erledigt (ohne Zuordnung erledigt)."
    ]


def test_automatically_booked_entries_are_not_on_the_review_list(clerk, booked):
    with pytest.raises(ValidationError):
        bank_services.bank_entry_assign(
            entry=booked["ntry:E1"], allocations=[("RE-2027-00044", D("107.00"))], by=clerk
        )


# --- payments_record_many follows payment_record ----------------------------------


def test_many_payments_follow_the_rules_of_one(clerk, invoices):
    inv = invoices
    payments = payments_record_many(
        items=[
            PaymentItem(inv["RE-2027-00042"].pk, D("107.00"), DAY),
            PaymentItem(inv["RE-2027-00042"].pk, D("107.00"), DAY),
            PaymentItem(inv["RE-2027-00043"].pk, D("49.99"), DAY),
            PaymentItem(inv["RE-2027-00044"].pk, D("80.01"), DAY),
        ],
        by=clerk,
    )
    assert [p.outcome for p in payments] == ["settled", "duplicate", "partial", "excess"]
    assert [p.needs_attention for p in payments] == [False, True, True, True]
    statuses = dict(Invoice.objects.values_list("number", "status"))
    assert statuses["RE-2027-00042"] == "paid"
    assert statuses["RE-2027-00043"] == statuses["RE-2027-00044"] == "issued"


def test_many_payments_refuse_all_when_one_is_refused(clerk, invoices):
    with pytest.raises(ValidationError) as info:
        payments_record_many(
            items=[
                PaymentItem(invoices["RE-2027-00042"].pk, D("107.00"), DAY),
                PaymentItem(invoices["RE-2027-00046"].pk, D("60.00"), DAY),
            ],
            by=clerk,
        )
    assert info.value.messages[0].startswith(
        "RE-2027-00046: Die Rechnung RE-2027-00046 ist storniert"
    )
    assert not Payment.objects.exists()
    assert Invoice.objects.get(number="RE-2027-00042").status == "issued"
