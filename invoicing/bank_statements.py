"""Reading bank statement files: camt.053 (ISO 20022 XML, versions .001.02 to
.001.13), MT940 (German bank dialect, through the ``mt-940`` parser) and ZIP
archives of several such files, into plain ``ParsedStatement`` records.

Nothing here touches the database. Every problem with a file raises
``BankFileError`` with a German message that says what is wrong and where.
A statement is only accepted when its opening balance plus its booked entries
gives its closing balance, so a truncated file never goes through."""

from __future__ import annotations

import datetime
import hashlib
import io
import logging
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext as _

CAMT053_NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.(\d{2})$")
CAMT_OTHER_NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:(camt\.\d{3})\.001\.\d{2}$")
SUPPORTED_CAMT_VERSIONS = range(2, 14)
# German business transaction codes (GVC) and ISO sub-family codes of returns.
RETURN_GVC = {"108", "109", "159"}
RETURN_SUBFAMILIES = {"RRTN", "ARET", "UPDD", "RPCR"}
ZIP_MAX_MEMBERS = 200
# mt-940 logs every failed pattern attempt at ERROR level; what matters reaches
# the user as a BankFileError.
logging.getLogger("mt940").setLevel(logging.CRITICAL)


class BankFileError(Exception):
    """A bank file that cannot be imported; ``message`` is German and says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ParsedEntry:
    """One transaction as the bank booked it. ``amount`` is positive; the
    direction is ``is_credit``. ``key`` identifies it within its account, so a
    second import of the same statement finds it again."""

    key: str
    booking_date: datetime.date
    value_date: datetime.date | None
    amount: Decimal
    currency: str
    is_credit: bool
    is_reversal: bool = False
    is_return: bool = False
    return_reason: str = ""
    remittance: str = ""
    counterparty_name: str = ""
    counterparty_iban: str = ""
    end_to_end_id: str = ""
    bank_reference: str = ""
    batch_reference: str = ""

    @property
    def signed_amount(self) -> Decimal:
        return self.amount if self.is_credit else -self.amount


@dataclass
class ParsedStatement:
    file_format: str
    source: str
    statement_id: str
    account: str
    currency: str
    sequence_number: str = ""
    created_at: datetime.datetime | None = None
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None
    opening_balance: Decimal | None = None
    closing_balance: Decimal | None = None
    entries: list[ParsedEntry] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.statement_id} ({self.source})" if self.source else self.statement_id


def format_euro(value: Decimal) -> str:
    text = f"{value:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    return f"{text} €"


def parse_bank_file(data: bytes, filename: str = "") -> list[ParsedStatement]:
    """All statements in ``data`` (a camt.053 file, an MT940 file or a ZIP of
    them). Raises ``BankFileError`` if anything in it cannot be read."""
    limit = settings.BANK_UPLOAD_MAX_BYTES
    if len(data) > limit:
        raise BankFileError(
            _("Die Datei ist %(size)s MB groß; erlaubt sind höchstens %(limit)s MB.")
            % {"size": f"{len(data) / 1048576:.1f}", "limit": f"{limit / 1048576:.0f}"}
        )
    if data.startswith(b"PK\x03\x04"):
        statements = []
        for name, member in _zip_members(data):
            statements.extend(_parse_single(member, name))
    else:
        statements = _parse_single(data, "")
    if not statements:
        raise BankFileError(_("Die Datei enthält keinen Kontoauszug."))
    _check_distinct(statements)
    return statements


def _zip_members(data: bytes) -> list[tuple[str, bytes]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = [
            info
            for info in archive.infolist()
            if not info.is_dir() and not info.filename.startswith("__MACOSX/")
        ]
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise BankFileError(
            _("Das ZIP-Archiv ist beschädigt und lässt sich nicht öffnen.")
        ) from exc
    if not infos:
        raise BankFileError(_("Das ZIP-Archiv ist leer."))
    if len(infos) > ZIP_MAX_MEMBERS:
        raise BankFileError(
            _("Das ZIP-Archiv enthält %(count)d Dateien; erlaubt sind höchstens %(limit)d.")
            % {"count": len(infos), "limit": ZIP_MAX_MEMBERS}
        )
    budget = settings.UPLOAD_MAX_UNCOMPRESSED_BYTES
    members = []
    for info in infos:
        if info.flag_bits & 0x1:
            raise BankFileError(
                _("„%(name)s“ im ZIP-Archiv ist verschlüsselt. Bitte ohne Passwort packen.")
                % {"name": info.filename}
            )
        try:
            with archive.open(info) as handle:
                content = handle.read(budget + 1)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
            raise BankFileError(
                _("„%(name)s“ im ZIP-Archiv ist beschädigt.") % {"name": info.filename}
            ) from exc
        budget -= len(content)
        if budget < 0:
            raise BankFileError(
                _("Das ZIP-Archiv ist entpackt größer als %(limit)s MB.")
                % {"limit": f"{settings.UPLOAD_MAX_UNCOMPRESSED_BYTES / 1048576:.0f}"}
            )
        if content.startswith(b"PK\x03\x04"):
            raise BankFileError(
                _("„%(name)s“ ist selbst ein ZIP-Archiv; bitte die Kontoauszüge direkt packen.")
                % {"name": info.filename}
            )
        members.append((info.filename, content))
    return members


def _parse_single(data: bytes, source: str) -> list[ParsedStatement]:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return parse_camt053(data, source=source)
    if b":20:" in data and (b":61:" in data or b":60F:" in data or b":60M:" in data):
        return parse_mt940(data, source=source)
    where = _(" („%(name)s“ im ZIP-Archiv)") % {"name": source} if source else ""
    raise BankFileError(
        _(
            "Die Datei%(where)s ist kein Kontoauszug im Format camt.053 (XML) oder MT940. "
            "Bitte laden Sie den Kontoauszug so hoch, wie ihn das Online-Banking liefert."
        )
        % {"where": where}
    )


def _check_distinct(statements: list[ParsedStatement]) -> None:
    seen = set()
    for statement in statements:
        key = (statement.account, statement.statement_id)
        if key in seen:
            raise BankFileError(
                _("Der Kontoauszug %(id)s zum Konto %(account)s ist zweimal in der Datei.")
                % {"id": statement.statement_id, "account": statement.account}
            )
        seen.add(key)


def _check_balances(statement: ParsedStatement) -> None:
    where = statement.label
    if statement.closing_balance is None or statement.opening_balance is None:
        raise BankFileError(
            _(
                "Kontoauszug %(where)s: Anfangs- oder Schlusssaldo fehlt. Die Datei ist "
                "vermutlich unvollständig; bitte laden Sie sie erneut herunter."
            )
            % {"where": where}
        )
    total = statement.opening_balance + sum(
        (entry.signed_amount for entry in statement.entries), Decimal("0")
    )
    if total != statement.closing_balance:
        raise BankFileError(
            _(
                "Kontoauszug %(where)s: Anfangssaldo %(opening)s und die Umsätze ergeben "
                "%(total)s, der Schlusssaldo ist aber %(closing)s. Die Datei ist vermutlich "
                "unvollständig oder verändert."
            )
            % {
                "where": where,
                "opening": format_euro(statement.opening_balance),
                "total": format_euro(total),
                "closing": format_euro(statement.closing_balance),
            }
        )


# --- camt.053 -------------------------------------------------------------------


class _Camt:
    """Element paths of one camt.053 version; tolerant of the differences
    between .001.02 and .001.13 (status as text or code, amount of a
    transaction inside or outside ``AmtDtls``, party name with or without
    ``Pty``, dates as ``Dt`` or ``DtTm``)."""

    def __init__(self, namespace: str):
        self.ns = {"c": namespace}
        self._compiled: dict[str, object] = {}

    def all(self, node, path: str) -> list:
        compiled = self._compiled.get(path)
        if compiled is None:
            from lxml import etree  # here, not in every web process (~5 MB)

            compiled = self._compiled[path] = etree.XPath(path, namespaces=self.ns)
        return compiled(node)

    def text(self, node, path: str) -> str:
        found = self.all(node, path)
        if not found:
            return ""
        value = found[0] if isinstance(found[0], str) else found[0].text
        return " ".join((value or "").split())

    def date(self, node, path: str) -> datetime.date | None:
        text = self.text(node, f"{path}/c:Dt") or self.text(node, f"{path}/c:DtTm")[:10]
        return datetime.date.fromisoformat(text) if text else None


def _camt_root(data: bytes, source: str):
    from lxml import etree  # here, not in every web process (~5 MB)

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        where = _("„%(name)s“: ") % {"name": source} if source else ""
        raise BankFileError(
            _(
                "%(where)sDie XML-Datei ist beschädigt (Zeile %(line)s: %(error)s). Bitte laden "
                "Sie den Kontoauszug erneut aus dem Online-Banking herunter."
            )
            % {"where": where, "line": exc.lineno or "?", "error": exc.msg}
        ) from exc
    namespace = etree.QName(root).namespace or ""
    version = CAMT053_NAMESPACE.match(namespace)
    if version and int(version.group(1)) in SUPPORTED_CAMT_VERSIONS:
        return root, namespace, f"camt.053.001.{version.group(1)}"
    other = CAMT_OTHER_NAMESPACE.match(namespace)
    if other and other.group(1) != "camt.053":
        message = _(
            "Die Datei ist eine ISO-20022-Nachricht vom Typ %(kind)s, kein Kontoauszug. "
            "Bitte laden Sie den Tagesauszug im Format camt.053 hoch."
        ) % {"kind": other.group(1)}
    elif version:
        message = _(
            "camt.053 in Version %(version)s wird nicht unterstützt (unterstützt: .001.02 "
            "bis .001.13)."
        ) % {"version": namespace.rsplit(".", 2)[-2] + "." + namespace.rsplit(".", 1)[-1]}
    else:
        message = _(
            "Die XML-Datei ist kein Kontoauszug im Format camt.053 (Namensraum „%(ns)s“)."
        ) % {"ns": namespace or etree.QName(root).localname}
    raise BankFileError(_("„%(name)s“: ") % {"name": source} + message if source else message)


def parse_camt053(data: bytes, *, source: str = "") -> list[ParsedStatement]:
    root, namespace, file_format = _camt_root(data, source)
    camt = _Camt(namespace)
    statements = []
    for node in camt.all(root, "c:BkToCstmrStmt/c:Stmt"):
        statement = _camt_statement(camt, node, file_format=file_format, source=source)
        _check_balances(statement)
        statements.append(statement)
    return statements


def _camt_amount(camt: _Camt, node, path: str) -> tuple[Decimal, str] | None:
    found = camt.all(node, path)
    if not found:
        return None
    try:
        amount = Decimal((found[0].text or "").strip())
    except InvalidOperation:
        return None
    return amount, (found[0].get("Ccy") or "").strip().upper()


def _camt_statement(camt: _Camt, node, *, file_format: str, source: str) -> ParsedStatement:
    account = camt.text(node, "c:Acct/c:Id/c:IBAN") or camt.text(node, "c:Acct/c:Id/c:Othr/c:Id")
    statement = ParsedStatement(
        file_format=file_format,
        source=source,
        statement_id=camt.text(node, "c:Id"),
        account=account.replace(" ", "").upper(),
        currency=camt.text(node, "c:Acct/c:Ccy").upper(),
        sequence_number=camt.text(node, "c:ElctrncSeqNb") or camt.text(node, "c:LglSeqNb"),
    )
    created = camt.text(node, "c:CreDtTm")
    if created:
        statement.created_at = datetime.datetime.fromisoformat(created.replace("Z", "+00:00"))
    frm, to = camt.text(node, "c:FrToDt/c:FrDtTm"), camt.text(node, "c:FrToDt/c:ToDtTm")
    statement.period_start = datetime.date.fromisoformat(frm[:10]) if frm else None
    statement.period_end = datetime.date.fromisoformat(to[:10]) if to else None
    if not statement.statement_id or not statement.account:
        raise BankFileError(
            _("Kontoauszug in „%(name)s“: Auszugsnummer (Id) oder Konto (IBAN) fehlt.")
            % {"name": source or _("der Datei")}
        )
    for balance in camt.all(node, "c:Bal"):
        code = camt.text(balance, "c:Tp/c:CdOrPrtry/c:Cd")
        amount = _camt_amount(camt, balance, "c:Amt")
        if amount is None:
            continue
        signed = amount[0] if camt.text(balance, "c:CdtDbtInd") != "DBIT" else -amount[0]
        statement.currency = statement.currency or amount[1]
        if code in ("OPBD", "PRCD") and statement.opening_balance is None:
            statement.opening_balance = signed
        elif code == "CLBD":
            statement.closing_balance = signed
    for position, entry in enumerate(camt.all(node, "c:Ntry"), start=1):
        status = camt.text(entry, "c:Sts/c:Cd") or camt.text(entry, "c:Sts")
        if status and status != "BOOK":
            continue
        statement.entries.extend(_camt_entries(camt, entry, statement, position))
    return statement


def _camt_entries(camt: _Camt, entry, statement: ParsedStatement, position: int) -> list:
    where = _("Kontoauszug %(id)s, Umsatz %(n)d") % {"id": statement.statement_id, "n": position}
    amount = _camt_amount(camt, entry, "c:Amt")
    direction = camt.text(entry, "c:CdtDbtInd")
    booked = camt.date(entry, "c:BookgDt") or camt.date(entry, "c:ValDt")
    if amount is None or direction not in ("CRDT", "DBIT") or booked is None:
        raise BankFileError(
            _("%(where)s: Betrag, Soll/Haben-Kennzeichen oder Buchungsdatum fehlt.")
            % {"where": where}
        )
    common = {
        "booking_date": booked,
        "value_date": camt.date(entry, "c:ValDt"),
        "currency": amount[1] or statement.currency,
        "is_credit": direction == "CRDT",
        "is_reversal": camt.text(entry, "c:RvslInd").lower() in ("true", "1"),
    }
    entry_ref = camt.text(entry, "c:AcctSvcrRef")
    ntry_ref = camt.text(entry, "c:NtryRef")
    family = camt.text(entry, "c:BkTxCd/c:Domn/c:Fmly/c:SubFmlyCd")
    gvc = camt.text(entry, "c:BkTxCd/c:Prtry/c:Cd").split("+")[-1][:3]
    entry_return = family in RETURN_SUBFAMILIES or gvc in RETURN_GVC
    details = camt.all(entry, "c:NtryDtls/c:TxDtls")
    amounts = [
        _camt_amount(camt, d, "c:Amt") or _camt_amount(camt, d, "c:AmtDtls/c:TxAmt/c:Amt")
        for d in details
    ]
    split = len(details) > 1 and all(amounts)
    if split:
        signs = [-1 if (camt.text(d, "c:CdtDbtInd") or direction) == "DBIT" else 1 for d in details]
        entry_sign = 1 if direction == "CRDT" else -1
        split = sum(a[0] * s for a, s in zip(amounts, signs, strict=True)) == amount[0] * entry_sign
    if not split:
        info = _camt_detail_info(camt, details, entry)
        has_return = info.pop("has_return")
        key = _entry_key(
            entry_ref=entry_ref, ntry_ref=ntry_ref, statement=statement, position=position
        )
        return [
            ParsedEntry(
                key=key,
                amount=amount[0],
                bank_reference=entry_ref,
                is_return=entry_return or has_return,
                **info,
                **common,
            )
        ]
    parsed = []
    for index, (detail, detail_amount) in enumerate(zip(details, amounts, strict=True), start=1):
        info = _camt_detail_info(camt, [detail], entry)
        has_return = info.pop("has_return")
        detail_ref = camt.text(detail, "c:Refs/c:AcctSvcrRef")
        key = (
            f"tx:{detail_ref}"
            if detail_ref
            else _entry_key(
                entry_ref=entry_ref, ntry_ref=ntry_ref, statement=statement, position=position
            )
            + f"/{index}"
        )
        detail_credit = (camt.text(detail, "c:CdtDbtInd") or direction) == "CRDT"
        parsed.append(
            ParsedEntry(
                key=key,
                amount=detail_amount[0],
                bank_reference=detail_ref or entry_ref,
                batch_reference=entry_ref or ntry_ref or f"{statement.statement_id}/{position}",
                is_return=entry_return or has_return,
                **info,
                **{**common, "is_credit": detail_credit, "currency": detail_amount[1]},
            )
        )
    return parsed


def _entry_key(*, entry_ref: str, ntry_ref: str, statement: ParsedStatement, position: int) -> str:
    if entry_ref:
        return f"ntry:{entry_ref}"
    if ntry_ref:
        return f"ref:{ntry_ref}"
    return f"stmt:{statement.statement_id}/{position}"


def _camt_detail_info(camt: _Camt, details: list, entry) -> dict:
    """Remittance text, counterparty and return information of one or more
    transaction details (joined when one entry carries several)."""
    texts, names, ibans, e2e, reasons = [], [], [], [], []
    for detail in details:
        texts.append(" ".join(camt.all(detail, "c:RmtInf/c:Ustrd/text()")))
        texts.extend(camt.all(detail, "c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref/text()"))
        texts.extend(camt.all(detail, "c:AddtlTxInf/text()"))
        credit = (camt.text(detail, "c:CdtDbtInd") or camt.text(entry, "c:CdtDbtInd")) == "CRDT"
        party = "Dbtr" if credit else "Cdtr"
        names.append(
            camt.text(detail, f"c:RltdPties/c:{party}/c:Nm")
            or camt.text(detail, f"c:RltdPties/c:{party}/c:Pty/c:Nm")
        )
        ibans.append(camt.text(detail, f"c:RltdPties/c:{party}Acct/c:Id/c:IBAN"))
        e2e.append(camt.text(detail, "c:Refs/c:EndToEndId"))
        if camt.all(detail, "c:RtrInf"):
            reasons.append(
                camt.text(detail, "c:RtrInf/c:Rsn/c:Cd")
                or camt.text(detail, "c:RtrInf/c:AddtlInf")
                or "RtrInf"
            )
    if not any(texts):
        texts.append(camt.text(entry, "c:AddtlNtryInf"))
    return {
        "remittance": " ".join(" ".join(t.split()) for t in texts if t).strip()[:2000],
        "counterparty_name": "; ".join(n for n in names if n)[:200],
        "counterparty_iban": ibans[0] if len(details) == 1 else "",
        "end_to_end_id": (e2e[0] if len(details) == 1 and e2e[0] != "NOTPROVIDED" else "")[:70],
        "return_reason": ", ".join(r for r in reasons if r)[:200],
        "has_return": bool(reasons),
    }


# --- MT940 ----------------------------------------------------------------------

MT940_STATEMENT_START = re.compile(rb"(?m)^:20:")


def parse_mt940(data: bytes, *, source: str = "") -> list[ParsedStatement]:
    import mt940

    where = _("„%(name)s“: ") % {"name": source} if source else ""
    try:
        blocks = mt940.parse_statements(data, options=mt940.Options.all())
    except Exception as exc:  # the parser raises plain exceptions of many kinds
        tag = getattr(exc.args[1], "id", "") if len(exc.args) > 2 else ""
        detail = (
            _("Feld :%(tag)s: mit „%(value)s“ ist nicht lesbar")
            % {"tag": tag, "value": str(exc.args[2])[:40]}
            if tag
            else _("Aufbau nicht lesbar")
        )
        raise BankFileError(
            _(
                "%(where)sDie MT940-Datei ist beschädigt oder unvollständig (%(detail)s). Bitte "
                "laden Sie den Kontoauszug erneut aus dem Online-Banking herunter."
            )
            % {"where": where, "detail": detail}
        ) from exc
    statements = []
    for number, block in enumerate(blocks, start=1):
        statement = _mt940_statement(block, source=source, number=number)
        _check_balances(statement)
        statements.append(statement)
    if len(statements) != len(MT940_STATEMENT_START.findall(data)):
        raise BankFileError(
            _("%(where)sNicht jeder Kontoauszug der MT940-Datei ließ sich lesen.")
            % {"where": where}
        )
    return statements


def _mt940_balance(block, *names: str):
    for name in names:
        balance = block.data.get(name)
        if balance is not None:
            return balance
    return None


def _mt940_statement(block, *, source: str, number: int) -> ParsedStatement:
    data = block.data
    opening = _mt940_balance(block, "final_opening_balance", "intermediate_opening_balance")
    closing = _mt940_balance(block, "final_closing_balance", "intermediate_closing_balance")
    account = (data.get("account_identification") or "").replace(" ", "").upper()
    seq = "/".join(
        part for part in (data.get("statement_number"), data.get("sequence_number")) if part
    )
    opening_date = opening.date if opening is not None else None
    statement_id = f"{seq or number}" + (f"/{opening_date:%Y-%m-%d}" if opening_date else "")
    statement = ParsedStatement(
        file_format="MT940",
        source=source,
        statement_id=statement_id,
        account=account,
        currency=(block.currency or "").upper(),
        sequence_number=seq,
        period_start=opening_date,
        period_end=closing.date if closing is not None else None,
        opening_balance=opening.amount.amount if opening is not None else None,
        closing_balance=closing.amount.amount if closing is not None else None,
    )
    if not account:
        raise BankFileError(
            _("MT940-Kontoauszug %(n)d: die Kontobezeichnung (Feld :25:) fehlt.") % {"n": number}
        )
    for position, transaction in enumerate(block, start=1):
        statement.entries.append(_mt940_entry(transaction.data, statement, position))
    return statement


def _mt940_entry(tx: dict, statement: ParsedStatement, position: int) -> ParsedEntry:
    status = (tx.get("status") or "").upper()
    signed = tx["amount"].amount
    bank_ref = (tx.get("bank_reference") or "").strip()
    key = (
        f"bref:{bank_ref}"
        if bank_ref and bank_ref.upper() != "NONREF"
        else f"stmt:{statement.statement_id}/{position}"
    )
    gvc = str(tx.get("transaction_code") or "")
    e2e = (tx.get("end_to_end_reference") or "").strip()
    return ParsedEntry(
        key=key,
        booking_date=tx.get("entry_date") or tx["date"],
        value_date=tx.get("date"),
        amount=abs(signed),
        currency=(tx.get("currency") or statement.currency).upper(),
        is_credit=signed > 0,
        is_reversal=status.startswith("R"),
        is_return=gvc in RETURN_GVC,
        return_reason=(tx.get("return_debit_notes") or "")[:200],
        remittance=" ".join((tx.get("purpose") or "").split())[:2000],
        counterparty_name=" ".join((tx.get("applicant_name") or "").split())[:200],
        counterparty_iban=(tx.get("applicant_iban") or "").replace(" ", "")[:34],
        end_to_end_id="" if e2e == "NOTPROVIDED" else e2e[:70],
        bank_reference=bank_ref[:70],
    )


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
