"""Print the current TOTP code of the demo publisher account ``verlag``.

Only for the local demo (DEBUG on), so that the admin's second factor can be
tried without an authenticator app. Production settings refuse it.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = _("Zeigt den aktuellen Code des zweiten Faktors des Demo-Kontos „verlag“.")

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(_("Nur in der lokalen Demo (DEBUG) verfügbar."))
        device = TOTPDevice.objects.filter(user__username="verlag").first()
        if device is None:
            raise CommandError(_("Es gibt keine Demodaten; bitte zuerst seed_demo ausführen."))
        code = totp(
            device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift
        )
        self.stdout.write(f"{code:0{device.digits}d}")
