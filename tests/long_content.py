"""Content that makes portal pages wide: a long authority name with a compound
word, 256 more schools with long names, a confirmed order for all of them with
long contact e-mail addresses, many invoices, a team member and an invitation
with long e-mail addresses. The responsive checks (tests/test_accessibility.py)
run on a world with this content, so a page that only fits on a phone while its
data is short still fails there."""

import datetime

from django.utils import timezone

from licensing.models import OrderSchool
from schools.models import Invitation, School
from tests.factories import MembershipFactory, OrderSchoolFactory, SchoolFactory, UserFactory
from tests.invoicing.factories import InvoiceFactory
from tests.portal_world import World

LONG_AUTHORITY = "Stadt Köln – Amt für Schulentwicklung und Schulverwaltungsangelegenheiten"
LONG_SCHOOL = (
    "Städtische Gemeinschaftshauptschule mit Förderschwerpunkt Lernen Köln-Mülheim-Buchheim"
)
LONG_EMAIL = (
    "gemeinschaftshauptschule.foerderschwerpunkt.lernen.koeln-muelheim-buchheim"
    "@stadt-koeln.schulen.example.org"
)
MORE_SCHOOLS = 256
MORE_INVOICES = 40


def add_long_content(world: World) -> None:
    """Add the wide content to ``world`` (built with ``build_world``)."""
    authority = world.authority
    school_type = world.orders["confirmed"].schools.first().school.school_type
    schools = School.objects.bulk_create(
        SchoolFactory.build(
            authority=authority,
            school_type=school_type,
            name=f"{LONG_SCHOOL} {number}",
            street="Von-Diergardt-Straße 48 (Eingang Hauptgebäude, Nebengebäude Am Bahndamm)",
        )
        for number in range(1, MORE_SCHOOLS + 1)
    )
    confirmed = world.orders["confirmed"]
    OrderSchool.objects.bulk_create(
        OrderSchoolFactory.build(
            order=confirmed,
            school=school,
            contact_first_name="Maria-Theresia",
            contact_last_name="Müller-Lüdenscheidt-Hohenzollern",
            contact_email=f"{number}.{LONG_EMAIL}",
        )
        for number, school in enumerate(schools, start=1)
    )
    for number in range(1, MORE_INVOICES + 1):  # one valid invoice per licence year
        InvoiceFactory(
            authority=authority,
            licence_year__order__authority=authority,
            number=f"RE-2026-{int(authority.customer_number):05d}-{number:03d}",
        )
    MembershipFactory(
        authority=authority,
        user=UserFactory(
            username=f"kollegin-{authority.customer_number}",
            first_name="Maria-Theresia",
            last_name="Müller-Lüdenscheidt-Hohenzollern",
            email=LONG_EMAIL,
        ),
    )
    Invitation.objects.create(
        authority=authority,
        email=f"neu.{LONG_EMAIL}",
        invited_by=world.user,
        expires_at=timezone.now() + datetime.timedelta(days=7),
    )
