"""Paying refunds out: the school's account for a refund (``RefundPayout``, the
notice e-mail and the account entered once through a signed link or by staff)
and the SEPA credit transfer files Buchhaltung hands to the bank
(``RefundTransfer``). Imported with ``invoicing.models``."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from config.storage import private_storage
from licensing.models import MONEY


def transfer_path(instance: models.Model, filename: str) -> str:
    return f"sepa/{uuid.uuid4().hex}-{filename}"


class RefundTransfer(models.Model):
    """One SEPA credit transfer file (pain.001) with every refund that was due and
    had an account; the refunds are marked paid out when the bank has executed it."""

    message_id = models.CharField(_("Nachrichten-ID"), max_length=35, unique=True)
    file = models.FileField(_("Datei"), upload_to=transfer_path, storage=private_storage)
    file_sha256 = models.CharField(_("SHA-256"), max_length=64)
    execution_date = models.DateField(_("Ausführungsdatum"))
    count = models.PositiveIntegerField(_("Anzahl Überweisungen"))
    total = models.DecimalField(_("Summe"), **MONEY)
    created_at = models.DateTimeField(_("erstellt am"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("erstellt von"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    paid_out_on = models.DateField(_("ausgezahlt am"), null=True, blank=True)
    # The bank refused the file (or it was never handed over): its refunds are due
    # again and go into the next file; this record and its file stay as they were.
    withdrawn_at = models.DateTimeField(_("zurückgenommen am"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("zurückgenommen von"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    withdrawn_reason = models.CharField(_("Grund der Rücknahme"), max_length=200, blank=True)
    withdrawn_refunds = models.TextField(_("Erstattungen der zurückgenommenen Datei"), blank=True)

    class Meta:
        verbose_name = _("SEPA-Überweisungsdatei")
        verbose_name_plural = _("SEPA-Überweisungsdateien")
        ordering = ["-created_at"]
        permissions = [
            ("pay_out_refunds", _("Erstattungen auszahlen (Konto, SEPA-Datei, ausgezahlt)")),
        ]

    def __str__(self) -> str:
        return self.message_id


def iban_mask(iban: str) -> str:
    """An IBAN as printed on letters and kept in the audit trail: country, check
    digits and the last four characters, the rest hidden, in the usual groups of
    four (``DE89 •••• •••• •••• ••30 00``). Empty stays empty."""
    compact = "".join(iban.split())
    if not compact:
        return ""
    hidden = "".join(c if i < 4 or i >= len(compact) - 4 else "•" for i, c in enumerate(compact))
    return " ".join(hidden[i : i + 4] for i in range(0, len(hidden), 4))


class RefundPayout(models.Model):
    """How a refund reaches the school: when the notice went to whom, the account
    (entered once by the school through its link, or by staff) and the transfer
    file it was paid with."""

    class EnteredVia(models.TextChoices):
        LINK = "link", _("Schule über den Link")
        STAFF = "staff", _("Verlag")

    refund = models.OneToOneField(
        "invoicing.Refund",
        verbose_name=_("Erstattung"),
        on_delete=models.PROTECT,
        related_name="payout",
    )
    notice_sent_at = models.DateTimeField(_("Schreiben versendet am"), null=True, blank=True)
    notice_sent_to = models.EmailField(_("Schreiben versendet an"), blank=True)
    account_holder = models.CharField(_("Kontoinhaber"), max_length=70, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    bank_name = models.CharField(_("Bank"), max_length=200, blank=True)
    account_entered_at = models.DateTimeField(_("Konto angegeben am"), null=True, blank=True)
    account_entered_via = models.CharField(
        _("Konto angegeben durch"), max_length=10, choices=EnteredVia.choices, blank=True
    )
    account_entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Konto erfasst von"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    transfer = models.ForeignKey(
        RefundTransfer,
        verbose_name=_("SEPA-Überweisungsdatei"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payouts",
    )

    class Meta:
        verbose_name = _("Auszahlung einer Erstattung")
        verbose_name_plural = _("Auszahlungen von Erstattungen")

    def __str__(self) -> str:
        return str(self.refund)

    @property
    def has_account(self) -> bool:
        return bool(self.iban)

    @property
    def iban_masked(self) -> str:
        return iban_mask(self.iban)
