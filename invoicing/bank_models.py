"""Bank statement import: the uploaded file (``BankImport``, a draft until staff
book it), the statements in it (``BankStatement``) and their transactions
(``BankEntry``), each matched to invoices or left for staff to review.
Imported with ``invoicing.models``."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from config.storage import private_storage
from licensing.models import MONEY


def bank_import_path(instance: models.Model, filename: str) -> str:
    return f"kontoauszuege/{uuid.uuid4().hex}"


class BankImport(models.Model):
    """One uploaded bank file (camt.053, MT940 or a ZIP of them). Stored only
    when it could be read; shown as a preview until staff book it."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Vorschau – noch nicht gebucht")
        BOOKED = "booked", _("gebucht")
        DISCARDED = "discarded", _("verworfen")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    file = models.FileField(_("Datei"), upload_to=bank_import_path, storage=private_storage)
    original_filename = models.CharField(_("ursprünglicher Dateiname"), max_length=255)
    file_sha256 = models.CharField(_("SHA-256"), max_length=64)
    status = models.CharField(
        _("Status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("hochgeladen von"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("hochgeladen am"), auto_now_add=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("gebucht von"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    booked_at = models.DateTimeField(_("gebucht am"), null=True, blank=True)
    summary = models.JSONField(_("Ergebnis"), default=dict, blank=True)

    class Meta:
        verbose_name = _("Kontoauszugsdatei")
        verbose_name_plural = _("Kontoauszugsdateien")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.original_filename} ({self.uploaded_at:%d.%m.%Y %H:%M})"


class BankStatement(models.Model):
    """One account statement (camt.053 ``Stmt`` or one MT940 statement block)."""

    bank_import = models.ForeignKey(
        BankImport,
        verbose_name=_("Datei"),
        on_delete=models.PROTECT,
        related_name="statements",
    )
    file_format = models.CharField(_("Format"), max_length=20)
    account = models.CharField(_("Konto (IBAN)"), max_length=34)
    statement_id = models.CharField(_("Auszugsnummer"), max_length=80)
    sequence_number = models.CharField(_("laufende Nummer"), max_length=40, blank=True)
    currency = models.CharField(_("Währung"), max_length=3)
    created_at = models.DateTimeField(_("erstellt von der Bank am"), null=True, blank=True)
    period_start = models.DateField(_("von"), null=True, blank=True)
    period_end = models.DateField(_("bis"), null=True, blank=True)
    opening_balance = models.DecimalField(_("Anfangssaldo"), **MONEY)
    closing_balance = models.DecimalField(_("Schlusssaldo"), **MONEY)
    imported_at = models.DateTimeField(_("importiert am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Kontoauszug")
        verbose_name_plural = _("Kontoauszüge")
        ordering = ["-period_end", "-imported_at"]
        permissions = [
            ("import_bankstatement", _("Kontoauszüge importieren und Buchungen zuordnen")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "statement_id"], name="bankstatement_unique_account_id"
            ),
        ]

    def __str__(self) -> str:
        return _("Auszug %(id)s, Konto %(account)s") % {
            "id": self.statement_id,
            "account": self.account,
        }


class BankEntry(models.Model):
    """One transaction of a statement (a batch booking is split into its
    transactions). ``entry_key`` (the bank's account servicer reference or
    entry reference, else the statement and position) is unique per account, so
    importing the same statement twice records nothing twice."""

    class Status(models.TextChoices):
        BOOKED = "booked", _("automatisch gebucht")
        REVIEW = "review", _("zu prüfen")
        ASSIGNED = "assigned", _("von Hand zugeordnet")
        LEFT = "left", _("ohne Zuordnung erledigt")

    class Reason(models.TextChoices):
        EXACT = "exact", _("Rechnungsnummer und Betrag stimmen")
        PARTIAL = "partial", _("Teilbetrag")
        EXCESS = "excess", _("Überzahlung")
        SEVERAL = "several", _("mehrere Rechnungsnummern")
        UNKNOWN = "unknown", _("keine bekannte Rechnungsnummer")
        PAID = "paid", _("Rechnung ist schon bezahlt")
        CANCELLED = "cancelled", _("Rechnung ist storniert")
        DEBIT = "debit", _("Abbuchung (Soll)")
        RETURN = "return", _("Rückbuchung / Rücküberweisung")
        CURRENCY = "currency", _("Fremdwährung")

    statement = models.ForeignKey(
        BankStatement,
        verbose_name=_("Kontoauszug"),
        on_delete=models.PROTECT,
        related_name="entries",
    )
    account = models.CharField(_("Konto (IBAN)"), max_length=34)
    entry_key = models.CharField(_("Buchungsreferenz"), max_length=120)
    booking_date = models.DateField(_("Buchungstag"))
    value_date = models.DateField(_("Wertstellung"), null=True, blank=True)
    amount = models.DecimalField(_("Betrag"), **MONEY)
    currency = models.CharField(_("Währung"), max_length=3)
    is_credit = models.BooleanField(_("Gutschrift (Haben)"))
    is_reversal = models.BooleanField(_("Storno"), default=False)
    is_return = models.BooleanField(_("Rückbuchung"), default=False)
    return_reason = models.CharField(_("Rückgabegrund"), max_length=200, blank=True)
    remittance = models.TextField(_("Verwendungszweck"), blank=True)
    counterparty_name = models.CharField(_("Auftraggeber / Empfänger"), max_length=200, blank=True)
    counterparty_iban = models.CharField(_("IBAN Gegenkonto"), max_length=34, blank=True)
    end_to_end_id = models.CharField(_("End-to-End-Referenz"), max_length=70, blank=True)
    bank_reference = models.CharField(_("Bankreferenz"), max_length=70, blank=True)
    batch_reference = models.CharField(_("Sammelbuchung"), max_length=120, blank=True)
    status = models.CharField(_("Status"), max_length=20, choices=Status.choices)
    reason = models.CharField(_("Abgleich"), max_length=20, choices=Reason.choices)
    invoice_numbers = models.JSONField(_("erkannte Rechnungsnummern"), default=list, blank=True)
    note = models.TextField(_("Vermerk"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("erledigt von"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("erledigt am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Kontobuchung")
        verbose_name_plural = _("Kontobuchungen")
        ordering = ["-booking_date", "statement", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["account", "entry_key"], name="bankentry_unique_key"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="bankentry_amount"),
        ]
        indexes = [models.Index(fields=["status", "booking_date"])]

    def __str__(self) -> str:
        sign = "" if self.is_credit else "−"
        return f"{self.booking_date:%d.%m.%Y} {sign}{self.amount} {self.currency}"

    @property
    def can_be_assigned(self) -> bool:
        """Only incoming euro transfers can pay invoices."""
        return (
            self.status == self.Status.REVIEW
            and self.is_credit
            and self.currency == "EUR"
            and not (self.is_return or self.is_reversal)
        )
