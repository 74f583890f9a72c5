"""Validators for identifiers of the school directory and of public buyers."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

LEITWEG_ID_PATTERN = re.compile(r"^[019][0-9]{1,11}-[0-9A-Z]{1,30}-[0-9]{2}$")


def leitweg_id_check_digits(body: str) -> str:
    """Check digits of a Leitweg-ID (ISO 7064 MOD 97-10, as in the KoSIT spec).

    ``body`` is everything before the last hyphen, hyphens removed. Letters count
    as numbers 10..35 (A=10), like an IBAN.
    """
    digits = "".join(str(int(ch, 36)) for ch in body.upper()) + "00"
    return f"{98 - int(digits) % 97:02d}"


def validate_leitweg_id(value: str) -> None:
    """Raise a German ValidationError unless ``value`` is a well-formed Leitweg-ID."""
    if not LEITWEG_ID_PATTERN.match(value):
        raise ValidationError(
            _(
                "Die Leitweg-ID „%(value)s“ hat nicht die Form Grobadressierung-"
                "Feinadressierung-Prüfziffer, z. B. 05315000-12345-06."
            ),
            params={"value": value},
            code="leitweg_format",
        )
    body, check = value.rsplit("-", 1)
    expected = leitweg_id_check_digits(body.replace("-", ""))
    if check != expected:
        raise ValidationError(
            _("Die Prüfziffer der Leitweg-ID „%(value)s“ stimmt nicht (erwartet: %(expected)s)."),
            params={"value": value, "expected": expected},
            code="leitweg_check",
        )
