"""Money rounding: every amount is a ``Decimal`` in euro, rounded half up to the
cent where the rules say (R8, R9), and written as text with two places."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def money(amount: Decimal) -> Decimal:
    """Round half up to the cent."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def money_text(amount: Decimal) -> str:
    """The amount with two places as text (``"12.50"``), for JSON and forms."""
    return f"{amount:.2f}"


def euro_text(amount: Decimal) -> str:
    """The amount as German readers write it: ``5.000,00 €`` (no-break space)."""
    from django.utils.formats import number_format

    text = number_format(money(amount), decimal_pos=2, use_l10n=True, force_grouping=True)
    return f"{text}\u00a0€"
