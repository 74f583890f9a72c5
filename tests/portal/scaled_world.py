"""An authority of any size with something on every portal page: schools of five
types, a confirmed order of all of them (licence year, terms, activations, refunds
for the schools that had an individual licence), its issued invoice with a line per
school (documents not rendered) and a part payment, a submitted order waiting for
confirmation, an open
upload draft, a team with an open invitation and complete billing data.

Built through the real services where the portal itself writes (template, check,
upload, binding order, confirmation); the bulk rows (schools, individual licences)
with ``bulk_create``. Used by the query-count tests (tests/portal/test_page_queries.py)
and by benchmarks/bench_pages.py, which compare a 10-school with a 256-school
authority."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from config import clock
from invoicing.issuing import invoice_number_if_due
from invoicing.models import Invoice
from invoicing.payments import payment_record
from licensing.confirmation import order_confirm
from licensing.models import IndividualLicence, Order, OrderSchool, Product, RegistrationUpload
from licensing.services import order_submit
from schools.models import Invitation, School, SchoolAuthority, SchoolType
from tests.factories import (
    MembershipFactory,
    PriceFactory,
    ProductFactory,
    SchoolAuthorityFactory,
    UserFactory,
)
from tests.portal_world import PASSWORD, _upload

TYPES = [
    ("02", "Grundschule", "100.00"),
    ("04", "Hauptschule", "150.00"),
    ("10", "Realschule", "180.00"),
    ("15", "Gesamtschule", "220.00"),
    ("20", "Gymnasium", "250.00"),
]


@dataclass
class ScaledWorld:
    authority: SchoolAuthority
    user: object
    product: Product  # confirmed, invoiced order of every school
    waiting_product: Product  # submitted order, not confirmed
    draft_product: Product  # open upload draft
    orders: dict[str, Order] = field(default_factory=dict)
    draft: RegistrationUpload | None = None

    def page_urls(self) -> dict[str, str]:
        """Every portal page of the authority (GET), by a short name."""
        a = self.authority.pk
        confirmed = self.orders["confirmed"].pk
        return {
            "dashboard": f"/traeger/{a}/",
            "school list": f"/traeger/{a}/schulen/",
            "products": f"/traeger/{a}/bestellen/",
            "order page": f"/traeger/{a}/bestellen/{self.draft_product.code}/",
            "preview": f"/traeger/{a}/bestellen/entwurf/{self.draft.pk}/",
            "order submitted": f"/traeger/{a}/bestellen/eingegangen/{self.orders['waiting'].pk}/",
            "order detail": f"/traeger/{a}/bestellungen/{confirmed}/",
            "order detail (waiting)": f"/traeger/{a}/bestellungen/{self.orders['waiting'].pk}/",
            "cancel": f"/traeger/{a}/bestellungen/{confirmed}/kuendigen/",
            "invoices": f"/traeger/{a}/rechnungen/",
            "team": f"/traeger/{a}/team/",
            "billing data": f"/traeger/{a}/rechnungsdaten/",
        }


def _schools(authority, types, count: int) -> list[School]:
    return School.objects.bulk_create(
        School(
            authority=authority,
            school_type=types[n % len(types)],
            state="NW",
            school_number=f"{int(authority.customer_number) % 90 + 10}{n:04d}",
            name=f"Städtische Schule {n} ({authority.name})",
            street=f"Schulstraße {n + 1}",
            postal_code="50667",
            city="Köln",
            email=f"schule{n}@schule.example.org",
        )
        for n in range(count)
    )


def _priced(types, name: str, code: str) -> Product:
    product = ProductFactory(name=name, code=code)
    for school_type, price in types:
        PriceFactory(
            product=product,
            school_type=school_type,
            valid_from=datetime.date(2020, 1, 1),
            bulk_price=Decimal(price),
            individual_price=Decimal(price) * 2,
        )
    return product


def _individual_licences(schools, product, start: datetime.date) -> None:
    """Every 25th school paid for an individual licence running well past ``start``:
    the confirmation refunds them."""
    IndividualLicence.objects.bulk_create(
        IndividualLicence(
            school=school,
            product=product,
            start_date=start - datetime.timedelta(days=60),
            end_date=start + datetime.timedelta(days=300),
            paid_amount=Decimal("160.50"),
            vat_rate=Decimal("7.00"),
            original_invoice_number=f"EL-{school.school_number}",
            original_invoice_date=start - datetime.timedelta(days=60),
        )
        for school in schools[::25]
    )


def _team(authority, username: str):
    user = UserFactory(username=username, password=PASSWORD, first_name="Eva", last_name="Amt")
    MembershipFactory(user=user, authority=authority, is_manager=True)
    for n in range(3):
        MembershipFactory(user=UserFactory(username=f"{username}-{n}"), authority=authority)
    Invitation.objects.create(
        authority=authority,
        email=f"neu@{username}.example.org",
        invited_by=user,
        expires_at=timezone.now() + datetime.timedelta(days=7),
    )
    return user


def _invoice(year) -> None:
    """Number the year's draft invoice (a line per school; its documents are not
    rendered) and record a part payment."""
    draft = Invoice.objects.get(licence_year=year, status=Invoice.Status.DRAFT)
    assert invoice_number_if_due(invoice_id=draft.pk, on=draft.issue_due_on)
    invoice = Invoice.objects.get(pk=draft.pk)
    payment_record(invoice=invoice, amount=Decimal("100.00"), paid_on=invoice.issue_date)


def build_scaled_world(*, schools: int, name: str, username: str) -> ScaledWorld:
    authority = SchoolAuthorityFactory(name=name, billing_department="Schulverwaltungsamt")
    user = _team(authority, username)
    types = [
        (SchoolType.objects.get_or_create(state="NW", key=key, defaults={"name": label})[0], price)
        for key, label, price in TYPES
    ]
    rows = _schools(authority, [school_type for school_type, _price in types], schools)
    suffix = authority.customer_number
    product = _priced(types, "Mathe digital", f"mathe-{suffix}")
    waiting = _priced(types, "Englisch digital", f"englisch-{suffix}")
    draft = _priced(types, "Deutsch digital", f"deutsch-{suffix}")
    today = clock.today()
    start = today
    _individual_licences(rows, product, start)

    world = ScaledWorld(authority, user, product, waiting, draft)
    confirmed = order_submit(upload=_upload(authority, product, user), by=user)
    year = order_confirm(order=confirmed, start_date=start)
    OrderSchool.objects.filter(order=confirmed).update(activated_at=timezone.now())
    _invoice(year)
    world.orders["confirmed"] = Order.objects.get(pk=confirmed.pk)
    world.orders["waiting"] = order_submit(upload=_upload(authority, waiting, user), by=user)
    world.draft = _upload(authority, draft, user)
    return world
