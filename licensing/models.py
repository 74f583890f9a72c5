"""Products, prices, orders (Anmeldung / Sammelbestellung), licence years and the
licences themselves, plus the individual licences schools bought on their own."""

import datetime
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from config.storage import private_storage
from licensing.fields import JSONTextField
from schools.models import School, SchoolAuthority, SchoolType

MONEY = {"max_digits": 12, "decimal_places": 2}


class Product(models.Model):
    """Produkt: a digital product licensed per school and year."""

    code = models.SlugField(_("Produktcode"), max_length=40, unique=True)
    name = models.CharField(_("Name"), max_length=200)
    description = models.TextField(_("Beschreibung"), blank=True)
    vat_rate = models.DecimalField(
        _("Umsatzsteuersatz (%)"),
        max_digits=5,
        decimal_places=2,
        help_text=_("7 % für elektronische Publikationen, sonst 19 %."),
    )
    is_active = models.BooleanField(_("bestellbar"), default=True)

    class Meta:
        verbose_name = _("Produkt")
        verbose_name_plural = _("Produkte")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(vat_rate__gte=0) & Q(vat_rate__lte=100), name="product_vat_rate_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Price(models.Model):
    """Yearly per-school price of a product for a school type, valid from a date on
    until the next price of the same product and type starts."""

    product = models.ForeignKey(
        Product, verbose_name=_("Produkt"), on_delete=models.PROTECT, related_name="prices"
    )
    school_type = models.ForeignKey(
        SchoolType, verbose_name=_("Schulform"), on_delete=models.PROTECT, related_name="prices"
    )
    valid_from = models.DateField(_("gültig ab"))
    bulk_price = models.DecimalField(_("Großkundenpreis je Schule und Jahr (netto)"), **MONEY)
    individual_price = models.DecimalField(
        _("Einzellizenz-Listenpreis je Schule und Jahr (netto)"), **MONEY
    )

    class Meta:
        verbose_name = _("Preis")
        verbose_name_plural = _("Preise")
        ordering = ["product", "school_type", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "school_type", "valid_from"], name="price_unique_valid_from"
            ),
            models.CheckConstraint(condition=Q(bulk_price__gte=0), name="price_bulk_non_negative"),
            models.CheckConstraint(
                condition=Q(individual_price__gte=0), name="price_individual_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} / {self.school_type} ab {self.valid_from:%d.%m.%Y}"


def registration_upload_path(instance: "RegistrationUpload", filename: str) -> str:
    # Random name; the user's file name is kept only as metadata.
    return f"anmeldelisten/{instance.authority_id}/{uuid.uuid4().hex}.bin"


class RegistrationUpload(models.Model):
    """An uploaded registration list (Anmeldeliste) and its validation result.

    A draft until the user places the binding order; uploading again for the same
    authority and product replaces the open draft. The order points back to the
    upload it came from, so one upload can become at most one order.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    authority = models.ForeignKey(
        SchoolAuthority,
        verbose_name=_("Schulträger"),
        on_delete=models.PROTECT,
        related_name="registration_uploads",
    )
    product = models.ForeignKey(
        Product, verbose_name=_("Produkt"), on_delete=models.PROTECT, related_name="+"
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
    file = models.FileField(_("Datei"), upload_to=registration_upload_path, storage=private_storage)
    original_filename = models.CharField(_("ursprünglicher Dateiname"), max_length=255)
    file_sha256 = models.CharField(_("SHA-256"), max_length=64)
    is_valid = models.BooleanField(_("fehlerfrei"), default=False)
    # text, not jsonb: stored and read whole (licensing/fields.py)
    result = JSONTextField(_("Prüfergebnis"), default=dict, blank=True)
    is_draft = models.BooleanField(_("Entwurf"), default=True)

    class Meta:
        verbose_name = _("hochgeladene Anmeldeliste")
        verbose_name_plural = _("hochgeladene Anmeldelisten")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.original_filename} ({self.uploaded_at:%d.%m.%Y %H:%M})"


class Order(models.Model):
    """Anmeldung / Sammelbestellung: one authority, one product, the listed schools.

    Lifecycle: submitted (waiting for the publisher) → confirmed (licences run) →
    ended; or rejected. A cancellation (R7) is recorded with its effective date and
    can be withdrawn until then.
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("eingegangen")
        CONFIRMED = "confirmed", _("bestätigt")
        REJECTED = "rejected", _("abgelehnt")
        ENDED = "ended", _("beendet")

    authority = models.ForeignKey(
        SchoolAuthority,
        verbose_name=_("Schulträger"),
        on_delete=models.PROTECT,
        related_name="orders",
    )
    product = models.ForeignKey(
        Product, verbose_name=_("Produkt"), on_delete=models.PROTECT, related_name="orders"
    )
    status = models.CharField(
        _("Status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED
    )
    upload = models.OneToOneField(
        RegistrationUpload,
        verbose_name=_("Anmeldeliste"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="order",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("bestellt von"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("bestellt am"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("bestätigt am"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("bestätigt von"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    start_date = models.DateField(_("Lizenzbeginn"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("abgelehnt am"), null=True, blank=True)
    rejection_reason = models.TextField(_("Ablehnungsgrund"), blank=True)
    cancelled_at = models.DateTimeField(_("gekündigt am"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("gekündigt von"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    cancellation_effective_on = models.DateField(
        _("Kündigung wirksam zum"),
        null=True,
        blank=True,
        help_text=_("Letzter Tag des laufenden Nutzungsjahres."),
    )
    ended_on = models.DateField(_("beendet am"), null=True, blank=True)
    order_reference = models.CharField(
        _("Bestellnummer des Auftraggebers"),
        max_length=100,
        blank=True,
        help_text=_(
            "Ihr Aktenzeichen oder Ihre Bestellnummer; sie steht auf jeder Rechnung "
            "dieser Bestellung (BT-13)."
        ),
    )
    # The buyer's acknowledgement of the terms with the binding order: when, by
    # whom, and the terms as they were shown (text and its SHA-256, since the
    # figures in them are settings that may change). Empty for orders placed
    # without the portal's checkbox (staff import, orders before December 2026).
    terms_accepted_at = models.DateTimeField(
        _("Bedingungen akzeptiert am"), null=True, blank=True, editable=False
    )
    terms_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Bedingungen akzeptiert von"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    terms_text = models.TextField(_("akzeptierte Bedingungen"), blank=True, editable=False)
    terms_sha256 = models.CharField(
        _("Prüfsumme der akzeptierten Bedingungen (SHA-256)"),
        max_length=64,
        blank=True,
        editable=False,
    )

    class Meta:
        verbose_name = _("Bestellung")
        verbose_name_plural = _("Bestellungen")
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["status", "cancellation_effective_on"])]
        permissions = [
            ("confirm_order", _("Bestellungen bestätigen, ablehnen und Schulen freischalten")),
            ("cancel_order", _("Bestellungen kündigen und Kündigungen zurücknehmen")),
        ]

    def __str__(self) -> str:
        return _("Bestellung %(id)s: %(product)s für %(authority)s") % {
            "id": self.pk,
            "product": self.product,
            "authority": self.authority.name,
        }

    # Status questions that views, admin and templates ask instead of comparing
    # status values; the lifecycle services enforce the same rules.
    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED

    @property
    def is_running(self) -> bool:
        """Confirmed: its licences run (possibly cancelled to the year's end)."""
        return self.status == self.Status.CONFIRMED

    @property
    def is_rejected(self) -> bool:
        return self.status == self.Status.REJECTED

    @property
    def is_ended(self) -> bool:
        return self.status == self.Status.ENDED

    @property
    def can_confirm(self) -> bool:
        """Only a submitted order can be confirmed (or rejected)."""
        return self.is_submitted

    @property
    def can_reject(self) -> bool:
        return self.is_submitted

    @property
    def can_cancel(self) -> bool:
        """A running order that is not cancelled yet can be cancelled (R7)."""
        return self.is_running and self.cancellation_effective_on is None

    @property
    def is_cancelled(self) -> bool:
        """Running, but cancelled to the end of a licence year (R7)."""
        return self.is_running and self.cancellation_effective_on is not None

    def can_withdraw_cancellation(self, *, on: datetime.date) -> bool:
        """A cancellation can be withdrawn until its effective day, inclusive (R7)."""
        return self.is_cancelled and on <= self.cancellation_effective_on


class OrderSchool(models.Model):
    """A school on an order, with its contact person (Ansprechpartner) for the
    product and its activation (Freischaltung, R4)."""

    order = models.ForeignKey(
        Order, verbose_name=_("Bestellung"), on_delete=models.PROTECT, related_name="schools"
    )
    school = models.ForeignKey(
        School, verbose_name=_("Schule"), on_delete=models.PROTECT, related_name="order_entries"
    )
    row_number = models.PositiveIntegerField(_("Zeile der Anmeldeliste"), null=True, blank=True)
    contact_first_name = models.CharField(_("Ansprechpartner Vorname"), max_length=100)
    contact_last_name = models.CharField(_("Ansprechpartner Nachname"), max_length=100)
    contact_email = models.EmailField(_("Ansprechpartner E-Mail"))
    contact_phone = models.CharField(_("Ansprechpartner Telefon"), max_length=50, blank=True)
    activated_at = models.DateTimeField(_("freigeschaltet am"), null=True, blank=True)
    activation_email_sent_at = models.DateTimeField(
        _("Freischaltungs-E-Mail gesendet am"), null=True, blank=True
    )
    contact_anonymised_at = models.DateTimeField(_("anonymisiert am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Schule der Bestellung")
        verbose_name_plural = _("Schulen der Bestellung")
        ordering = ["order", "school__school_number"]
        constraints = [
            models.UniqueConstraint(fields=["order", "school"], name="orderschool_unique"),
        ]

    def __str__(self) -> str:
        return str(self.school)

    @property
    def contact_name(self) -> str:
        return f"{self.contact_first_name} {self.contact_last_name}".strip()


class LicenceYear(models.Model):
    """Nutzungsjahr: one term of an order, shared by all its licences (R5).

    Runs from ``start_date`` to ``end_date`` inclusive (start + 1 year - 1 day).
    ``renewal_notice_sent_at`` records the notice before this year ends (R6).
    """

    order = models.ForeignKey(
        Order, verbose_name=_("Bestellung"), on_delete=models.PROTECT, related_name="years"
    )
    number = models.PositiveIntegerField(_("Jahr Nr."))
    start_date = models.DateField(_("Beginn"))
    end_date = models.DateField(_("Ende"))
    renewal_notice_sent_at = models.DateTimeField(
        _("Verlängerungshinweis gesendet am"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Nutzungsjahr")
        verbose_name_plural = _("Nutzungsjahre")
        ordering = ["order", "number"]
        constraints = [
            models.UniqueConstraint(fields=["order", "number"], name="licenceyear_unique_number"),
            models.UniqueConstraint(
                fields=["order", "start_date"], name="licenceyear_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")), name="licenceyear_end_after_start"
            ),
        ]
        indexes = [models.Index(fields=["end_date"])]

    def __str__(self) -> str:
        return f"{self.start_date:%d.%m.%Y}–{self.end_date:%d.%m.%Y}"


class Licence(models.Model):
    """Großkunden-Lizenz: the bulk licence of one school for one product under an
    order. At most one running (pending, active or cancelled-to-year-end) bulk
    licence per school and product."""

    class Status(models.TextChoices):
        PENDING = "pending", _("wartet auf Freischaltung")
        ACTIVE = "active", _("aktiv")
        CANCELLED = "cancelled", _("gekündigt zum Ende des Nutzungsjahres")
        EXPIRED = "expired", _("abgelaufen")
        SUPERSEDED = "superseded", _("ersetzt")
        REJECTED = "rejected", _("abgelehnt")

    RUNNING = (Status.PENDING, Status.ACTIVE, Status.CANCELLED)

    order = models.ForeignKey(
        Order, verbose_name=_("Bestellung"), on_delete=models.PROTECT, related_name="licences"
    )
    school = models.ForeignKey(
        School, verbose_name=_("Schule"), on_delete=models.PROTECT, related_name="licences"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("Produkt"), on_delete=models.PROTECT, related_name="licences"
    )
    status = models.CharField(
        _("Status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    ended_on = models.DateField(_("beendet am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Lizenz")
        verbose_name_plural = _("Lizenzen")
        ordering = ["order", "school__school_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "product"],
                condition=Q(status__in=["pending", "active", "cancelled"]),
                name="licence_one_running_per_school_product",
            ),
            models.UniqueConstraint(fields=["order", "school"], name="licence_unique_per_order"),
        ]
        indexes = [models.Index(fields=["order", "status"])]

    def __str__(self) -> str:
        return f"{self.product} – {self.school}"


class LicenceTerm(models.Model):
    """One licence in one licence year, at the per-school price valid on the first
    day of that year. The invoice of the year is built from these rows."""

    licence = models.ForeignKey(
        Licence, verbose_name=_("Lizenz"), on_delete=models.PROTECT, related_name="terms"
    )
    year = models.ForeignKey(
        LicenceYear, verbose_name=_("Nutzungsjahr"), on_delete=models.PROTECT, related_name="terms"
    )
    net_price = models.DecimalField(_("Preis (netto)"), **MONEY)

    class Meta:
        verbose_name = _("Lizenz im Nutzungsjahr")
        verbose_name_plural = _("Lizenzen im Nutzungsjahr")
        constraints = [
            models.UniqueConstraint(fields=["licence", "year"], name="licenceterm_unique"),
            models.CheckConstraint(
                condition=Q(net_price__gte=0), name="licenceterm_price_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.licence} {self.year}"


class IndividualLicence(models.Model):
    """Einzellizenz: a licence a school bought for itself. Superseded when a bulk
    licence of the same product starts for the school (R8)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("aktiv")
        SUPERSEDED = "superseded", _("durch Großkunden-Lizenz ersetzt")
        EXPIRED = "expired", _("abgelaufen")

    school = models.ForeignKey(
        School,
        verbose_name=_("Schule"),
        on_delete=models.PROTECT,
        related_name="individual_licences",
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("Produkt"),
        on_delete=models.PROTECT,
        related_name="individual_licences",
    )
    start_date = models.DateField(_("Beginn"))
    end_date = models.DateField(_("Ende"))
    paid_amount = models.DecimalField(
        _("bezahlter Betrag (brutto)"),
        **MONEY,
    )
    vat_rate = models.DecimalField(
        _("Umsatzsteuersatz der Originalrechnung (%)"), max_digits=5, decimal_places=2
    )
    original_invoice_number = models.CharField(_("Nummer der Originalrechnung"), max_length=40)
    original_invoice_date = models.DateField(_("Datum der Originalrechnung"))
    status = models.CharField(
        _("Status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    superseded_by = models.ForeignKey(
        Licence,
        verbose_name=_("ersetzt durch"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_individual_licences",
    )
    superseded_on = models.DateField(_("ersetzt zum"), null=True, blank=True)

    class Meta:
        verbose_name = _("Einzellizenz")
        verbose_name_plural = _("Einzellizenzen")
        ordering = ["school__school_number", "-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(paid_amount__gte=0), name="individual_paid_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")), name="individual_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.product} – {self.school} ({self.start_date:%d.%m.%Y}–{self.end_date:%d.%m.%Y})"
        )

    def save(self, *args, **kwargs):
        stored = self._stored()
        if stored is not None and stored.is_frozen:
            changed = [
                f.verbose_name
                for f in self._meta.concrete_fields
                if getattr(stored, f.attname) != getattr(self, f.attname)
            ]
            if changed:
                raise ValidationError(
                    _(
                        "Die Einzellizenz ist durch eine Großkunden-Lizenz ersetzt und Grundlage "
                        "ihrer Erstattung; sie kann nicht mehr geändert werden (geändert: "
                        "%(fields)s)."
                    )
                    % {"fields": ", ".join(str(name) for name in changed)}
                )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        stored = self._stored()
        if stored is not None and stored.is_frozen:
            raise ValidationError(
                _(
                    "Die Einzellizenz ist durch eine Großkunden-Lizenz ersetzt und Grundlage "
                    "ihrer Erstattung; sie kann nicht gelöscht werden."
                )
            )
        return super().delete(*args, **kwargs)

    @property
    def is_frozen(self) -> bool:
        """A superseded licence is the basis of its refund document (R8): its term,
        price and invoice reference never change again, and it is never deleted."""
        return self.status == self.Status.SUPERSEDED

    def _stored(self) -> "IndividualLicence | None":
        return type(self).objects.filter(pk=self.pk).first() if self.pk is not None else None


class OutgoingMail(models.Model):
    """An e-mail the lifecycle decided to send, written in the same transaction as
    the change it reports (transactional outbox). ``key`` makes a second decision
    for the same thing (e.g. the renewal notice of one licence year) impossible;
    ``sent_at`` is set by the sending task under a row lock, so a mail is sent
    once even when the task runs twice."""

    class Kind(models.TextChoices):
        ACTIVATION = "activation", _("Freischaltung")
        REJECTION = "rejection", _("Ablehnung")
        CANCELLATION = "cancellation", _("Kündigungsbestätigung")
        WITHDRAWAL = "withdrawal", _("Rücknahme der Kündigung")
        RENEWAL_NOTICE = "renewal_notice", _("Verlängerungshinweis")
        CONFIRMATION = "confirmation", _("Bestätigung der Bestellung")

    key = models.CharField(_("Schlüssel"), max_length=200, unique=True)
    kind = models.CharField(_("Art"), max_length=20, choices=Kind.choices)
    order = models.ForeignKey(
        Order, verbose_name=_("Bestellung"), on_delete=models.PROTECT, related_name="mails"
    )
    order_school = models.ForeignKey(
        OrderSchool,
        verbose_name=_("Schule der Bestellung"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mails",
    )
    to = models.JSONField(_("Empfänger"), default=list)
    subject = models.CharField(_("Betreff"), max_length=300)
    body = models.TextField(_("Text"))
    html = models.TextField(_("HTML"), blank=True)
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)
    sent_at = models.DateTimeField(_("gesendet am"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("Versuche"), default=0)
    last_error = models.TextField(_("letzter Fehler"), blank=True)

    class Meta:
        verbose_name = _("ausgehende E-Mail")
        verbose_name_plural = _("ausgehende E-Mails")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["sent_at", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"
