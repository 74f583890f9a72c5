"""System checks for production (``manage.py check --deploy``, error level).

They refuse settings that would put demo or missing values on legal documents (the
seller, the bank, the register entry) or into e-mails (the portal's address), and
a production without TRUSTED_PROXY_COUNT, where every client would share the
proxy's address for the login lock-out.
"""

from django.conf import settings
from django.core.checks import Error, Tags, register

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


@register(Tags.security, deploy=True)
def production_values_check(app_configs, **kwargs) -> list[Error]:
    return [*_seller_errors(), *_portal_url_errors(), *_proxy_errors()]
