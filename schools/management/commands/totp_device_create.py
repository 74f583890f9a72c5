"""Set up the authenticator app (TOTP) of one of the publisher's staff.

    python manage.py totp_device_create verlag-mueller

prints the otpauth:// link and a QR code to scan with any TOTP app (FreeOTP, Aegis,
Google/Microsoft Authenticator). The person then confirms each login with its code.
"""

import io

import segno
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = (
        "Richtet die Authenticator-App (TOTP) eines Verlagskontos ein und zeigt Link und QR-Code."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="Authenticator-App")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Vorhandene Authenticator-Apps vorher entfernen (z. B. Handy verloren).",
        )
        parser.add_argument("--no-qr", action="store_true", help="Nur den Link ausgeben.")

    @transaction.atomic
    def handle(self, *args, username, name, replace, no_qr, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"Kein Benutzer mit dem Namen „{username}“.")
        if not user.is_staff:
            raise CommandError(f"„{username}“ ist kein Mitarbeiterkonto des Verlags (is_staff).")
        existing = TOTPDevice.objects.filter(user=user)
        if existing.exists() and not replace:
            raise CommandError(
                f"„{username}“ hat schon eine Authenticator-App; --replace ersetzt sie."
            )
        existing.delete()
        device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
        self.stdout.write(device.config_url)
        if not no_qr:
            picture = io.StringIO()
            segno.make(device.config_url, error="m").terminal(out=picture, compact=True)
            self.stdout.write(picture.getvalue(), ending="")
