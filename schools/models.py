"""The school directory: authorities (Schulträger), school types, schools, and the
staff accounts that act for an authority."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from schools.validators import validate_leitweg_id


class SchoolAuthority(models.Model):
    """Schulträger: the public body or private operator that runs schools and buys
    bulk licences for them. The buyer on every consolidated invoice."""

    class Kind(models.TextChoices):
        CITY = "city", _("Stadt")
        COUNTY = "county", _("Landkreis / Kreis")
        MUNICIPALITY = "municipality", _("Gemeinde")
        ASSOCIATION = "association", _("Zweckverband")
        PRIVATE = "private", _("Privater Träger")
        OTHER = "other", _("Sonstiger Träger")

    customer_number = models.CharField(
        _("Kundennummer"),
        max_length=32,
        unique=True,
        help_text=_("Für Schulträger aus dem NRW-Verzeichnis die Trägernummer."),
    )
    name = models.CharField(_("Name"), max_length=200)
    kind = models.CharField(_("Art"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    state = models.CharField(_("Bundesland"), max_length=2, default="NW")
    municipality_key = models.CharField(_("Gemeindeschlüssel"), max_length=12, blank=True)
    # Billing address and contact (R9: the buyer on the invoice).
    billing_name = models.CharField(
        _("Rechnungsempfänger"),
        max_length=200,
        blank=True,
        help_text=_("Leer lassen, wenn er dem Namen des Trägers entspricht."),
    )
    billing_department = models.CharField(_("Abteilung / z. Hd."), max_length=200, blank=True)
    street = models.CharField(_("Straße und Hausnummer"), max_length=200, blank=True)
    postal_code = models.CharField(_("PLZ"), max_length=10, blank=True)
    city = models.CharField(_("Ort"), max_length=100, blank=True)
    country = models.CharField(_("Land"), max_length=2, default="DE")
    email = models.EmailField(_("E-Mail für Rechnungen"), blank=True)
    phone = models.CharField(_("Telefon"), max_length=50, blank=True)
    leitweg_id = models.CharField(
        _("Leitweg-ID"),
        max_length=46,
        blank=True,
        validators=[validate_leitweg_id],
        help_text=_("Pflicht für E-Rechnungen an öffentliche Auftraggeber (BT-10)."),
    )
    has_no_leitweg_id = models.BooleanField(
        _("hat keine Leitweg-ID"),
        default=False,
        help_text=_(
            "Ankreuzen, wenn der Träger ausdrücklich keine Leitweg-ID hat; er erhält dann "
            "eine E-Rechnung nach EN 16931 (Factur-X) statt einer XRechnung."
        ),
    )
    vat_id = models.CharField(_("USt-IdNr."), max_length=20, blank=True)
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)
    updated_at = models.DateTimeField(_("geändert am"), auto_now=True)

    class Meta:
        verbose_name = _("Schulträger")
        verbose_name_plural = _("Schulträger")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.customer_number})"

    def clean(self) -> None:
        super().clean()
        if self.leitweg_id and self.has_no_leitweg_id:
            raise ValidationError(
                {
                    "has_no_leitweg_id": _(
                        "Bitte entweder eine Leitweg-ID angeben oder „hat keine Leitweg-ID“ "
                        "ankreuzen, nicht beides."
                    )
                }
            )

    @property
    def invoice_name(self) -> str:
        return self.billing_name or self.name


class SchoolType(models.Model):
    """Schulform, keyed by the state's official key (NRW: ``02`` Grundschule)."""

    state = models.CharField(_("Bundesland"), max_length=2, default="NW")
    key = models.CharField(_("Schlüssel"), max_length=8)
    name = models.CharField(_("Bezeichnung"), max_length=100)

    class Meta:
        verbose_name = _("Schulform")
        verbose_name_plural = _("Schulformen")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["state", "key"], name="schooltype_unique_key"),
            models.UniqueConstraint(fields=["state", "name"], name="schooltype_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


def address_text(street: str, postal_code: str, city: str) -> str:
    """``Street 1, 50667 Köln``: the parts a school has, comma-separated."""
    return ", ".join(p for p in [street, f"{postal_code} {city}".strip()] if p)


class School(models.Model):
    """A school of the directory. Its official number is unique within its state."""

    authority = models.ForeignKey(
        SchoolAuthority,
        verbose_name=_("Schulträger"),
        on_delete=models.PROTECT,
        related_name="schools",
    )
    school_type = models.ForeignKey(
        SchoolType, verbose_name=_("Schulform"), on_delete=models.PROTECT, related_name="schools"
    )
    state = models.CharField(_("Bundesland"), max_length=2, default="NW")
    school_number = models.CharField(_("Schulnummer"), max_length=16)
    name = models.CharField(_("Schulname"), max_length=300)
    street = models.CharField(_("Straße"), max_length=200, blank=True)
    postal_code = models.CharField(_("PLZ"), max_length=10, blank=True)
    city = models.CharField(_("Ort"), max_length=100, blank=True)
    email = models.EmailField(_("E-Mail der Schule"), blank=True)
    is_active = models.BooleanField(
        _("aktiv"),
        default=True,
        help_text=_("Geschlossene Schulen bleiben im Verzeichnis, werden aber nicht gezählt."),
    )
    deactivated_at = models.DateTimeField(_("deaktiviert am"), null=True, blank=True)
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)
    updated_at = models.DateTimeField(_("geändert am"), auto_now=True)

    class Meta:
        verbose_name = _("Schule")
        verbose_name_plural = _("Schulen")
        ordering = ["school_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["state", "school_number"], name="school_unique_number_per_state"
            ),
        ]
        indexes = [models.Index(fields=["authority", "school_type", "is_active"])]

    def __str__(self) -> str:
        return f"{self.school_number} {self.name}"

    @property
    def address(self) -> str:
        return address_text(self.street, self.postal_code, self.city)


class AuthorityMembership(models.Model):
    """Links a Django user (authority staff) to an authority they act for."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Benutzer"),
        on_delete=models.CASCADE,
        related_name="authority_memberships",
    )
    authority = models.ForeignKey(
        SchoolAuthority,
        verbose_name=_("Schulträger"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    is_manager = models.BooleanField(
        _("Verwalter"),
        default=False,
        help_text=_(
            "Darf Kolleginnen und Kollegen des eigenen Schulträgers einladen und entfernen "
            "und einen weiteren Verwalter bestimmen."
        ),
    )
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Zugang für Trägerpersonal")
        verbose_name_plural = _("Zugänge für Trägerpersonal")
        constraints = [
            models.UniqueConstraint(fields=["user", "authority"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.authority}"


class PasswordResetRequest(models.Model):
    """One request of a password-reset e-mail, kept for an hour to rate-limit them
    (``schools.auth_throttle``). The e-mail address is stored only as a hash."""

    address = models.GenericIPAddressField(_("Adresse"))
    email_hash = models.CharField(_("E-Mail (Hash)"), max_length=64)
    requested_at = models.DateTimeField(_("angefordert am"), db_index=True)

    class Meta:
        verbose_name = _("Anforderung eines neuen Passworts")
        verbose_name_plural = _("Anforderungen neuer Passwörter")
        indexes = [
            models.Index(fields=["address", "requested_at"]),
            models.Index(fields=["email_hash", "requested_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.address} {self.requested_at:%Y-%m-%d %H:%M}"


class Invitation(models.Model):
    """A Verwalter's invitation of a colleague to the authority's portal: the link
    in the e-mail is signed and expires (``schools.team``); it can be accepted once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    authority = models.ForeignKey(
        SchoolAuthority,
        verbose_name=_("Schulträger"),
        on_delete=models.CASCADE,
        related_name="invitations",
    )
    email = models.EmailField(_("E-Mail"))
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("eingeladen von"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("eingeladen am"), auto_now_add=True)
    expires_at = models.DateTimeField(_("gültig bis"))
    accepted_at = models.DateTimeField(_("angenommen am"), null=True, blank=True)
    accepted_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Zugang"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("Einladung")
        verbose_name_plural = _("Einladungen")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.authority}"
