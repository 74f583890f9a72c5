"""Paying refunds out to the schools (R8): the school's account (entered once
through the signed link of ``payout_links.py``, or by staff; IBAN checked with
``schwifty``), the SEPA credit transfer file
(pain.001 by ``sepaxml``, validated against the XSD it ships) and marking the
refunds of a transfer as paid out.

schwifty and sepaxml (with lxml, together ~10 MB) are imported where an account
is checked or a file written, not in every web process that imports this module
for its forms."""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from invoicing.documents import sha256_hex
from invoicing.models import Refund, RefundPayout, RefundTransfer
from invoicing.payout_links import account_refusal
from invoicing.refunds import refund_mark_paid_out
from invoicing.selectors import refunds_due_for_transfer

if TYPE_CHECKING:
    from schwifty import IBAN

logger = logging.getLogger(__name__)

SEPA_SCHEMA = "pain.001.001.09"


# --- The account -----------------------------------------------------------------


def iban_check(value: str) -> IBAN:
    """The IBAN, or a German message saying what is wrong with it."""
    from schwifty import IBAN
    from schwifty.exceptions import (
        InvalidChecksumDigits,
        InvalidCountryCode,
        InvalidLength,
        SchwiftyException,
    )

    compact = "".join((value or "").split()).upper()
    if not compact:
        raise ValidationError(_("Bitte geben Sie die IBAN an."))
    try:
        iban = IBAN(compact)
    except InvalidChecksumDigits as error:
        raise ValidationError(
            _("Die Prüfziffern der IBAN stimmen nicht. Bitte prüfen Sie die Eingabe.")
        ) from error
    except InvalidLength as error:
        raise ValidationError(_("Die IBAN hat nicht die richtige Länge.")) from error
    except InvalidCountryCode as error:
        raise ValidationError(_("Die IBAN beginnt nicht mit einem gültigen Ländercode.")) from error
    except SchwiftyException as error:
        raise ValidationError(_("Das ist keine gültige IBAN.")) from error
    if not iban.in_sepa_zone:
        raise ValidationError(_("Wir können nur auf Konten im SEPA-Raum überweisen."))
    return iban


def holder_check(value: str) -> str:
    holder = " ".join((value or "").split())
    if not holder:
        raise ValidationError(_("Bitte geben Sie den Kontoinhaber an."))
    if len(holder) > 70:
        raise ValidationError(_("Der Kontoinhaber darf höchstens 70 Zeichen lang sein."))
    return holder


@transaction.atomic
def refund_account_save(
    *, refund: Refund, holder: str, iban: str, by=None, staff: bool = False
) -> RefundPayout:
    """Store the account a refund is paid to; the BIC and bank are derived from
    the IBAN where the bank registry knows them. Through the link (``staff``
    False) only once; nothing is written on bad input."""
    locked = Refund.objects.select_for_update().get(pk=refund.pk)
    payout, _created = RefundPayout.objects.select_for_update().get_or_create(refund=locked)
    locked.payout = payout
    refusal = account_refusal(refund=locked, staff=staff)
    if refusal:
        raise ValidationError(refusal)
    holder, checked = holder_check(holder), iban_check(iban)
    bic = checked.bic
    payout.account_holder = holder
    payout.iban = checked.compact
    payout.bic = str(bic) if bic else ""
    payout.bank_name = checked.bank_name or ""
    payout.account_entered_at = timezone.now()
    payout.account_entered_via = (
        RefundPayout.EnteredVia.STAFF if staff else RefundPayout.EnteredVia.LINK
    )
    payout.account_entered_by = by
    payout.save()
    return payout


# --- The transfer file -------------------------------------------------------------


def sepa_config() -> dict:
    """The debtor: the seller's account (``settings.SELLER``)."""
    seller = settings.SELLER
    return {
        "name": seller["name"],
        "IBAN": "".join(seller["iban"].split()),
        "BIC": seller["bic"],
        "batch": True,
        "currency": "EUR",
    }


def transfer_xml(*, refunds: list[Refund], execution_date: datetime.date) -> tuple[str, bytes]:
    """(message id, pain.001 bytes) paying each refund to its account; sepaxml
    validates the file against its pain.001 XSD and raises if it does not fit."""
    from sepaxml import SepaTransfer

    sepa = SepaTransfer(sepa_config(), schema=SEPA_SCHEMA, clean=True)
    for refund in refunds:
        payment = {
            "name": refund.payout.account_holder,
            "IBAN": refund.payout.iban,
            "amount": int((refund.gross_amount * 100).to_integral_value()),
            "execution_date": execution_date,
            "description": _("Erstattung %(number)s zu Rechnung %(invoice)s, %(school)s")
            % {
                "number": refund.number,
                "invoice": refund.original_invoice_number,
                "school": refund.recipient_name,
            },
            "endtoend_id": refund.number,
        }
        if refund.payout.bic:
            payment["BIC"] = refund.payout.bic
        sepa.add_payment(payment)
    return sepa.msg_id, sepa.export(validate=True)


@transaction.atomic
def refund_transfer_create(*, execution_date: datetime.date, by=None) -> RefundTransfer:
    """One SEPA credit transfer file with every refund that is due and has an
    account; each is then in this transfer and in no later one."""
    refunds = list(refunds_due_for_transfer().select_for_update(of=("self",)))
    if not refunds:
        raise ValidationError(
            _("Keine Erstattung ist zur Auszahlung fällig (offen und mit Konto).")
        )
    message_id, content = transfer_xml(refunds=refunds, execution_date=execution_date)
    transfer = RefundTransfer(
        message_id=message_id,
        execution_date=execution_date,
        count=len(refunds),
        total=sum((refund.gross_amount for refund in refunds), Decimal("0.00")),
        file_sha256=sha256_hex(content),
        created_by=by,
    )
    transfer.file.save(f"{message_id}.xml", ContentFile(content), save=False)
    transfer.save()
    RefundPayout.objects.filter(refund__in=refunds).update(transfer=transfer)
    return transfer


@transaction.atomic
def refund_transfer_mark_paid(
    *, transfer: RefundTransfer, paid_out_on: datetime.date, by=None
) -> RefundTransfer:
    """The bank executed the transfer: its refunds are paid out on ``paid_out_on``."""
    locked = RefundTransfer.objects.select_for_update().get(pk=transfer.pk)
    if locked.paid_out_on:
        raise ValidationError(
            _("Die Überweisungsdatei %(id)s ist schon als ausgezahlt erfasst.")
            % {"id": locked.message_id}
        )
    if locked.withdrawn_at:
        raise ValidationError(
            _("Die Überweisungsdatei %(id)s ist zurückgenommen und wurde nicht ausgeführt.")
            % {"id": locked.message_id}
        )
    for payout in locked.payouts.select_related("refund"):
        refund_mark_paid_out(refund=payout.refund, paid_out_on=paid_out_on, by=by)
    locked.paid_out_on = paid_out_on
    locked.save(update_fields=["paid_out_on"])
    return locked


@transaction.atomic
def refund_transfer_withdraw(*, transfer: RefundTransfer, reason: str, by=None) -> RefundTransfer:
    """The bank rejected the file (or it was never handed over): its refunds are
    due again, so staff can correct an account and make a new file. Not for a file
    already marked paid out; the file and this record stay for the books."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError(_("Bitte geben Sie an, warum die Datei zurückgenommen wird."))
    locked = RefundTransfer.objects.select_for_update().get(pk=transfer.pk)
    if locked.paid_out_on:
        raise ValidationError(
            _(
                "Die Überweisungsdatei %(id)s ist als ausgezahlt erfasst und kann nicht "
                "zurückgenommen werden."
            )
            % {"id": locked.message_id}
        )
    if locked.withdrawn_at:
        raise ValidationError(
            _("Die Überweisungsdatei %(id)s ist schon zurückgenommen.") % {"id": locked.message_id}
        )
    payouts = list(locked.payouts.select_related("refund").order_by("refund__number"))
    for payout in payouts:  # one by one: each release is in the audit trail
        payout.transfer = None
        payout.save(update_fields=["transfer"])
    locked.withdrawn_refunds = ", ".join(p.refund.number for p in payouts)
    locked.withdrawn_at = timezone.now()
    locked.withdrawn_by = by
    locked.withdrawn_reason = reason[:200]
    locked.save(
        update_fields=["withdrawn_at", "withdrawn_by", "withdrawn_reason", "withdrawn_refunds"]
    )
    return locked
