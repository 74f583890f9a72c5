"""Billing data of an authority (R9, R10): what an invoice to it needs before an
order can be confirmed and before a document is numbered. The buyer's full postal
address (§ 14 UStG, BR-DE-8/9), an invoice e-mail address (its electronic
address, PEPPOL-EN16931-R010) and either a Leitweg-ID (XRechnung, BR-DE-15) or the
explicit statement that it has none (then an EN 16931 / Factur-X invoice)."""

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from schools.models import SchoolAuthority

# (field, label) in the order the page shows them.
REQUIRED_FIELDS = [
    ("street", gettext_lazy("Straße und Hausnummer")),
    ("postal_code", gettext_lazy("PLZ")),
    ("city", gettext_lazy("Ort")),
    ("email", gettext_lazy("E-Mail für Rechnungen")),
]


def billing_missing(authority: SchoolAuthority) -> list[str]:
    """German names of the billing data ``authority`` still lacks; empty when an
    invoice to it can be issued."""
    missing = [
        str(label) for name, label in REQUIRED_FIELDS if not getattr(authority, name).strip()
    ]
    if not authority.leitweg_id and not authority.has_no_leitweg_id:
        missing.append(_("Leitweg-ID (oder die Angabe, dass keine vorhanden ist)"))
    return missing


def billing_missing_text(authority: SchoolAuthority) -> str:
    """One German sentence naming what is missing, or "" when nothing is."""
    missing = billing_missing(authority)
    if not missing:
        return ""
    return _("Die Rechnungsdaten von %(name)s sind unvollständig; es fehlt: %(missing)s.") % {
        "name": authority.name,
        "missing": ", ".join(missing),
    }


def billing_incomplete_q(prefix: str = "") -> Q:
    """A filter for authorities (or, with ``prefix`` like ``"authority__"``, rows
    pointing to them) whose billing data is incomplete."""
    q = Q()
    for name, _label in REQUIRED_FIELDS:
        q |= Q(**{f"{prefix}{name}": ""})
    return q | Q(**{f"{prefix}leitweg_id": "", f"{prefix}has_no_leitweg_id": False})


def uses_xrechnung(authority: SchoolAuthority) -> bool:
    """XRechnung for buyers with a Leitweg-ID; EN 16931 (Factur-X) otherwise."""
    return bool(authority.leitweg_id)


BILLING_FIELDS = (
    "billing_name",
    "billing_department",
    "street",
    "postal_code",
    "city",
    "email",
    "leitweg_id",
    "has_no_leitweg_id",
)


@transaction.atomic
def authority_billing_update(*, authority: SchoolAuthority, data: dict) -> SchoolAuthority:
    """Store the authority's billing data (checked by ``BillingDataForm`` and the
    model's own validation); django-auditlog records who changed what."""
    locked = SchoolAuthority.objects.select_for_update().get(pk=authority.pk)
    for name in BILLING_FIELDS:
        if name in data:
            setattr(locked, name, data[name])
    locked.full_clean()
    locked.save()
    return locked
