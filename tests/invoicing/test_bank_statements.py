"""Reading camt.053 (every version .001.02-.001.13), MT940 and ZIP files made
by the tests, and refusing broken or foreign files with a German message."""

import datetime
from decimal import Decimal

import pytest

from invoicing.bank_statements import BankFileError, parse_bank_file
from tests.invoicing.bank_files import ACCOUNT, DAY, Tx, camt053, mt940, zipped

D = Decimal

STATEMENT = [
    Tx("107.00", "Rechnung RE-2027-00042 Stadt Musterstadt", ref="AS-1", name="Stadt Köln"),
    Tx("0", ref="AS-2", batch=[Tx("10.00", "re 2027 00043", ref="AS-2a"), Tx("20.00", "x")]),
    Tx("5.00", "RE-2027-00045", credit=False, reversal=True, ref="AS-3"),
    Tx("7.00", "Kontoführung", credit=False),
    Tx("50.00", "RE-2027-00046", currency="USD", ref="AS-4"),
    Tx("30.00", "RE-2027-00047", return_reason="AC04", ref="AS-5"),
]


def error_of(data: bytes, filename: str = "auszug.xml") -> str:
    with pytest.raises(BankFileError) as info:
        parse_bank_file(data, filename)
    return info.value.message


@pytest.mark.parametrize("version", range(2, 14))
def test_camt053_every_version_reads_statement_and_entries(version):
    (statement,) = parse_bank_file(camt053(STATEMENT, version=version))
    assert statement.file_format == f"camt.053.001.{version:02d}"
    assert (statement.account, statement.statement_id, statement.currency) == (
        ACCOUNT,
        "2027-03-15-0001",
        "EUR",
    )
    assert (statement.opening_balance, statement.closing_balance) == (D("1000.00"), D("1205.00"))
    assert statement.period_start == statement.period_end == DAY
    entries = statement.entries
    # The batch booking is split into its two transactions.
    assert [e.amount for e in entries] == [D(x) for x in ["107", "10", "20", "5", "7", "50", "30"]]
    first = entries[0]
    assert first.is_credit and first.booking_date == DAY
    assert first.remittance == "Rechnung RE-2027-00042 Stadt Musterstadt"
    assert first.counterparty_name == "Stadt Köln"
    assert first.counterparty_iban == "DE89370400440532013000"
    assert first.key == "ntry:AS-1"


def test_camt053_batch_entry_keys_and_reference():
    (statement,) = parse_bank_file(camt053(STATEMENT))
    batch = statement.entries[1:3]
    assert [e.key for e in batch] == ["tx:AS-2a", "ntry:AS-2/2"]
    assert {e.batch_reference for e in batch} == {"AS-2"}
    assert [e.remittance for e in batch] == ["re 2027 00043", "x"]


def test_camt053_reversal_return_debit_and_currency_are_kept_as_the_bank_says():
    (statement,) = parse_bank_file(camt053(STATEMENT))
    reversal, debit, foreign, returned = statement.entries[3:]
    assert (reversal.is_reversal, reversal.is_credit) == (True, False)
    assert (debit.is_credit, debit.key) == (False, "stmt:2027-03-15-0001/4")
    assert foreign.currency == "USD"
    assert (returned.is_return, returned.return_reason) == (True, "AC04")


def test_camt053_batch_whose_details_do_not_add_up_stays_one_entry():
    data = camt053([Tx("0", ref="B", batch=[Tx("10.00", "a"), Tx("20.00", "b")])])
    data = data.replace(
        b'<Amt Ccy="EUR">30.00</Amt><CdtDbtInd>CRDT', b'<Amt Ccy="EUR">31.00</Amt><CdtDbtInd>CRDT'
    )
    data = data.replace(b'<Amt Ccy="EUR">1030.00</Amt>', b'<Amt Ccy="EUR">1031.00</Amt>')
    (statement,) = parse_bank_file(data)
    assert [(e.amount, e.key) for e in statement.entries] == [(D("31.00"), "ntry:B")]


def test_pending_entries_are_not_read():
    data = camt053([Tx("10.00", "a", ref="P")], closing="1000.00")
    data = data.replace(b"<Cd>BOOK</Cd>", b"<Cd>PDNG</Cd>")
    (statement,) = parse_bank_file(data)
    assert statement.entries == []


def test_mt940_german_bank_file():
    transactions = [
        Tx("107.00", "Rechnung RE-2027-00042 und noch ein langer Text der umbricht", ref="B1"),
        Tx("5.00", "RE-2027-00045", credit=False, reversal=True, ref="B2"),
        Tx("7.00", "Kontoführung", credit=False),
        Tx("30.00", "RE-2027-00047", gvc="159"),
    ]
    (statement,) = parse_bank_file(mt940(transactions), "umsatz.sta")
    assert statement.file_format == "MT940"
    assert statement.account == "10010010/6820101"
    assert statement.statement_id == "00042/001/2027-03-15"
    assert (statement.opening_balance, statement.closing_balance) == (D("1000.00"), D("1125.00"))
    first, reversal, debit, returned = statement.entries
    assert first.amount == D("107.00") and first.is_credit
    assert "RE-2027-00042" in first.remittance
    assert first.key == "bref:B1"
    assert first.counterparty_iban == "DE89370400440532013000"
    # RC (reversal of a credit) is money going out, whatever sign mt-940 gives it.
    assert (reversal.is_credit, reversal.is_reversal, reversal.amount) == (False, True, D("5.00"))
    assert (debit.is_credit, debit.key) == (False, "stmt:00042/001/2027-03-15/3")
    assert returned.is_return
    assert first.booking_date == datetime.date(2027, 3, 15)


def test_mt940_invoice_number_wrapped_across_subfields_and_lines():
    # ?20..?29 hold 27 characters each: the number is cut in two sub-fields.
    text = "Lizenzen Schulen 2027 Nr. RE-2027-00042"
    data = mt940([Tx("107.00", text, ref="W1")])
    assert b"?21" in data and b"RE-2027-00042" not in data.replace(b"\r\n", b"")
    (statement,) = parse_bank_file(data)
    assert "RE-2027-00042" in statement.entries[0].remittance


def test_mt940_continuation_line_that_looks_like_a_tag():
    data = mt940([Tx("107.00", "RE-2027-00042", ref="T1")])
    data = data.replace(b"?32Stadt Musterstadt", b"?32Stadt Musterstadt\r\n:08:30 Uhr")
    (statement,) = parse_bank_file(data)
    assert len(statement.entries) == 1
    assert statement.entries[0].amount == D("107.00")


def test_zip_of_several_statements():
    data = zipped(
        {
            "2027-03-15.xml": camt053([Tx("1.00", "a", ref="Z1")]),
            "2027-03-16.xml": camt053([Tx("2.00", "b", ref="Z2")], statement_id="2027-03-16-1"),
            "umsatz.sta": mt940([Tx("3.00", "c")]),
        }
    )
    statements = parse_bank_file(data, "auszuege.zip")
    assert [s.source for s in statements] == ["2027-03-15.xml", "2027-03-16.xml", "umsatz.sta"]
    assert [s.entries[0].amount for s in statements] == [D("1.00"), D("2.00"), D("3.00")]


def test_broken_xml():
    message = error_of(camt053(STATEMENT)[:-40])
    assert message.startswith("Die XML-Datei ist beschädigt (Zeile 2:")
    assert "erneut aus dem Online-Banking herunter" in message


def test_truncated_or_altered_statement_does_not_add_up():
    message = error_of(camt053(STATEMENT, closing="1204.99"))
    assert message == (
        "Kontoauszug 2027-03-15-0001: Anfangssaldo 1.000,00 € und die Umsätze ergeben "
        "1.205,00 €, der Schlusssaldo ist aber 1.204,99 €. Die Datei ist vermutlich "
        "unvollständig oder verändert."
    )


def test_truncated_mt940_is_refused():
    data = mt940([Tx("107.00", "RE-2027-00042")])
    assert "Anfangs- oder Schlusssaldo fehlt" in error_of(data[: data.index(b":62F:")])
    assert error_of(data[:-12]).startswith("Die MT940-Datei ist beschädigt oder unvollständig (")
    assert error_of(data[:-20]).startswith(
        "Die MT940-Datei ist beschädigt oder unvollständig (Feld :62F: mit „C2“"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:'
            b'camt.052.001.08"><BkToCstmrAcctRpt/></Document>',
            "Die Datei ist eine ISO-20022-Nachricht vom Typ camt.052, kein Kontoauszug. "
            "Bitte laden Sie den Tagesauszug im Format camt.053 hoch.",
        ),
        (
            b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:'
            b'pain.001.001.09"/>',
            "Die XML-Datei ist kein Kontoauszug im Format camt.053 (Namensraum "
            "„urn:iso:std:iso:20022:tech:xsd:pain.001.001.09“).",
        ),
        (
            b"<html><body>Login</body></html>",
            "Die XML-Datei ist kein Kontoauszug im Format camt.053 (Namensraum „html“).",
        ),
        (
            b"Buchungstag;Betrag;Verwendungszweck\n15.03.2027;107,00;RE-2027-00042\n",
            "Die Datei ist kein Kontoauszug im Format camt.053 (XML) oder MT940. Bitte laden "
            "Sie den Kontoauszug so hoch, wie ihn das Online-Banking liefert.",
        ),
        (
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
            "Die Datei ist kein Kontoauszug im Format camt.053 (XML) oder MT940. Bitte laden "
            "Sie den Kontoauszug so hoch, wie ihn das Online-Banking liefert.",
        ),
        (b"PK\x03\x04broken", "Das ZIP-Archiv ist beschädigt und lässt sich nicht öffnen."),
    ],
)
def test_foreign_files_are_refused_with_a_german_message(data, message):
    assert error_of(data) == message


def test_unsupported_camt_version():
    assert error_of(camt053(STATEMENT, version=14)) == (
        "camt.053 in Version 001.14 wird nicht unterstützt (unterstützt: .001.02 bis .001.13)."
    )


def test_zip_member_that_is_no_statement_is_named():
    data = zipped({"ok.xml": camt053(STATEMENT), "notiz.txt": b"Bitte buchen"})
    assert error_of(data).startswith("Die Datei („notiz.txt“ im ZIP-Archiv) ist kein Kontoauszug")


def test_the_same_statement_twice_in_one_zip_is_refused():
    data = zipped({"a.xml": camt053(STATEMENT), "b.xml": camt053(STATEMENT)})
    assert error_of(data) == (
        f"Der Kontoauszug 2027-03-15-0001 zum Konto {ACCOUNT} ist zweimal in der Datei."
    )


def test_zip_bomb_and_size_limits(settings):
    settings.UPLOAD_MAX_UNCOMPRESSED_BYTES = 10_000
    data = zipped({"a.xml": camt053(STATEMENT) + b" " * 20_000})
    assert error_of(data) == "Das ZIP-Archiv ist entpackt größer als 0 MB."
    settings.BANK_UPLOAD_MAX_BYTES = 1000
    assert error_of(camt053(STATEMENT)).startswith("Die Datei ist 0.0 MB groß")


def test_entity_expansion_is_not_performed():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>'
        b"<Stmt><Id>&b;</Id></Stmt></BkToCstmrStmt></Document>"
    )
    message = error_of(bomb)
    assert "Auszugsnummer (Id) oder Konto (IBAN) fehlt" in message
