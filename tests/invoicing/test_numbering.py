"""Document numbers (R9): per series and calendar year, gapless from 1, never reused,
drawn only inside the issuing transaction."""

import pytest
from django.db import transaction

from invoicing.models import DocumentCounter, NumberSeries
from invoicing.numbering import format_number, number_next

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("series", "year", "sequence", "number"),
    [
        (NumberSeries.INVOICE, 2027, 1, "RE-2027-00001"),
        (NumberSeries.REFUND, 2028, 42, "ER-2028-00042"),
        (NumberSeries.INVOICE, 2027, 99999, "RE-2027-99999"),
        (NumberSeries.INVOICE, 2027, 100000, "RE-2027-100000"),
    ],
)
def test_format(series, year, sequence, number):
    assert format_number(series=series, year=year, sequence=sequence) == number


def draw(series=NumberSeries.INVOICE, year=2027) -> str:
    with transaction.atomic():
        return number_next(series=series, year=year)


def test_numbers_count_up_from_one_per_series_and_year():
    assert [draw() for _ in range(3)] == ["RE-2027-00001", "RE-2027-00002", "RE-2027-00003"]
    assert draw(series=NumberSeries.REFUND) == "ER-2027-00001"
    assert draw(year=2028) == "RE-2028-00001"
    assert draw() == "RE-2027-00004"
    counter = DocumentCounter.objects.get(series=NumberSeries.INVOICE, year=2027)
    assert counter.last_number == 4


def test_a_rolled_back_draw_gives_the_number_back():
    assert draw() == "RE-2027-00001"
    with pytest.raises(RuntimeError), transaction.atomic():
        number_next(series=NumberSeries.INVOICE, year=2027)
        raise RuntimeError("issuing failed")

    assert draw() == "RE-2027-00002"


def test_an_existing_counter_continues():
    DocumentCounter.objects.create(series=NumberSeries.INVOICE, year=2027, last_number=7)

    assert draw() == "RE-2027-00008"


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_no_number_is_drawn():
    with pytest.raises(
        RuntimeError, match=r"^number_next must run inside the issuing transaction$"
    ):
        number_next(series=NumberSeries.INVOICE, year=2027)


def test_a_draw_from_an_existing_counter_takes_one_read_one_lock_and_one_write(
    django_assert_num_queries,
):
    DocumentCounter.objects.create(series=NumberSeries.INVOICE, year=2027, last_number=7)

    with transaction.atomic(), django_assert_num_queries(3):
        assert number_next(series=NumberSeries.INVOICE, year=2027) == "RE-2027-00008"
