"""The admin of the third-party apps speaks German, and second-factor secrets are
for nobody to read: the devices are managed by superusers only and the key is
never shown after it was set up."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import translation
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import SchoolFactory, UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
KEY = "3132333435363738393031323334353637383930"


def visible_text(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r'<nav class="sticky" id="nav-sidebar">.*?</nav>', " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def device(publisher_user):
    return TOTPDevice.objects.create(user=publisher_user, name="Diensthandy", key=KEY)


def test_start_page_names_the_apps_in_german(publisher_client):
    text = visible_text(publisher_client.get(reverse("admin:index")))

    for german in ("Änderungsprotokoll", "Anmeldesperren", "Zwei-Faktor-Anmeldung"):
        assert german in text
    assert "Authenticator-Apps (TOTP)" in text
    for english in ("Audit log", "Axes", "Otp_Totp", "TOTP device"):
        assert english.lower() not in text.lower()


def test_audit_log_pages_are_german(publisher_client):
    school = SchoolFactory()
    school.name = "Neue Schule"
    school.save()
    from auditlog.models import LogEntry

    entry = LogEntry.objects.get_for_object(school).latest("timestamp")

    listing = visible_text(publisher_client.get(reverse("admin:auditlog_logentry_changelist")))
    page = visible_text(
        publisher_client.get(reverse("admin:auditlog_logentry_change", args=[entry.pk]))
    )

    assert "Nach Aktion Alle angelegt geändert gelöscht aufgerufen" in listing
    assert "Art des Datensatzes Alle Schulen Schulträger" in listing
    assert "1 Feld: Schulname" in listing
    assert "System (Nachtlauf, Worker oder Befehl)" in listing
    assert f"Geändert: {school}" in page
    assert "Feld vorher nachher" in page
    for english in ("change:", "changes:", "system", "Correlation", "Resource", "Created"):
        assert english not in listing + page


def test_axes_lock_filter_is_german(publisher_client):
    text = visible_text(publisher_client.get(reverse("admin:axes_accessattempt_changelist")))
    assert "Nach gesperrt" in text
    assert "Locked Out" not in text


def test_the_compiled_catalogue_matches_its_source():
    """Every message of locale/de/LC_MESSAGES/django.po is what Django translates it
    to, i.e. django.mo was compiled after the last edit."""
    source = (ROOT / "locale/de/LC_MESSAGES/django.po").read_text()
    pairs = re.findall(r'^msgid "(.+)"\nmsgstr "(.+)"$', source, flags=re.M)
    assert len(pairs) > 30
    with translation.override("de"):
        for msgid, msgstr in pairs:
            assert translation.gettext(msgid) == msgstr, msgid


def test_superuser_manages_devices_without_ever_seeing_the_key(publisher_client, device):
    change = publisher_client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    listing = publisher_client.get(reverse("admin:otp_totp_totpdevice_changelist"))
    config = publisher_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/")
    qrcode = publisher_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/qrcode/")

    assert change.status_code == listing.status_code == 200
    for page in (change, listing):
        assert KEY not in page.content.decode()
        assert "otpauth://" not in page.content.decode()
        assert "qrcode" not in page.content.decode().lower()
    assert config.status_code == qrcode.status_code == 403
    text = visible_text(change)
    assert "Sperre nach Fehlversuchen" in text
    assert "Identity" not in text and "Throttling" not in text


def staff_with_every_otp_permission():
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="otp_totp"))
    return user


@pytest.mark.parametrize(
    "url",
    [
        "admin:otp_totp_totpdevice_changelist",
        "admin:otp_totp_totpdevice_change",
        "admin:otp_totp_totpdevice_add",
        "admin:otp_totp_totpdevice_delete",
        "otp_totp/totpdevice/{pk}/config/",
        "otp_totp/totpdevice/{pk}/qrcode/",
    ],
)
def test_staff_who_are_not_superusers_never_reach_a_device(client, device, url):
    """Even with every model permission of the OTP app a staff member is refused."""
    client.force_login(staff_with_every_otp_permission())
    if url.startswith("admin:"):
        args = [] if url.endswith(("changelist", "add")) else [device.pk]
        target = reverse(url, args=args)
    else:
        target = "/admin/" + url.format(pk=device.pk)

    response = client.get(target)
    posted = client.post(target, {"post": "yes", "name": "Gekapert", "key": "00"})

    assert response.status_code == 403
    assert posted.status_code == 403
    assert KEY not in response.content.decode()
    device.refresh_from_db()
    assert (device.name, device.key) == ("Diensthandy", KEY)


def test_device_section_is_not_offered_to_other_staff(client, device):
    client.force_login(staff_with_every_otp_permission())
    text = visible_text(client.get(reverse("admin:index")))
    assert "Authenticator-Apps" not in text
    assert "Zwei-Faktor-Anmeldung" not in text
