"""Licensing's app: registers its models with the audit trail (django-auditlog)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

AUDITED = [
    "Product",
    "Price",
    "Order",
    "OrderSchool",
    "LicenceYear",
    "Licence",
    "LicenceTerm",
    "IndividualLicence",
]


class LicensingConfig(AppConfig):
    name = "licensing"
    verbose_name = _("Lizenzen")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        for name in AUDITED:
            model = self.get_model(name)
            if not auditlog.contains(model):
                auditlog.register(model)
