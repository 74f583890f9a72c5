"""Throttled logins, idle sessions, password reset and the second factor for staff."""

import datetime
import re

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import MembershipFactory, UserFactory

LOCKED = (
    "Nach 5 fehlgeschlagenen Anmeldeversuchen ist die Anmeldung für dieses Benutzerkonto "
    "von Ihrem Anschluss aus vorübergehend gesperrt."
)


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True


@pytest.fixture
def otp_on(settings):
    settings.OTP_REQUIRED_FOR_STAFF = True


@pytest.fixture
def user(db, authority):
    user = UserFactory(username="kaemmerei", email="kaemmerei@stadt.example")
    MembershipFactory(user=user, authority=authority)
    return user


def login(client, password, username="kaemmerei", ip="198.51.100.7"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_five_failed_logins_lock_the_account_with_a_german_message(axes_on, client, user):
    for _ in range(4):
        response = login(client, "falsch")
        assert response.status_code == 200
        assert "Bitte Benutzername und Passwort eingeben." in (response.content.decode())

    response = login(client, "falsch")

    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert "Bitte versuchen Sie es in 30 Minuten erneut." in response.content.decode()


def test_correct_password_is_refused_while_locked(axes_on, client, user):
    for _ in range(5):
        login(client, "falsch")

    response = login(client, "geheim-123")

    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lock_is_per_user_and_address(axes_on, client, user):
    for _ in range(5):
        login(client, "falsch")

    # The same account from another address still gets in.
    response = Client().post(
        reverse("login"),
        {"username": "kaemmerei", "password": "geheim-123"},
        REMOTE_ADDR="203.0.113.9",
    )

    assert response.status_code == 302


def test_a_success_before_the_limit_resets_the_count(axes_on, client, user):
    for _ in range(4):
        login(client, "falsch")
    assert login(client, "geheim-123").status_code == 302
    client.logout()

    for _ in range(4):
        response = login(client, "falsch")

    assert response.status_code == 200


def test_session_expires_after_thirty_idle_minutes(staff_client, authority):
    url = reverse("portal:dashboard", args=[authority.pk])
    assert staff_client.get(url).status_code == 200
    assert staff_client.session.get_expiry_age() == 30 * 60

    session = Session.objects.get(session_key=staff_client.session.session_key)
    session.expire_date = timezone.now() - datetime.timedelta(seconds=1)
    session.save()

    response = staff_client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_password_reset_by_german_email(client, user):
    response = client.get(reverse("login"))
    assert reverse("password_reset") in response.content.decode()

    response = client.post(reverse("password_reset"), {"email": "kaemmerei@stadt.example"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Bitte sehen Sie in Ihr Postfach" in page

    [message] = mail.outbox
    assert message.subject == "Neues Passwort für das Lizenzportal"
    assert "für Ihr Benutzerkonto „kaemmerei“ im Lizenzportal" in message.body
    assert message.alternatives[0][1] == "text/html"
    link = re.search(r"http://testserver(/passwort-neu/\S+/)", message.body).group(1)

    form_url = client.get(link)["Location"]
    page = client.get(form_url).content.decode()
    assert "Neues Passwort festlegen" in page
    short = client.post(form_url, {"new_password1": "123", "new_password2": "123"})
    assert "Dieses Passwort ist zu kurz" in short.content.decode()
    response = client.post(
        form_url, {"new_password1": "Schulbuch-2027!", "new_password2": "Schulbuch-2027!"}
    )
    assert response["Location"] == reverse("password_reset_complete")

    user.refresh_from_db()
    assert user.check_password("Schulbuch-2027!")


# --- Two factors for the publisher's staff ---------------------------------------------


@pytest.fixture
def publisher(db):
    return UserFactory(username="verlag-admin", is_staff=True, is_superuser=True)


@pytest.fixture
def device(publisher):
    return TOTPDevice.objects.create(user=publisher, name="Telefon", confirmed=True)


def current_token(device) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"


def test_staff_without_second_factor_cannot_reach_the_admin(otp_on, client, publisher, device):
    client.post(reverse("login"), {"username": "verlag-admin", "password": "geheim-123"})

    for url in [reverse("admin:index"), reverse("admin:licensing_order_changelist")]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("otp_verify"))

    page = client.get(reverse("otp_verify")).content.decode()
    assert "Sechsstelliger Code aus Ihrer Authenticator-App" in page


def test_admin_password_login_alone_does_not_open_the_admin(otp_on, client, publisher, device):
    response = client.post(
        reverse("admin:login"),
        {"username": "verlag-admin", "password": "geheim-123", "next": reverse("admin:index")},
        follow=True,
    )

    assert response.redirect_chain[-1][0].startswith(reverse("otp_verify"))


def test_staff_with_a_verified_totp_code_reach_the_admin(otp_on, client, publisher, device):
    client.post(reverse("login"), {"username": "verlag-admin", "password": "geheim-123"})

    wrong = client.post(reverse("otp_verify"), {"token": "000000"})
    assert "Der Code ist falsch oder abgelaufen." in wrong.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302
    # A wrong code makes django-otp refuse any code for a second (then 2, 4, ...).
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    device.throttle_reset()

    response = client.post(
        reverse("otp_verify"),
        {"token": current_token(device), "next": reverse("admin:licensing_order_changelist")},
    )

    assert response["Location"] == reverse("admin:licensing_order_changelist")
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:licensing_order_changelist")).status_code == 200


def test_staff_without_any_device_are_told_to_ask_operations(otp_on, client, publisher):
    client.force_login(publisher)

    page = client.get(reverse("otp_verify")).content.decode()

    assert "Für Ihr Konto ist noch keine Authenticator-App eingerichtet." in page
    assert client.get(reverse("admin:index")).status_code == 302


def test_authority_users_need_no_second_factor(otp_on, staff_client, authority):
    response = staff_client.get(reverse("portal:dashboard", args=[authority.pk]))

    assert response.status_code == 200


def test_command_creates_a_device_and_prints_its_otpauth_link(publisher, capsys):
    call_command("totp_device_create", "verlag-admin", "--no-qr")

    device = TOTPDevice.objects.get(user=publisher)
    out = capsys.readouterr().out
    assert out.strip() == device.config_url
    assert out.startswith("otpauth://totp/Lizenzportal%3Averlag-admin?secret=")


# --- Lock-out behind the TLS proxy: strangers cannot lock a user out -------------------

PROXY = "10.0.0.2"
ATTACKER = "198.51.100.66"
VICTIM = "203.0.113.9"
ADDRESS_LOCKED = (
    "Nach 20 fehlgeschlagenen Anmeldeversuchen von Ihrem Anschluss aus ist die Anmeldung "
    "von dort vorübergehend gesperrt."
)


@pytest.fixture
def behind_proxy(axes_on, settings):
    settings.TRUSTED_PROXY_COUNT = 1


def login_via_proxy(client, username, password, client_address):
    """A request as the TLS proxy forwards it: REMOTE_ADDR is the proxy, the client
    address is the last X-Forwarded-For hop (whatever the client claimed before it)."""
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=f"1.2.3.4, {client_address}",
    )


def test_a_stranger_locking_a_user_does_not_lock_the_user_elsewhere(behind_proxy, user):
    attacker = Client()
    for _ in range(5):
        login_via_proxy(attacker, "kaemmerei", "falsch", ATTACKER)
    assert login_via_proxy(attacker, "kaemmerei", "geheim-123", ATTACKER).status_code == 429

    response = login_via_proxy(Client(), "kaemmerei", "geheim-123", VICTIM)

    assert response.status_code == 302


def test_many_addresses_trying_one_user_never_lock_the_user(behind_proxy, user):
    for number in range(10):
        for _ in range(4):
            login_via_proxy(Client(), "kaemmerei", "falsch", f"198.51.100.{number}")

    response = login_via_proxy(Client(), "kaemmerei", "geheim-123", VICTIM)

    assert response.status_code == 302


def test_an_address_trying_many_user_names_is_locked_at_the_address_limit(behind_proxy, user):
    attacker = Client()
    for number in range(19):
        response = login_via_proxy(attacker, f"rate-{number}", "falsch", ATTACKER)
        assert response.status_code == 200, number

    response = login_via_proxy(attacker, "rate-19", "falsch", ATTACKER)
    assert response.status_code == 429
    assert ADDRESS_LOCKED in response.content.decode()
    # Locked for every account from there, the real one included ...
    assert login_via_proxy(attacker, "kaemmerei", "geheim-123", ATTACKER).status_code == 429
    # ... but not from another address.
    assert login_via_proxy(Client(), "kaemmerei", "geheim-123", VICTIM).status_code == 302


def test_a_valid_login_does_not_reset_its_address_count(behind_proxy, user):
    UserFactory(username="helfer")
    attacker = Client()
    for number in range(19):
        login_via_proxy(attacker, f"rate-{number}", "falsch", ATTACKER)
    assert login_via_proxy(Client(), "helfer", "geheim-123", ATTACKER).status_code == 302

    response = login_via_proxy(attacker, "rate-19", "falsch", ATTACKER)

    assert response.status_code == 429


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(axes_on, settings, user):
    settings.TRUSTED_PROXY_COUNT = 0
    for _ in range(5):
        login_via_proxy(Client(), "kaemmerei", "falsch", ATTACKER)

    # Every client has the proxy's address: that is why production requires the setting.
    assert login_via_proxy(Client(), "kaemmerei", "geheim-123", VICTIM).status_code == 429


# --- Password reset: rate-limited per address and per e-mail ---------------------------

TOO_MANY_RESETS = (
    "Es wurden zu viele neue Passwörter angefordert. Bitte versuchen Sie es in einer Stunde erneut."
)


def request_reset(email, address="198.51.100.7"):
    return Client().post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)


def test_password_reset_is_limited_per_email_address(user):
    for number in range(3):
        assert request_reset("kaemmerei@stadt.example", f"198.51.100.{number}").status_code == 302

    response = request_reset("KAEMMEREI@stadt.example", "198.51.100.99")

    assert response.status_code == 429
    assert TOO_MANY_RESETS in response.content.decode()
    assert len(mail.outbox) == 3
    # Another e-mail address is not affected.
    assert request_reset("andere@stadt.example", "198.51.100.99").status_code == 302


def test_password_reset_is_limited_per_client_address(user):
    for number in range(10):
        assert request_reset(f"unbekannt-{number}@example.org").status_code == 302

    response = request_reset("kaemmerei@stadt.example")

    assert response.status_code == 429
    assert mail.outbox == []
    assert request_reset("kaemmerei@stadt.example", "203.0.113.9").status_code == 302
    assert len(mail.outbox) == 1


def test_password_reset_limit_ends_after_an_hour(user):
    from schools.models import PasswordResetRequest

    for _ in range(3):
        request_reset("kaemmerei@stadt.example")
    assert request_reset("kaemmerei@stadt.example").status_code == 429
    PasswordResetRequest.objects.update(
        requested_at=timezone.now() - datetime.timedelta(minutes=60, seconds=1)
    )

    assert request_reset("kaemmerei@stadt.example").status_code == 302


# --- No page of a logged-in user is cached ----------------------------------------------


def test_every_authenticated_page_is_no_store(staff_client, publisher_client, authority):
    for client, url in [
        (staff_client, reverse("portal:dashboard", args=[authority.pk])),
        (staff_client, reverse("schools:school_list", args=[authority.pk])),
        (staff_client, reverse("home")),
        (publisher_client, reverse("admin:index")),
        (publisher_client, reverse("admin:licensing_order_changelist")),
    ]:
        response = client.get(url)
        assert response.status_code in (200, 302), url
        assert "no-store" in response["Cache-Control"], url
        assert "private" in response["Cache-Control"], url


def test_anonymous_pages_are_not_marked_no_store(client, db):
    response = client.get(reverse("impressum"))

    assert "no-store" not in response.get("Cache-Control", "")
