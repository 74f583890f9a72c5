"""The second-factor devices (TOTP) of staff accounts in the admin: managed by
superusers only, in German, and never showing a secret.

django-otp's own admin offers the devices to anybody with the model permissions and
shows the key on the change page and on ``<id>/config/`` unless
``OTP_ADMIN_HIDE_SENSITIVE_DATA`` is set (it is, in config/settings/base.py). This
admin replaces it: every permission is ``is_superuser``, the key is only entered
when a device is added, and the labels are German (the library's are plain English
strings, not gettext messages)."""

from django import forms
from django.contrib import admin
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

VERBOSE_NAME = _("Authenticator-App (TOTP)")
VERBOSE_NAME_PLURAL = _("Authenticator-Apps (TOTP)")

LABELS = {
    "user": (_("Benutzer"), _("Das Verlagskonto, zu dem die App gehört.")),
    "name": (_("Bezeichnung"), _("z. B. „Diensthandy“.")),
    "confirmed": (_("bestätigt"), _("Nur bestätigte Apps werden bei der Anmeldung geprüft.")),
    "key": (_("Schlüssel"), _("Geheimer Schlüssel (hex); wird nach dem Speichern nie angezeigt.")),
    "step": (_("Zeitschritt (s)"), ""),
    "t0": (_("Startzeit (Unix)"), ""),
    "digits": (_("Stellen"), ""),
    "tolerance": (_("Toleranz (Zeitschritte)"), ""),
    "drift": (_("Abweichung (Zeitschritte)"), ""),
    "throttling_failure_timestamp": (_("letzter Fehlversuch"), ""),
    "throttling_failure_count": (_("Fehlversuche in Folge"), ""),
}


def local_datetime(value) -> str:
    """A moment as German staff read it (6. Dezember 2026 15:13), or "–"."""
    if value is None:
        return "–"
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


class TOTPDeviceForm(forms.ModelForm):
    class Meta:
        model = TOTPDevice
        fields = list(LABELS)
        labels = {name: label for name, (label, _help) in LABELS.items()}
        help_texts = {name: help_text for name, (_label, help_text) in LABELS.items()}


class StaffTOTPDeviceAdmin(TOTPDeviceAdmin):
    form = TOTPDeviceForm
    list_display = ["account", "device_name", "created", "last_used", "is_confirmed"]
    list_filter = []
    actions = []
    search_help_text = _("Suche nach Benutzername oder E-Mail-Adresse")

    # --- superusers only -----------------------------------------------------------
    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    # --- German ----------------------------------------------------------------------
    def get_list_display(self, request):
        return self.list_display  # never the library's QR-code column

    def get_fieldsets(self, request, obj=None):
        configuration = ["step", "t0", "digits", "tolerance"]
        if obj is None:  # the key is entered once, when the device is added
            configuration = ["key", *configuration]
        return [
            (None, {"fields": ["user", "name", "confirmed"]}),
            (_("Zeitpunkte"), {"fields": ["created", "last_used"]}),
            (_("Einstellungen"), {"fields": configuration}),
            (_("Zustand"), {"fields": ["drift"]}),
            (
                _("Sperre nach Fehlversuchen"),
                {"fields": ["throttling_failure_timestamp", "throttling_failure_count"]},
            ),
        ]

    def get_readonly_fields(self, request, obj=None):
        return ["created", "last_used"]

    @admin.display(description=_("Benutzer"), ordering="user__username")
    def account(self, device: TOTPDevice) -> str:
        return device.user.get_username()

    @admin.display(description=_("Bezeichnung"), ordering="name")
    def device_name(self, device: TOTPDevice) -> str:
        return device.name

    @admin.display(description=_("angelegt"), ordering="created_at")
    def created(self, device: TOTPDevice) -> str:
        return local_datetime(device.created_at)

    @admin.display(description=_("zuletzt benutzt"), ordering="last_used_at")
    def last_used(self, device: TOTPDevice) -> str:
        return local_datetime(device.last_used_at)

    @admin.display(description=_("bestätigt"), boolean=True, ordering="confirmed")
    def is_confirmed(self, device: TOTPDevice) -> bool:
        return device.confirmed


def register_totp_admin(site=None) -> None:
    site = site or admin.site
    if site.is_registered(TOTPDevice):
        site.unregister(TOTPDevice)
    site.register(TOTPDevice, StaffTOTPDeviceAdmin)
