"""Gapless document numbers per series and calendar year (R9).

A number is drawn inside the transaction that issues the document: the counter row
is locked with ``select_for_update`` until that transaction commits, so a rollback
gives the number back and two transactions never draw the same one.
"""

from django.db import IntegrityError, transaction

from invoicing.models import DocumentCounter, NumberSeries

PREFIXES = {NumberSeries.INVOICE: "RE", NumberSeries.REFUND: "ER"}


def format_number(*, series: str, year: int, sequence: int) -> str:
    return f"{PREFIXES[series]}-{year}-{sequence:05d}"


def _ensure_counter(*, series: str, year: int) -> None:
    """Create the year's counter row if it is missing; safe under concurrency (the
    loser of a race hits the unique constraint inside a savepoint and carries on)."""
    if DocumentCounter.objects.filter(series=series, year=year).exists():
        return
    try:
        with transaction.atomic():
            DocumentCounter.objects.create(series=series, year=year, last_number=0)
    except IntegrityError:
        pass


def number_next(*, series: str, year: int) -> str:
    """Draw the next number of ``series`` in ``year``. Must run inside the
    transaction that stores the number on its document."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("number_next must run inside the issuing transaction")
    _ensure_counter(series=series, year=year)
    counter = DocumentCounter.objects.select_for_update().get(series=series, year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return format_number(series=series, year=year, sequence=counter.last_number)
