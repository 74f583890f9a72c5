"""Which models django-auditlog records: every change (create, update, delete) with
who (the request's user via AuditlogMiddleware), when and which fields changed.

Kept here rather than in each app's models.py so the list is in one place.
"""

from auditlog.registry import auditlog
from django.apps import apps

AUDITED_MODELS = [
    "schools.SchoolAuthority",
    "schools.School",
    "schools.AuthorityMembership",
    "licensing.Product",
    "licensing.Price",
    "licensing.Order",
    "licensing.OrderSchool",
    "licensing.LicenceYear",
    "licensing.Licence",
    "licensing.LicenceTerm",
    "licensing.IndividualLicence",
    "invoicing.Invoice",
    "invoicing.InvoiceLine",
    "invoicing.Payment",
    "invoicing.Refund",
    "invoicing.BankImport",
    "invoicing.BankStatement",
    "invoicing.BankEntry",
]

# Rendered documents are recorded by their SHA-256, not their (binary) file names.
EXCLUDED_FIELDS = {
    "invoicing.Invoice": ["pdf", "xml"],
    "invoicing.Refund": ["pdf", "xml"],
}


def register_models() -> None:
    for label in AUDITED_MODELS:
        model = apps.get_model(label)
        if not auditlog.contains(model):
            auditlog.register(model, exclude_fields=EXCLUDED_FIELDS.get(label, []))
