"""Real-shaped bank files made by the tests: camt.053 (any version .001.02 to
.001.13, with the element differences between them) and MT940 as German banks
write it (``:86:`` with ``?20``-``?29`` sub-fields, wrapped lines)."""

import datetime
import io
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax.saxutils import escape

ACCOUNT = "DE02100100100006820101"
DAY = datetime.date(2027, 3, 15)


@dataclass
class Tx:
    """One transaction of a test statement. ``batch`` makes it a batch booking
    of several transactions (each a Tx); ``ref`` is the bank's reference."""

    amount: Decimal | str
    text: str = ""
    credit: bool = True
    currency: str = "EUR"
    ref: str | None = None
    name: str = "Stadt Musterstadt"
    iban: str = "DE89370400440532013000"
    day: datetime.date = DAY
    reversal: bool = False
    return_reason: str = ""
    gvc: str = ""
    batch: list["Tx"] = field(default_factory=list)

    @property
    def value(self) -> Decimal:
        return Decimal(str(self.amount))

    @property
    def signed(self) -> Decimal:
        return self.value if self.credit else -self.value


def _party(version: int, tag: str, name: str) -> str:
    if version >= 8:
        return f"<{tag}><Pty><Nm>{escape(name)}</Nm></Pty></{tag}>"
    return f"<{tag}><Nm>{escape(name)}</Nm></{tag}>"


def _tx_details(tx: Tx, version: int, index: int) -> str:
    amount = f'<Amt Ccy="{tx.currency}">{tx.value:.2f}</Amt>'
    amount_xml = (
        f"<AmtDtls><TxAmt>{amount}</TxAmt></AmtDtls>"
        if version == 2
        else f"{amount}<CdtDbtInd>{'CRDT' if tx.credit else 'DBIT'}</CdtDbtInd>"
    )
    party, account = ("Dbtr", "DbtrAcct") if tx.credit else ("Cdtr", "CdtrAcct")
    ret = (
        f"<RtrInf><Rsn><Cd>{tx.return_reason}</Cd></Rsn><AddtlInf>Rueckgabe</AddtlInf></RtrInf>"
        if tx.return_reason
        else ""
    )
    ref = f"<AcctSvcrRef>{tx.ref}</AcctSvcrRef>" if tx.ref and index else ""
    return (
        f"<TxDtls><Refs>{ref}<EndToEndId>E2E-{index}</EndToEndId></Refs>{amount_xml}"
        f"<RltdPties>{_party(version, party, tx.name)}"
        f"<{account}><Id><IBAN>{tx.iban}</IBAN></Id></{account}></RltdPties>"
        f"<RmtInf><Ustrd>{escape(tx.text)}</Ustrd></RmtInf>{ret}</TxDtls>"
    )


def _camt_entry(tx: Tx, version: int) -> str:
    status = "<Sts><Cd>BOOK</Cd></Sts>" if version >= 7 else "<Sts>BOOK</Sts>"
    total = sum((t.signed for t in tx.batch), Decimal("0")) if tx.batch else tx.signed
    credit = total >= 0
    details = (
        "".join(_tx_details(t, version, n) for n, t in enumerate(tx.batch, start=1))
        if tx.batch
        else _tx_details(tx, version, 0)
    )
    batch = f"<Btch><NbOfTxs>{len(tx.batch)}</NbOfTxs></Btch>" if tx.batch else ""
    ref = f"<AcctSvcrRef>{tx.ref}</AcctSvcrRef>" if tx.ref else ""
    family = "RRTN" if tx.return_reason else ("RCDT" if credit else "ICDT")
    return (
        f'<Ntry><Amt Ccy="{tx.currency}">{abs(total):.2f}</Amt>'
        f"<CdtDbtInd>{'CRDT' if credit else 'DBIT'}</CdtDbtInd>"
        + ("<RvslInd>true</RvslInd>" if tx.reversal else "")
        + f"{status}<BookgDt><Dt>{tx.day}</Dt></BookgDt><ValDt><Dt>{tx.day}</Dt></ValDt>{ref}"
        f"<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>{family}</SubFmlyCd></Fmly>"
        f"</Domn></BkTxCd><NtryDtls>{batch}{details}</NtryDtls></Ntry>"
    )


def camt053(
    transactions: list[Tx],
    *,
    version: int = 8,
    statement_id: str = "2027-03-15-0001",
    account: str = ACCOUNT,
    opening: Decimal | str = "1000.00",
    closing: Decimal | str | None = None,
    currency: str = "EUR",
) -> bytes:
    """A camt.053 document with one statement; the closing balance is computed
    unless given (give a wrong one to make a truncated/altered file)."""
    opening = Decimal(str(opening))
    if closing is None:
        closing = opening + sum(
            (sum((t.signed for t in tx.batch), Decimal("0")) if tx.batch else tx.signed)
            for tx in transactions
        )
    closing = Decimal(str(closing))
    ns = f"urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version:02d}"

    def balance(code: str, amount: Decimal) -> str:
        mark = "CRDT" if amount >= 0 else "DBIT"
        return (
            f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
            f'<Amt Ccy="{currency}">{abs(amount):.2f}</Amt><CdtDbtInd>{mark}</CdtDbtInd>'
            f"<Dt><Dt>{DAY}</Dt></Dt></Bal>"
        )

    entries = "".join(_camt_entry(tx, version) for tx in transactions)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{ns}"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>MSG-{statement_id}</MsgId><CreDtTm>{DAY}T06:00:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{statement_id}</Id><ElctrncSeqNb>42</ElctrncSeqNb>"
        f"<CreDtTm>{DAY}T06:00:00+01:00</CreDtTm>"
        f"<FrToDt><FrDtTm>{DAY}T00:00:00</FrDtTm><ToDtTm>{DAY}T23:59:59</ToDtTm></FrToDt>"
        f"<Acct><Id><IBAN>{account}</IBAN></Id><Ccy>{currency}</Ccy></Acct>"
        f"{balance('PRCD', opening)}{balance('CLBD', closing)}{entries}</Stmt>"
        f"</BkToCstmrStmt></Document>"
    ).encode()


def _wrap_86(fields: list[tuple[str, str]]) -> str:
    """``:86:`` as German banks write it: sub-fields ``?NN`` and lines of at most
    65 characters, wrapped wherever the limit falls (even inside a word)."""
    text = "".join(f"?{code}{value}" for code, value in fields)
    lines = [text[i : i + 65] for i in range(0, len(text), 65)]
    return "\n".join(lines)


def mt940(
    transactions: list[Tx],
    *,
    account: str = "10010010/6820101",
    statement_number: str = "00042/001",
    opening: Decimal | str = "1000.00",
    closing: Decimal | str | None = None,
    currency: str = "EUR",
) -> bytes:
    opening = Decimal(str(opening))
    if closing is None:
        closing = opening + sum((tx.signed for tx in transactions), Decimal("0"))
    closing = Decimal(str(closing))

    def amount(value: Decimal) -> str:
        return f"{abs(value):.2f}".replace(".", ",")

    def mark(value: Decimal) -> str:
        return "C" if value >= 0 else "D"

    lines = [
        ":20:STARTUMSE",
        f":25:{account}",
        f":28C:{statement_number}",
        f":60F:{mark(opening)}{DAY:%y%m%d}{currency}{amount(opening)}",
    ]
    for tx in transactions:
        # RC: reversal of a credit (money goes out), RD: reversal of a debit.
        status = ("RD" if tx.credit else "RC") if tx.reversal else ("C" if tx.credit else "D")
        ref = f"//{tx.ref}" if tx.ref else ""
        lines.append(f":61:{tx.day:%y%m%d}{tx.day:%m%d}{status}{amount(tx.value)}NTRFNONREF{ref}")
        gvc = tx.gvc or ("166" if tx.credit else "177")
        purpose = f"SVWZ+{tx.text}"
        chunks = [purpose[i : i + 27] for i in range(0, len(purpose), 27)] or [""]
        fields = [("00", "GUTSCHRIFT" if tx.credit else "UEBERWEISUNG"), ("10", "931")]
        fields += [(f"{20 + n}", chunk) for n, chunk in enumerate(chunks[:10])]
        fields += [("30", "COBADEFFXXX"), ("31", tx.iban), ("32", tx.name[:27])]
        lines.append(f":86:{gvc}" + _wrap_86(fields))
    lines.append(f":62F:{mark(closing)}{DAY:%y%m%d}{currency}{amount(closing)}")
    lines.append("-")
    return ("\r\n".join(lines) + "\r\n").encode("latin-1")


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()
