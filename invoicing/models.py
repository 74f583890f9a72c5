"""Invoices (Gesamtrechnung), cancellation invoices (Stornorechnung), refund
documents for superseded individual licences (Erstattung / Rechnungskorrektur),
payments, and the gapless number counters behind them."""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from config.money import euro_text
from config.storage import private_storage
from invoicing import triggers as db_triggers
from invoicing.bank_models import BankEntry, BankImport, BankStatement  # noqa: F401
from invoicing.payout_models import RefundPayout, RefundTransfer  # noqa: F401
from licensing.models import MONEY, IndividualLicence, Licence, LicenceYear, Order
from schools.models import School, SchoolAuthority


def document_path(instance: models.Model, filename: str) -> str:
    return f"belege/{uuid.uuid4().hex}-{filename}"


class DocumentImmutableError(Exception):
    """Raised when code tries to change or delete an issued document (§ 14 UStG, GoBD)."""


# Fields of an issued invoice that still move with its life (payment, reminders,
# cancellation, sending). Everything else is the frozen snapshot.
INVOICE_MUTABLE_AFTER_ISSUE = frozenset(
    {
        "status",
        "sent_at",
        "overdue_since",
        "reminder_sent_at",
        "second_reminder_sent_at",
        "paid_at",
        "pdf",
        "xml",
        "pdf_sha256",
        "xml_sha256",
    }
)
# Documents, once stored, are never replaced: see ``_stored_once``.
DOCUMENT_FIELDS = ("pdf", "xml", "pdf_sha256", "xml_sha256")
REFUND_MUTABLE_AFTER_ISSUE = frozenset({"status", "paid_out_at", "paid_out_by", *DOCUMENT_FIELDS})

# The allowed status changes of each document, declared once: action -> (from, to).
# The models, their querysets and the PostgreSQL triggers (``triggers.py``) read them.
# An invoice is paid or cancelled once issued (a paid one too: its money moves to
# the new invoice); a cancellation invoice is issued when it is made and stays so.
INVOICE_TRANSITIONS = {
    "issue": (("draft",), "issued"),
    "pay": (("issued",), "paid"),
    "cancel": (("issued", "paid"), "cancelled"),
}
CANCELLATION_TRANSITIONS = {"issue": (("draft",), "issued")}
REFUND_TRANSITIONS = {"issue": (("draft",), "issued"), "pay_out": (("issued",), "paid_out")}


def _field_values(instance: models.Model) -> dict:
    values = {}
    for field in instance._meta.concrete_fields:
        value = getattr(instance, field.attname)
        if isinstance(value, models.fields.files.FieldFile):
            value = value.name or ""
        values[field.attname] = value
    return values


class ImmutableDocumentQuerySet(models.QuerySet):
    """Bulk updates and deletes that would touch issued documents are refused, and
    so is a status change the transitions table does not allow."""

    mutable_after_issue: frozenset = frozenset()

    def transitions_by_kind(self) -> list[tuple[Q, dict]]:
        raise NotImplementedError

    def delete(self):
        if self.exclude(status="draft").exists():
            raise DocumentImmutableError(_("Gestellte Belege dürfen nicht gelöscht werden."))
        return super().delete()

    def update(self, **kwargs):
        if "status" in kwargs:
            self._check_transition(kwargs["status"])
        frozen = set(kwargs) - self.mutable_after_issue
        if frozen and self.exclude(status="draft").exists():
            raise DocumentImmutableError(
                _("Gestellte Belege dürfen nicht geändert werden (%(fields)s).")
                % {"fields": ", ".join(sorted(frozen))}
            )
        return super().update(**kwargs)

    def _check_transition(self, target) -> None:
        refused = _("Dieser Statuswechsel ist bei gestellten Belegen nicht erlaubt.")
        if not isinstance(target, str):  # an expression (bulk_update): drafts only
            if self.exclude(status="draft").exists():
                raise DocumentImmutableError(refused)
            return
        for rows, transitions in self.transitions_by_kind():
            sources = {s for s, t in db_triggers.transition_pairs(transitions) if t == target}
            if self.filter(rows).exclude(status__in=sources | {target}).exists():
                raise DocumentImmutableError(refused)


class InvoiceQuerySet(ImmutableDocumentQuerySet):
    mutable_after_issue = INVOICE_MUTABLE_AFTER_ISSUE

    def transitions_by_kind(self) -> list[tuple[Q, dict]]:
        return [
            (Q(kind="invoice"), INVOICE_TRANSITIONS),
            (Q(kind="cancellation"), CANCELLATION_TRANSITIONS),
        ]


class RefundQuerySet(ImmutableDocumentQuerySet):
    mutable_after_issue = REFUND_MUTABLE_AFTER_ISSUE

    def transitions_by_kind(self) -> list[tuple[Q, dict]]:
        return [(Q(), REFUND_TRANSITIONS)]


class ImmutableAfterIssueMixin:
    """A document refuses changes to its snapshot once it was loaded as issued,
    and refuses deletion. Stored PDF/XML files are written once and never replaced."""

    mutable_after_issue: frozenset = frozenset()

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded = _field_values(instance)
        return instance

    def status_transitions(self) -> dict:
        raise NotImplementedError

    def _check_transition(self, loaded: dict) -> None:
        old, new = loaded.get("status"), self.status
        if old != new and (old, new) not in db_triggers.transition_pairs(self.status_transitions()):
            raise DocumentImmutableError(
                _("Der Status darf nicht von „%(old)s“ zu „%(new)s“ wechseln.")
                % {"old": old, "new": new}
            )

    def _check_immutable(self) -> None:
        loaded = getattr(self, "_loaded", None)
        if not loaded:
            return
        self._check_transition(loaded)
        if loaded.get("status") == "draft":
            return
        current = _field_values(self)
        changed = [
            name
            for name, value in current.items()
            if name in loaded
            and value != loaded[name]
            and name.removesuffix("_id") not in self.mutable_after_issue
        ]
        replaced = [
            name for name in DOCUMENT_FIELDS if loaded.get(name) and current[name] != loaded[name]
        ]
        if changed or replaced:
            raise DocumentImmutableError(
                _("Gestellte Belege dürfen nicht geändert werden (%(fields)s).")
                % {"fields": ", ".join(sorted(changed + replaced))}
            )

    def save(self, *args, **kwargs):
        self._check_immutable()
        super().save(*args, **kwargs)
        self._loaded = _field_values(self)

    def delete(self, *args, **kwargs):
        loaded_status = getattr(self, "_loaded", {}).get("status", self.status)
        if loaded_status != "draft" or self.status != "draft":
            raise DocumentImmutableError(_("Gestellte Belege dürfen nicht gelöscht werden."))
        return super().delete(*args, **kwargs)


class NumberSeries(models.TextChoices):
    INVOICE = "invoice", _("Rechnungen und Stornorechnungen")
    REFUND = "refund", _("Erstattungen")


class DocumentCounter(models.Model):
    """The last number used in one series and calendar year. Locked with
    ``select_for_update`` while a number is drawn, so numbers have no gaps."""

    series = models.CharField(_("Nummernkreis"), max_length=20, choices=NumberSeries.choices)
    year = models.PositiveIntegerField(_("Jahr"))
    last_number = models.PositiveIntegerField(_("letzte Nummer"), default=0)

    class Meta:
        verbose_name = _("Nummernkreis")
        verbose_name_plural = _("Nummernkreise")
        constraints = [
            models.UniqueConstraint(fields=["series", "year"], name="counter_unique_series_year"),
        ]

    def __str__(self) -> str:
        return f"{self.get_series_display()} {self.year}: {self.last_number}"


class RuleCheckPass(models.Model):
    """An e-invoice content that passed every rule check (``invoicing.rule_check``):
    the SHA-256 of the schematron's version and the XML exactly as it would be
    issued (provisional number included). The same bytes give the same result,
    so a draft checked ahead (on the workers, the nights before its issue day)
    skips CEN's schematron at numbering; any change of the draft, the buyer, the
    seller, the date or the schematron changes the key and the full check runs
    again. XSD and the product's own rules run at numbering every time."""

    sha256 = models.CharField(_("SHA-256 des geprüften Inhalts"), max_length=64, unique=True)
    checked_at = models.DateTimeField(_("geprüft am"), auto_now_add=True)

    class Meta:
        verbose_name = _("bestandene Regelprüfung")
        verbose_name_plural = _("bestandene Regelprüfungen")

    def __str__(self) -> str:
        return self.sha256


class Invoice(ImmutableAfterIssueMixin, models.Model):
    """A consolidated invoice to the buyer for one licence year of an order, or a
    cancellation invoice that voids one. Issued documents are snapshots: buyer,
    lines and totals are copied onto them and never change."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Rechnung")
        CANCELLATION = "cancellation", _("Stornorechnung")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Entwurf")
        ISSUED = "issued", _("gestellt")
        PAID = "paid", _("bezahlt")
        CANCELLED = "cancelled", _("storniert")

    # The allowed status changes of an invoice (kind INVOICE): action -> (from, to).
    # A cancellation invoice is issued when it is made and never changes status.
    TRANSITIONS = INVOICE_TRANSITIONS

    kind = models.CharField(_("Art"), max_length=20, choices=Kind.choices, default=Kind.INVOICE)
    status = models.CharField(
        _("Status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    number = models.CharField(_("Rechnungsnummer"), max_length=40, null=True, blank=True)
    authority = models.ForeignKey(
        SchoolAuthority,
        verbose_name=_("Käufer"),
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    order = models.ForeignKey(
        Order, verbose_name=_("Bestellung"), on_delete=models.PROTECT, related_name="invoices"
    )
    licence_year = models.ForeignKey(
        LicenceYear,
        verbose_name=_("Nutzungsjahr"),
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    cancels = models.OneToOneField(
        "self",
        verbose_name=_("storniert Rechnung"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cancellation",
    )
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)
    issue_due_on = models.DateField(_("automatisch zu stellen am"), null=True, blank=True)
    issue_problems = models.TextField(
        _("Regelprüfung nicht bestanden"),
        blank=True,
        help_text=_(
            "Warum der Entwurf zuletzt nicht gestellt werden konnte (Regel-IDs der "
            "E-Rechnungsprüfung); leer, wenn er die Prüfung bestanden hat."
        ),
    )
    issue_date = models.DateField(_("Rechnungsdatum"), null=True, blank=True)
    issued_at = models.DateTimeField(_("gestellt am"), null=True, blank=True)
    due_date = models.DateField(_("fällig am"), null=True, blank=True)
    service_period_start = models.DateField(_("Leistungszeitraum von"))
    service_period_end = models.DateField(_("Leistungszeitraum bis"))
    # Buyer snapshot, filled at issue.
    buyer_name = models.CharField(_("Käufer"), max_length=200, blank=True)
    buyer_department = models.CharField(_("Abteilung"), max_length=200, blank=True)
    buyer_street = models.CharField(_("Straße"), max_length=200, blank=True)
    buyer_postal_code = models.CharField(_("PLZ"), max_length=10, blank=True)
    buyer_city = models.CharField(_("Ort"), max_length=100, blank=True)
    buyer_country = models.CharField(_("Land"), max_length=2, default="DE")
    buyer_email = models.EmailField(_("E-Mail"), blank=True)
    buyer_leitweg_id = models.CharField(_("Leitweg-ID"), max_length=46, blank=True)
    buyer_vat_id = models.CharField(_("USt-IdNr."), max_length=20, blank=True)
    buyer_customer_number = models.CharField(_("Kundennummer"), max_length=32, blank=True)
    buyer_order_reference = models.CharField(
        _("Bestellnummer des Käufers (BT-13)"), max_length=100, blank=True
    )
    seller = models.JSONField(_("Verkäufer"), default=dict, blank=True)
    net_total = models.DecimalField(_("Netto"), default=0, **MONEY)
    vat_total = models.DecimalField(_("Umsatzsteuer"), default=0, **MONEY)
    gross_total = models.DecimalField(_("Brutto"), default=0, **MONEY)
    pdf = models.FileField(_("PDF"), upload_to=document_path, storage=private_storage, blank=True)
    xml = models.FileField(
        _("E-Rechnung (XML)"), upload_to=document_path, storage=private_storage, blank=True
    )
    pdf_sha256 = models.CharField(_("SHA-256 PDF"), max_length=64, blank=True)
    xml_sha256 = models.CharField(_("SHA-256 XML"), max_length=64, blank=True)
    sent_at = models.DateTimeField(_("versendet am"), null=True, blank=True)
    overdue_since = models.DateField(_("überfällig seit"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("Zahlungserinnerung am"), null=True, blank=True)
    second_reminder_sent_at = models.DateTimeField(
        _("zweite Zahlungserinnerung am"), null=True, blank=True
    )
    paid_at = models.DateField(_("bezahlt am"), null=True, blank=True)
    prepaid_amount = models.DecimalField(
        _("bereits bezahlt"),
        default=0,
        help_text=_("Zahlungen für die stornierte Rechnung, die auf diese übertragen wurden."),
        **MONEY,
    )
    reason = models.TextField(
        _("Grund der Stornierung"),
        blank=True,
        help_text=_("Nur bei Stornorechnungen: warum die Originalrechnung storniert wurde."),
    )

    objects = InvoiceQuerySet.as_manager()
    mutable_after_issue = INVOICE_MUTABLE_AFTER_ISSUE

    class Meta:
        verbose_name = _("Rechnung")
        verbose_name_plural = _("Rechnungen")
        ordering = ["-issue_date", "-number", "-created_at"]
        permissions = [
            ("issue_invoice", _("Rechnungen stellen und erneut senden")),
            ("cancel_invoice", _("Rechnungen stornieren und neu erstellen")),
            ("record_payment", _("Zahlungen erfassen und klären")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="invoice_unique_number"),
            models.UniqueConstraint(
                fields=["licence_year"],
                condition=Q(kind="invoice") & ~Q(status="cancelled"),
                name="invoice_one_valid_per_licence_year",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(number__isnull=False),
                name="invoice_issued_has_number",
            ),
        ]
        indexes = [models.Index(fields=["status", "issue_due_on"])]
        triggers = db_triggers.document_triggers(
            prefix="invoice",
            mutable=INVOICE_MUTABLE_AFTER_ISSUE,
            transitions_by_kind={
                "invoice": INVOICE_TRANSITIONS,
                "cancellation": CANCELLATION_TRANSITIONS,
            },
        )

    def __str__(self) -> str:
        return self.number or _("Entwurf %(id)s") % {"id": self.pk}

    def status_transitions(self) -> dict:
        if self.kind == self.Kind.CANCELLATION:
            return CANCELLATION_TRANSITIONS
        return INVOICE_TRANSITIONS

    def can(self, action: str) -> bool:
        """Whether the status change ``action`` (see ``TRANSITIONS``) is allowed now."""
        sources, _target = self.TRANSITIONS[action]
        return self.kind == self.Kind.INVOICE and self.status in sources

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def can_issue(self) -> bool:
        return self.can("issue")

    @property
    def can_cancel(self) -> bool:
        """An issued invoice, paid or not, is voided by a cancellation invoice; the
        money received moves to its replacement (``cancellation.py``)."""
        return self.can("cancel")

    @property
    def can_settle(self) -> bool:
        """An exact payment settles an issued, unpaid invoice."""
        return self.can("pay")

    @property
    def can_send(self) -> bool:
        """Issued documents (not drafts) can be sent to the buyer."""
        return not self.is_draft

    @property
    def is_cancellation(self) -> bool:
        return self.kind == self.Kind.CANCELLATION

    @property
    def admin_url(self) -> str:
        """The admin's change page (cancellation invoices are listed on their own)."""
        name = "cancellationinvoice" if self.is_cancellation else "invoice"
        return reverse(f"admin:invoicing_{name}_change", args=[self.pk])

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.ISSUED and self.overdue_since is not None

    @property
    def status_label(self) -> str:
        """The status as the buyer reads it: "überfällig seit …" for overdue
        invoices, "bezahlt am …" for paid ones."""
        if self.is_overdue:
            return _("überfällig seit %(date)s") % {"date": self.overdue_since.strftime("%d.%m.%Y")}
        if self.status == self.Status.PAID and self.paid_at:
            return _("bezahlt am %(date)s") % {"date": self.paid_at.strftime("%d.%m.%Y")}
        if self.status == self.Status.ISSUED and self.prepaid_amount:
            return _("teilweise bezahlt (%(paid)s € von %(gross)s €)") % {
                "paid": floatformat(self.prepaid_amount, "2g"),
                "gross": floatformat(self.gross_total, "2g"),
            }
        return self.get_status_display()

    @property
    def replaced_invoice(self) -> "Invoice | None":
        """The cancelled invoice of the same licence year this one replaces (the
        latest one cancelled before it was issued), if any."""
        if self.kind != self.Kind.INVOICE or not self.issued_at:
            return None
        return (
            Invoice.objects.filter(
                licence_year_id=self.licence_year_id,
                kind=self.Kind.INVOICE,
                status=self.Status.CANCELLED,
                issued_at__lt=self.issued_at,
            )
            .order_by("-issued_at")
            .first()
        )

    @property
    def amount_open(self) -> Decimal:
        """What one payment must bring to settle the invoice: the gross amount less
        what was carried over from the invoice it replaces."""
        return self.gross_total - self.prepaid_amount

    @property
    def balance(self) -> "InvoiceBalance":
        """What was received for this invoice (its payments, including money
        carried over from a cancelled invoice as a "transferred" payment) and what
        remains (reads ``payments``; prefetch them for lists)."""
        payments = sorted(self.payments.all(), key=lambda payment: payment.paid_on)
        received = sum((payment.amount for payment in payments), Decimal("0.00"))
        return InvoiceBalance(
            gross=self.gross_total,
            payments=payments,
            received=received,
            remaining=max(self.gross_total - received, Decimal("0.00")),
        )


@dataclass(frozen=True)
class InvoiceBalance:
    """The invoice amount, the payments received (oldest first), their sum and
    what remains to be paid (never below zero)."""

    gross: Decimal
    payments: list
    received: Decimal
    remaining: Decimal


class CancellationInvoice(Invoice):
    """Stornorechnungen, listed on their own in the admin."""

    class Meta:
        proxy = True
        verbose_name = _("Stornorechnung")
        verbose_name_plural = _("Stornorechnungen")


class InvoiceLineQuerySet(models.QuerySet):
    def _touches_issued(self) -> bool:
        return self.exclude(invoice__status="draft").exists()

    def delete(self):
        if self._touches_issued():
            raise DocumentImmutableError(_("Gestellte Belege dürfen nicht gelöscht werden."))
        return super().delete()

    def update(self, **kwargs):
        if self._touches_issued():
            raise DocumentImmutableError(_("Gestellte Belege dürfen nicht geändert werden."))
        return super().update(**kwargs)

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        invoice_ids = {obj.invoice_id for obj in objs}
        if Invoice.objects.filter(pk__in=invoice_ids).exclude(status="draft").exists():
            raise DocumentImmutableError(_("Gestellte Belege dürfen nicht geändert werden."))
        return super().bulk_create(objs, *args, **kwargs)


class InvoiceLine(models.Model):
    """One school on an invoice: its licence for the year at the per-school price."""

    invoice = models.ForeignKey(
        Invoice, verbose_name=_("Rechnung"), on_delete=models.PROTECT, related_name="lines"
    )
    position = models.PositiveIntegerField(_("Pos."))
    licence = models.ForeignKey(
        Licence,
        verbose_name=_("Lizenz"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoice_lines",
    )
    school_number = models.CharField(_("Schulnummer"), max_length=16)
    school_name = models.CharField(_("Schulname"), max_length=300)
    product_name = models.CharField(_("Produkt"), max_length=200)
    period_start = models.DateField(_("von"))
    period_end = models.DateField(_("bis"))
    net_amount = models.DecimalField(_("Netto"), **MONEY)
    vat_rate = models.DecimalField(_("USt-Satz (%)"), max_digits=5, decimal_places=2)

    objects = InvoiceLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("Rechnungsposition")
        verbose_name_plural = _("Rechnungspositionen")
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoiceline_unique_pos"),
        ]
        triggers = db_triggers.line_triggers(document_table="invoicing_invoice")

    def __str__(self) -> str:
        return f"{self.position}: {self.school_number} {self.school_name}"

    def save(self, *args, **kwargs):
        if not self._invoice_is_draft():
            raise DocumentImmutableError(_("Gestellte Belege dürfen nicht geändert werden."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if not self._invoice_is_draft():
            raise DocumentImmutableError(_("Gestellte Belege dürfen nicht gelöscht werden."))
        return super().delete(*args, **kwargs)

    def _invoice_is_draft(self) -> bool:
        return Invoice.objects.filter(pk=self.invoice_id, status=Invoice.Status.DRAFT).exists()


class Payment(models.Model):
    """A payment received for an invoice. Only a single payment of exactly the gross
    amount settles it (R9); any other payment is kept and flagged for staff."""

    class Outcome(models.TextChoices):
        SETTLED = "settled", _("begleicht die Rechnung")
        PARTIAL = "partial", _("Teilzahlung – begleicht nichts")
        EXCESS = "excess", _("Überzahlung – begleicht nichts")
        DUPLICATE = "duplicate", _("Rechnung war schon bezahlt")
        TRANSFERRED = "transferred", _("übertragen von der stornierten Rechnung")

    invoice = models.ForeignKey(
        Invoice, verbose_name=_("Rechnung"), on_delete=models.PROTECT, related_name="payments"
    )
    amount = models.DecimalField(_("Betrag"), **MONEY)
    paid_on = models.DateField(_("Zahlungsdatum"))
    reference = models.CharField(_("Verwendungszweck / Referenz"), max_length=200, blank=True)
    outcome = models.CharField(_("Ergebnis"), max_length=20, choices=Outcome.choices)
    needs_attention = models.BooleanField(_("zu klären"), default=False)
    resolved_at = models.DateTimeField(_("geklärt am"), null=True, blank=True)
    resolution_note = models.TextField(
        _("Klärung"), blank=True, help_text=_("Was mit der Zahlung geschehen ist.")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("erfasst von"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("erfasst am"), auto_now_add=True)
    bank_entry = models.ForeignKey(
        "invoicing.BankEntry",
        verbose_name=_("Kontobuchung"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
    )

    class Meta:
        verbose_name = _("Zahlung")
        verbose_name_plural = _("Zahlungen")
        ordering = ["-paid_on", "-recorded_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.UniqueConstraint(
                fields=["bank_entry", "invoice"],
                condition=Q(bank_entry__isnull=False),
                name="payment_once_per_bank_entry_and_invoice",
            ),
        ]

    def __str__(self) -> str:
        return f"{euro_text(self.amount)} ({self.paid_on:%d.%m.%Y})"


class Refund(ImmutableAfterIssueMixin, models.Model):
    """Erstattung / Rechnungskorrektur: money back to a school whose individual
    licence was superseded by a bulk licence with more than 3 months left (R8).

    Addressed to the school, references the individual licence's original invoice,
    numbered in its own gapless series. Not a "Gutschrift" (self-billing)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Entwurf")
        ISSUED = "issued", _("erstellt – Auszahlung offen")
        PAID_OUT = "paid_out", _("ausgezahlt")

    individual_licence = models.OneToOneField(
        IndividualLicence,
        verbose_name=_("Einzellizenz"),
        on_delete=models.PROTECT,
        related_name="refund",
    )
    school = models.ForeignKey(
        School, verbose_name=_("Schule"), on_delete=models.PROTECT, related_name="refunds"
    )
    status = models.CharField(
        _("Status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    number = models.CharField(_("Belegnummer"), max_length=40, null=True, blank=True)
    bulk_start_date = models.DateField(_("Beginn der Großkunden-Lizenz"))
    remaining_days = models.PositiveIntegerField(_("Resttage"))
    term_days = models.PositiveIntegerField(_("Tage der Laufzeit"))
    original_invoice_number = models.CharField(_("Originalrechnung"), max_length=40)
    original_invoice_date = models.DateField(_("Datum der Originalrechnung"))
    vat_rate = models.DecimalField(_("USt-Satz (%)"), max_digits=5, decimal_places=2)
    gross_amount = models.DecimalField(_("Erstattung brutto"), **MONEY)
    net_amount = models.DecimalField(_("Erstattung netto"), **MONEY)
    vat_amount = models.DecimalField(_("darin Umsatzsteuer"), **MONEY)
    # Recipient snapshot.
    recipient_name = models.CharField(_("Empfänger"), max_length=300, blank=True)
    recipient_street = models.CharField(_("Straße"), max_length=200, blank=True)
    recipient_postal_code = models.CharField(_("PLZ"), max_length=10, blank=True)
    recipient_city = models.CharField(_("Ort"), max_length=100, blank=True)
    seller = models.JSONField(_("Verkäufer"), default=dict, blank=True)
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)
    issue_date = models.DateField(_("Belegdatum"), null=True, blank=True)
    issued_at = models.DateTimeField(_("erstellt am"), null=True, blank=True)
    pdf = models.FileField(_("PDF"), upload_to=document_path, storage=private_storage, blank=True)
    xml = models.FileField(
        _("E-Rechnung (XML)"), upload_to=document_path, storage=private_storage, blank=True
    )
    pdf_sha256 = models.CharField(_("SHA-256 PDF"), max_length=64, blank=True)
    xml_sha256 = models.CharField(_("SHA-256 XML"), max_length=64, blank=True)
    paid_out_at = models.DateField(_("ausgezahlt am"), null=True, blank=True)
    paid_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ausgezahlt von"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = RefundQuerySet.as_manager()
    mutable_after_issue = REFUND_MUTABLE_AFTER_ISSUE

    class Meta:
        verbose_name = _("Erstattung")
        verbose_name_plural = _("Erstattungen")
        ordering = ["-issue_date", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="refund_unique_number"),
            models.CheckConstraint(condition=Q(gross_amount__gt=0), name="refund_positive"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(number__isnull=False),
                name="refund_issued_has_number",
            ),
        ]
        triggers = db_triggers.document_triggers(
            prefix="refund",
            mutable=REFUND_MUTABLE_AFTER_ISSUE,
            transitions_by_kind={None: REFUND_TRANSITIONS},
        )

    def __str__(self) -> str:
        return self.number or _("Erstattung (Entwurf) %(id)s") % {"id": self.pk}

    def status_transitions(self) -> dict:
        return REFUND_TRANSITIONS

    @property
    def can_pay_out(self) -> bool:
        return self.status == self.Status.ISSUED

    @property
    def admin_url(self) -> str:
        return reverse("admin:invoicing_refund_change", args=[self.pk])


class Credit(models.Model):
    """Guthaben: money received for a cancelled invoice beyond the amount of its
    replacement, to be paid back to the buyer (R9 corrections after payment).
    Staff see the open ones and record when it was paid back."""

    class Status(models.TextChoices):
        OPEN = "open", _("offen – zurückzuzahlen")
        PAID_BACK = "paid_back", _("zurückgezahlt")

    authority = models.ForeignKey(
        SchoolAuthority, verbose_name=_("Käufer"), on_delete=models.PROTECT, related_name="credits"
    )
    cancelled_invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("aus stornierter Rechnung"),
        on_delete=models.PROTECT,
        related_name="credits",
    )
    new_invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("neue Rechnung"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    amount = models.DecimalField(_("Betrag"), **MONEY)
    status = models.CharField(_("Status"), max_length=20, choices=Status.choices, default="open")
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)
    paid_back_on = models.DateField(_("zurückgezahlt am"), null=True, blank=True)
    paid_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("zurückgezahlt von"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("Vermerk"), blank=True)

    class Meta:
        verbose_name = _("Guthaben zur Rückzahlung")
        verbose_name_plural = _("Guthaben zur Rückzahlung")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="credit_amount_positive"),
        ]

    def __str__(self) -> str:
        return _("Guthaben %(amount)s aus %(number)s") % {
            "amount": euro_text(self.amount),
            "number": self.cancelled_invoice.number,
        }

    @property
    def can_pay_back(self) -> bool:
        return self.status == self.Status.OPEN
