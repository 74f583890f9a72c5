"""One authority's portal world with an object behind every portal URL: orders in
each state, an issued invoice with its stored documents, an open upload draft and
the order that came from a submitted upload. Used by the URL walk (authorization)
and by the accessibility tests; built through the real services where the portal
itself writes (template, check, upload, binding order)."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from io import BytesIO

from django.core.files.base import ContentFile
from openpyxl import load_workbook

from config import clock
from config.storage import private_storage
from invoicing.models import Invoice
from licensing.models import Licence, Order, Product, RegistrationUpload
from licensing.registration import registration_template
from licensing.services import order_submit, registration_check, registration_upload_store
from licensing.terms import licence_year_end
from schools.models import SchoolAuthority
from tests.factories import (
    LicenceYearFactory,
    MembershipFactory,
    OrderFactory,
    OrderSchoolFactory,
    PriceFactory,
    ProductFactory,
    SchoolAuthorityFactory,
    SchoolFactory,
    SchoolTypeFactory,
    UserFactory,
)
from tests.invoicing.factories import InvoiceFactory, add_lines

PASSWORD = "geheim-123"


@dataclass
class World:
    authority: SchoolAuthority
    user: object
    product: Product  # ordered with the registration list (submitted order)
    draft_product: Product  # has the open upload draft
    orders: dict[str, Order] = field(default_factory=dict)
    invoice: Invoice | None = None
    draft: RegistrationUpload | None = None
    colleague_membership: object = None  # a second member of the team


def filled_list(template: bytes, *, contacts=None) -> bytes:
    """The template with a contact person in every school row."""
    workbook = load_workbook(BytesIO(template))
    sheet = workbook["Anmeldeliste"]
    for row in range(5, sheet.max_row + 1):
        number = sheet.cell(row=row, column=1).value
        if not number:
            continue
        first, last = (contacts or {}).get(number, ("Maria", f"Lehrerin {number}"))
        sheet.cell(row=row, column=5, value=first)
        sheet.cell(row=row, column=6, value=last)
        sheet.cell(row=row, column=7, value=f"m{number}@schule.example.org")
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def _priced_product(name: str, code: str, types) -> Product:
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


def _upload(authority, product, user) -> RegistrationUpload:
    data = filled_list(registration_template(authority=authority, product=product))
    result = registration_check(
        data=data, filename="Anmeldeliste Schulamt.xlsx", authority=authority, product=product
    )
    assert result.is_valid, result.messages
    return registration_upload_store(
        authority=authority,
        product=product,
        data=data,
        filename="Anmeldeliste Schulamt.xlsx",
        result=result,
        by=user,
    )


def build_world(*, name: str = "Stadt Musterstadt", username: str = "schulamt") -> World:
    authority = SchoolAuthorityFactory(name=name)
    user = UserFactory(username=username, password=PASSWORD)
    MembershipFactory(user=user, authority=authority, is_manager=True)  # a Verwalter
    colleague = MembershipFactory(
        user=UserFactory(username=f"{username}-kollege", password=PASSWORD), authority=authority
    )
    grundschule, _ = SchoolTypeFactory._meta.model.objects.get_or_create(
        state="NW", key="02", defaults={"name": "Grundschule"}
    )
    gymnasium, _ = SchoolTypeFactory._meta.model.objects.get_or_create(
        state="NW", key="20", defaults={"name": "Gymnasium"}
    )
    for i in range(1, 5):
        SchoolFactory(authority=authority, school_type=grundschule, name=f"Grundschule Am Park {i}")
    for i in range(1, 3):
        SchoolFactory(authority=authority, school_type=gymnasium, name=f"Humboldt-Gymnasium {i}")
    types = [(grundschule, "100.00"), (gymnasium, "250.00")]
    suffix = authority.customer_number
    product = _priced_product("Mathe digital", f"mathe-digital-{suffix}", types)
    draft_product = _priced_product("Deutsch digital", f"deutsch-digital-{suffix}", types)
    world = World(
        authority=authority,
        user=user,
        product=product,
        draft_product=draft_product,
        colleague_membership=colleague,
    )

    # The binding order from a submitted upload, and an open draft of another product.
    world.orders["submitted"] = order_submit(upload=_upload(authority, product, user), by=user)
    world.draft = _upload(authority, draft_product, user)

    today = clock.today()
    start = today - datetime.timedelta(days=30)
    other = ProductFactory(name="Englisch digital", code=f"englisch-digital-{suffix}")
    school = SchoolFactory(authority=authority, school_type=grundschule, name="Grundschule Am See")

    def order(status, **fields):
        made = OrderFactory(authority=authority, product=other, status=status, **fields)
        OrderSchoolFactory(order=made, school=school)
        return made

    confirmed = order(Order.Status.CONFIRMED, start_date=start)
    year = LicenceYearFactory(order=confirmed, start_date=start)
    Licence.objects.create(
        order=confirmed, school=school, product=other, status=Licence.Status.ACTIVE
    )
    world.orders["confirmed"] = confirmed
    cancelled = order(
        Order.Status.CONFIRMED,
        start_date=start,
        cancelled_at=datetime.datetime.now(datetime.UTC),
        cancellation_effective_on=licence_year_end(start),
    )
    LicenceYearFactory(order=cancelled, start_date=start)
    world.orders["cancelled"] = cancelled
    world.orders["rejected"] = order(
        Order.Status.REJECTED,
        rejected_at=datetime.datetime.now(datetime.UTC),
        rejection_reason="Doppelte Bestellung",
    )
    ended_start = start - datetime.timedelta(days=800)
    ended = order(
        Order.Status.ENDED, start_date=ended_start, ended_on=licence_year_end(ended_start)
    )
    LicenceYearFactory(order=ended, start_date=ended_start)
    world.orders["ended"] = ended

    invoice = InvoiceFactory(
        authority=authority,
        licence_year=year,
        number=f"RE-2026-{int(suffix):05d}",
        issue_date=start,
        due_date=start + datetime.timedelta(days=30),
    )
    invoice = add_lines(invoice, [("100.00", "7.00")], product=other.name)
    storage = private_storage()
    pdf = storage.save(f"rechnungen/{invoice.pk}.pdf", ContentFile(b"%PDF-1.7 test\n%%EOF\n"))
    xml = storage.save(f"rechnungen/{invoice.pk}.xml", ContentFile(b"<?xml version='1.0'?><x/>"))
    Invoice.objects.filter(pk=invoice.pk).update(pdf=pdf, xml=xml)
    world.invoice = Invoice.objects.get(pk=invoice.pk)
    return world
