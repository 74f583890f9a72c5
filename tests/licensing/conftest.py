import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from config import clock
from tests.browser import browser, browser_page  # noqa: F401 (fixtures for browser tests)
from tests.factories import PriceFactory, ProductFactory, SchoolFactory, SchoolTypeFactory

# The directory used by the registration list tests:
# own authority: 4 Grundschulen, 2 Gymnasien, 1 closed Grundschule;
# the other authority: 1 Grundschule.
GS_NUMBERS = ["100001", "100002", "100003", "100004"]
GYM_NUMBERS = ["200001", "200002"]
CLOSED_NUMBER = "100009"
FOREIGN_NUMBER = "400001"


@pytest.fixture
def grundschule(db):
    return SchoolTypeFactory(key="02", name="Grundschule")


@pytest.fixture
def gymnasium(db):
    return SchoolTypeFactory(key="20", name="Gymnasium")


@pytest.fixture
def product(db, grundschule, gymnasium):
    product = ProductFactory(code="mathe-digital", name="Mathe digital")
    PriceFactory(
        product=product,
        school_type=grundschule,
        valid_from=datetime.date(2020, 1, 1),
        bulk_price=Decimal("100.00"),
        individual_price=Decimal("150.00"),
    )
    PriceFactory(
        product=product,
        school_type=gymnasium,
        valid_from=datetime.date(2020, 1, 1),
        bulk_price=Decimal("250.00"),
        individual_price=Decimal("400.00"),
    )
    return product


@pytest.fixture
def directory(db, authority, other_authority, grundschule, gymnasium):
    schools = {}
    for i, number in enumerate(GS_NUMBERS, start=1):
        schools[number] = SchoolFactory(
            authority=authority,
            school_type=grundschule,
            school_number=number,
            name=f"Grundschule Am Park {i}",
        )
    for i, number in enumerate(GYM_NUMBERS, start=1):
        schools[number] = SchoolFactory(
            authority=authority,
            school_type=gymnasium,
            school_number=number,
            name=f"Humboldt-Gymnasium {i}",
        )
    schools[CLOSED_NUMBER] = SchoolFactory(
        authority=authority,
        school_type=grundschule,
        school_number=CLOSED_NUMBER,
        name="Geschlossene Grundschule",
        is_active=False,
    )
    schools[FOREIGN_NUMBER] = SchoolFactory(
        authority=other_authority,
        school_type=grundschule,
        school_number=FOREIGN_NUMBER,
        name="Grundschule Anderswo",
    )
    return schools


@pytest.fixture
def upload_list(staff_client, authority, product):
    """POST a list file to the upload page as the authority's user."""

    def post(content: bytes, name: str = "anmeldeliste.xlsx", client=None):
        url = reverse("licensing:order_upload", args=[authority.pk, product.code])
        return (client or staff_client).post(url, {"file": SimpleUploadedFile(name, content)})

    return post


@pytest.fixture
def set_today(monkeypatch):
    """Make ``config.clock.today()`` return a chosen day."""

    def setter(day: datetime.date) -> None:
        monkeypatch.setattr(clock, "today", lambda: day)

    return setter
