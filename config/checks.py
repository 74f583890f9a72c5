"""System checks for production (``manage.py check --deploy``, error level).

They refuse settings that would put demo or missing values on legal documents (the
seller, the bank, the register entry) or into e-mails (the portal's address, the
buyer's contacts at the publisher), and a production without TRUSTED_PROXY_COUNT,
where every client would share the proxy's address for the login lock-out.
"""

import re

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

# The values config/settings/base.py falls back to; fine for the demo, never in production.
DEMO_SELLER = {
    "vat_id": "DE811181311",
    "tax_number": "13/200/12345",
    "register": "Amtsgericht Braunschweig HRB 1234",
    "managing_directors": "Max Mustermann",
    "email": "rechnungen@example.org",
    "phone": "0531 708 0",
    "bank_name": "Musterbank Braunschweig",
    "iban": "DE02120300000000202051",
    "bic": "BYLADEM1001",
}
DEMO_PORTAL_URL = "http://127.0.0.1:8000"
# PUBLISHER_CONTACTS of config/settings/base.py: real names, placeholder numbers.
DEMO_CONTACT_PHONES = {"0531 708 8250", "0531 708 8251"}
# Domains reserved for examples and tests (RFC 2606, RFC 6761): never a real inbox.
_RESERVED_DOMAIN = re.compile(
    r"(^|\.)(example\.(com|org|net)|example|test|invalid|localhost)$", re.IGNORECASE
)
_PLACEHOLDER_WORD = re.compile(
    r"\b(todo|tbd|xxx+|platzhalter|placeholder|changeme|dummy)\b", re.IGNORECASE
)
_PHONE = re.compile(r"^\+?[0-9 ()/.\-]+$")


def _seller_errors() -> list[Error]:
    errors = []
    for key, value in settings.SELLER.items():
        variable = f"SELLER_{key.upper()}"
        if not str(value).strip():
            errors.append(Error(f"{variable} is empty.", hint=f"Set {variable}.", id="lp.E001"))
        elif DEMO_SELLER.get(key) == value:
            errors.append(
                Error(
                    f"{variable} is still the demo value {value!r}.",
                    hint=f"Set {variable} to the publisher's real value.",
                    id="lp.E002",
                )
            )
    return errors


def _portal_url_errors() -> list[Error]:
    url = settings.PORTAL_URL
    if url and url != DEMO_PORTAL_URL and url.startswith("https://"):
        return []
    return [
        Error(
            f"PORTAL_URL is {url!r}: links in e-mails would not reach the portal.",
            hint="Set PORTAL_URL to the public https:// address, e.g. https://lizenzen.example.org.",
            id="lp.E003",
        )
    ]


def _proxy_errors() -> list[Error]:
    if settings.TRUSTED_PROXY_COUNT is not None:
        return []
    return [
        Error(
            "TRUSTED_PROXY_COUNT is not set: behind the TLS proxy every client would have the "
            "proxy's address, and failed logins of one would lock out all.",
            hint=(
                "Set TRUSTED_PROXY_COUNT to the number of reverse proxies in front of gunicorn "
                "that append to X-Forwarded-For (1 for one TLS proxy; 0 only if clients "
                "connect to gunicorn directly)."
            ),
            id="lp.E004",
        )
    ]


def _contact_phone_problem(phone: str) -> str:
    """Why ``phone`` is not a real number (empty: it looks like one)."""
    digits = re.sub(r"\D", "", phone)
    if phone in DEMO_CONTACT_PHONES:
        return "is still the demo value"
    if not _PHONE.match(phone) or len(digits) < 6:
        return "is not a phone number"
    if _zero_placeholder(re.findall(r"\d+", phone)):
        return "is a placeholder (0000)"
    return ""


def _zero_placeholder(groups: list[str]) -> bool:
    """A run of four zeros ("0531 708 0000") or nothing but zeros after the area
    code ("0531 000 000"); a switchboard's "0531 708 000" is a real number."""
    if any(len(group) >= 4 and set(group) == {"0"} for group in groups):
        return True
    return len(groups) > 1 and set("".join(groups[1:])) == {"0"}


def _contact_email_problem(email: str) -> str:
    try:
        validate_email(email)
    except ValidationError:
        return "is not an e-mail address"
    if _RESERVED_DOMAIN.search(email.rsplit("@", 1)[1]):
        return "is an example address (reserved domain)"
    return ""


def _publisher_contact_errors() -> list[Error]:
    """„Ihre Ansprechpartner im Verlag“ is printed in the portal and in every
    e-mail to a buyer: no empty, demo or placeholder name, phone or e-mail."""
    hint = (
        "Set PUBLISHER_CONTACTS to the publisher's real contacts for school authorities: "
        '"Name|Telefon|E-Mail" entries separated by ";".'
    )
    contacts = settings.PUBLISHER_CONTACTS
    if not contacts:
        return [Error("PUBLISHER_CONTACTS is empty.", hint=hint, id="lp.E005")]
    errors = []
    for number, contact in enumerate(contacts, start=1):
        for key in ("name", "phone", "email"):
            value = str(contact.get(key, "")).strip()
            if not value:
                problem = "is empty"
            elif _PLACEHOLDER_WORD.search(value):
                problem = "is a placeholder"
            elif key == "phone":
                problem = _contact_phone_problem(value)
            elif key == "email":
                problem = _contact_email_problem(value)
            else:
                problem = ""
            if problem:
                errors.append(
                    Error(
                        f"PUBLISHER_CONTACTS entry {number}: the {key} {value!r} {problem}.",
                        hint=hint,
                        id="lp.E005",
                    )
                )
    return errors


@register(Tags.security, deploy=True)
def production_values_check(app_configs, **kwargs) -> list[Error]:
    return [
        *_seller_errors(),
        *_portal_url_errors(),
        *_proxy_errors(),
        *_publisher_contact_errors(),
    ]
