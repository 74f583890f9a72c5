"""The production settings, checked the way an operator starts the portal."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, env_vars, tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SECRET_KEY", "ALLOWED_HOSTS", "CSRF_", "DATABASE_URL"))
    }
    env.update(DJANGO_SETTINGS_MODULE="config.settings.production", **env_vars)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_passes_without_any_warning(production_env, tmp_path):
    result = run_manage(
        "check", "--deploy", "--fail-level", "DEBUG", env_vars=production_env, tmp_path=tmp_path
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stderr + result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS"])
def test_production_refuses_to_start_without_a_secret_or_host(missing, production_env, tmp_path):
    del production_env[missing]

    result = run_manage("check", env_vars=production_env, tmp_path=tmp_path)

    assert result.returncode != 0
    assert f"Set the {missing} environment variable" in result.stderr


def test_admin_lives_at_the_configured_path(production_env, tmp_path):
    production_env["ADMIN_URL"] = "verwaltung-7f3a/"
    code = "from django.urls import reverse; print(reverse('admin:index'))"

    result = run_manage("shell", "-c", code, env_vars=production_env, tmp_path=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "/verwaltung-7f3a/"


def test_throttling_and_second_factor_cannot_be_switched_off_in_production(
    production_env, tmp_path
):
    production_env.update(AXES_ENABLED="false", OTP_REQUIRED_FOR_STAFF="false")
    code = (
        "from django.conf import settings; "
        "print(settings.AXES_ENABLED, settings.OTP_REQUIRED_FOR_STAFF, settings.SESSION_COOKIE_AGE)"
    )

    result = run_manage("shell", "-c", code, env_vars=production_env, tmp_path=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True True 1800"


def test_deploy_check_fails_on_demo_seller_bank_register_and_portal_values(
    production_env, tmp_path
):
    for variable in ("SELLER_VAT_ID", "SELLER_IBAN", "SELLER_MANAGING_DIRECTORS", "PORTAL_URL"):
        del production_env[variable]
    production_env["SELLER_REGISTER"] = "Amtsgericht Braunschweig HRB 1234"
    production_env["SELLER_BIC"] = " "

    result = run_manage("check", "--deploy", env_vars=production_env, tmp_path=tmp_path)

    output = result.stdout + result.stderr
    assert result.returncode != 0
    for expected in [
        "SELLER_VAT_ID is still the demo value 'DE811181311'.",
        "SELLER_IBAN is still the demo value 'DE02120300000000202051'.",
        "SELLER_MANAGING_DIRECTORS is still the demo value 'Max Mustermann'.",
        "SELLER_REGISTER is still the demo value 'Amtsgericht Braunschweig HRB 1234'.",
        "SELLER_BIC is empty.",
        "PORTAL_URL is 'http://127.0.0.1:8000'",
    ]:
        assert expected in output
    assert "SELLER_BANK_NAME" not in output  # set to a real value by the fixture


@pytest.mark.parametrize("url", ["http://lizenzen.example.org", ""])
def test_deploy_check_wants_an_https_portal_url(url, production_env, tmp_path):
    production_env["PORTAL_URL"] = url

    result = run_manage("check", "--deploy", env_vars=production_env, tmp_path=tmp_path)

    assert result.returncode != 0
    assert f"PORTAL_URL is {url!r}" in result.stdout + result.stderr


def test_deploy_check_requires_the_trusted_proxy_count(production_env, tmp_path):
    del production_env["TRUSTED_PROXY_COUNT"]

    result = run_manage("check", "--deploy", env_vars=production_env, tmp_path=tmp_path)

    assert result.returncode != 0
    assert "Set TRUSTED_PROXY_COUNT to the number of reverse proxies" in result.stderr


def test_trusted_proxy_count_zero_is_a_valid_choice(production_env, tmp_path):
    production_env["TRUSTED_PROXY_COUNT"] = "0"

    result = run_manage("check", "--deploy", env_vars=production_env, tmp_path=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr


def test_deploy_check_refuses_the_demo_publisher_contacts(production_env, tmp_path):
    del production_env["PUBLISHER_CONTACTS"]

    result = run_manage("check", "--deploy", env_vars=production_env, tmp_path=tmp_path)

    output = result.stdout + result.stderr
    assert result.returncode != 0
    for expected in [
        "PUBLISHER_CONTACTS entry 1: the phone '0531 708 8250' is still the demo value.",
        "PUBLISHER_CONTACTS entry 2: the phone '0531 708 8251' is still the demo value.",
        "PUBLISHER_CONTACTS entry 1: the email 'schultraeger@example.org' is an example address",
        "Set PUBLISHER_CONTACTS to the publisher's real contacts for school authorities: \"Name|",
    ]:
        assert expected in output


def test_deploy_check_names_the_missing_parts_of_a_contact(production_env, tmp_path):
    production_env["PUBLISHER_CONTACTS"] = "Franziska Dorbert"

    result = run_manage("check", "--deploy", env_vars=production_env, tmp_path=tmp_path)

    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "PUBLISHER_CONTACTS entry 1: the phone '' is empty." in output
    assert "PUBLISHER_CONTACTS entry 1: the email '' is empty." in output
    assert "the name" not in output


REAL_CONTACT = {
    "name": "Franziska Dorbert",
    "phone": "0531 708 9250",
    "email": "f.dorbert@westermanngruppe.de",
}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"phone": "0531 708 0000"}, "the phone '0531 708 0000' is a placeholder (0000)."),
        ({"phone": "0531 000 000"}, "the phone '0531 000 000' is a placeholder (0000)."),
        ({"phone": "+49 000 000"}, "the phone '+49 000 000' is a placeholder (0000)."),
        ({"phone": "0000"}, "the phone '0000' is not a phone number."),
        ({"phone": "TODO"}, "the phone 'TODO' is a placeholder."),
        ({"phone": "bitte anrufen"}, "the phone 'bitte anrufen' is not a phone number."),
        ({"phone": " "}, "the phone '' is empty."),
        ({"email": "vertrieb@example.com"}, "is an example address (reserved domain)."),
        ({"email": "vertrieb@Example.ORG"}, "is an example address (reserved domain)."),
        ({"email": "vertrieb@verlag.example"}, "is an example address (reserved domain)."),
        ({"email": "todo@westermanngruppe.de"}, "the email 'todo@westermanngruppe.de' is a placeh"),
        ({"email": "vertrieb(at)verlag.de"}, "is not an e-mail address."),
        ({"email": ""}, "the email '' is empty."),
        ({"name": "TBD"}, "the name 'TBD' is a placeholder."),
        ({"name": ""}, "the name '' is empty."),
    ],
)
def test_placeholder_publisher_contacts_are_refused(settings, change, expected):
    from config.checks import production_values_check

    settings.PUBLISHER_CONTACTS = [REAL_CONTACT, {**REAL_CONTACT, **change}]

    messages = [error.msg for error in production_values_check(None) if error.id == "lp.E005"]

    assert len(messages) == 1
    assert messages[0].startswith("PUBLISHER_CONTACTS entry 2: ")
    assert expected in messages[0]


@pytest.mark.parametrize(
    "contact",
    [
        REAL_CONTACT,
        {**REAL_CONTACT, "phone": "+49 (0)531 708-9250"},
        {**REAL_CONTACT, "phone": "0531 7080 1000", "email": "schultraeger@westermann.de"},
        {**REAL_CONTACT, "phone": "0531 708 000"},  # a switchboard
        {**REAL_CONTACT, "phone": "+49 531 708 000"},
    ],
)
def test_real_publisher_contacts_pass(settings, contact):
    from config.checks import production_values_check

    settings.PUBLISHER_CONTACTS = [contact]

    assert [e for e in production_values_check(None) if e.id == "lp.E005"] == []


def test_no_publisher_contacts_at_all_is_refused(settings):
    from config.checks import production_values_check

    settings.PUBLISHER_CONTACTS = []

    assert [e.msg for e in production_values_check(None) if e.id == "lp.E005"] == [
        "PUBLISHER_CONTACTS is empty."
    ]
