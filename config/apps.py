"""German names for the third-party apps the publisher's staff see in the admin
(audit log, second factor, login lock-outs).

Each class keeps the library's label and behaviour and only sets what the staff
read; INSTALLED_APPS names these classes instead of the libraries' own."""

from auditlog.apps import AuditlogConfig
from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.apps import DefaultConfig as TOTPDefaultConfig


class ProjectConfig(AppConfig):
    """The project's own system checks (config/checks.py); no models."""

    name = "config"
    verbose_name = _("Konfiguration")

    def ready(self) -> None:
        from config import checks  # noqa: F401  (registers the checks)


class GermanAuditlogConfig(AuditlogConfig):
    verbose_name = _("Änderungsprotokoll")

    def ready(self) -> None:
        super().ready()
        from config.auditlog_admin import register_auditlog_admin

        register_auditlog_admin()


class GermanAxesConfig(AxesAppConfig):
    verbose_name = _("Anmeldesperren")

    def ready(self) -> None:
        super().ready()
        from config.axes_admin import register_axes_admin

        register_axes_admin()


class GermanTOTPConfig(TOTPDefaultConfig):
    verbose_name = _("Zwei-Faktor-Anmeldung")

    def ready(self) -> None:
        super().ready()
        from config.otp_admin import VERBOSE_NAME, VERBOSE_NAME_PLURAL, register_totp_admin

        # django-otp's model names are plain English strings (no gettext). Only the
        # names the admin reads are set; migrations read ``_meta.original_attrs``,
        # so no migration of the library's app follows from this.
        model = self.get_model("TOTPDevice")
        model._meta.verbose_name = VERBOSE_NAME
        model._meta.verbose_name_plural = VERBOSE_NAME_PLURAL
        register_totp_admin()
