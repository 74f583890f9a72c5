"""Invoicing's app: connects its receivers of the lifecycle's signals and
registers its models with the audit trail (django-auditlog)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

AUDITED = [
    "Invoice",
    "InvoiceLine",
    "Payment",
    "Refund",
    "Credit",
    "BankImport",
    "BankStatement",
    "BankEntry",
    "RefundPayout",
    "RefundTransfer",
]
# Rendered documents are recorded by their SHA-256, not their (binary) file names.
AUDIT_EXCLUDED = {"Invoice": ["pdf", "xml"], "Refund": ["pdf", "xml"]}
# A school's account number is personal data: the trail shows that it was entered
# or changed, with the IBAN masked as on letters (country, check digits, last four).
AUDIT_MASKED = {"RefundPayout": ["iban"]}
IBAN_MASK = "invoicing.payout_models.iban_mask"


class InvoicingConfig(AppConfig):
    name = "invoicing"
    verbose_name = _("Rechnungen")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from invoicing import receivers  # noqa: F401  (connects the signal handlers)

        for name in AUDITED:
            model = self.get_model(name)
            if not auditlog.contains(model):
                auditlog.register(
                    model,
                    exclude_fields=AUDIT_EXCLUDED.get(name, []),
                    mask_fields=AUDIT_MASKED.get(name, []),
                    mask_callable=IBAN_MASK if name in AUDIT_MASKED else None,
                )
