"""``manage.py seed_demo``: realistic German demo data on top of the real NRW
directory extract (authorities, users, prices, orders, an issued invoice).

Repeatable: every record is looked up by its natural key, so running it twice
changes nothing and duplicates nothing.
"""

import base64
import datetime
import io
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from openpyxl import load_workbook

from invoicing.issuing import invoice_issue
from invoicing.models import Invoice
from licensing.confirmation import order_confirm
from licensing.models import IndividualLicence, Order, Price, Product
from licensing.registration import registration_template
from licensing.services import order_submit, registration_check, registration_upload_store
from licensing.terms import add_months, licence_year_end
from schools.directory_import import import_nrw_directory
from schools.models import AuthorityMembership, School, SchoolAuthority, SchoolType

DEMO_CSV = Path(__file__).resolve().parents[3] / "schools" / "data" / "nrw-schuldaten-demo.csv"
DEMO_PASSWORD = "Lizenz-Demo-2026"
DEMO_USERS = ["koeln", "bonn", "guetersloh", "vlotho", "verlag"]
# Fixed so that the demo's second factor is the same on every machine.
DEMO_TOTP_KEY = "4c697a656e7a2d44656d6f2d323032362d544f54"

AUTHORITIES = {
    "10182": {
        "name": "Stadt Köln",
        "kind": SchoolAuthority.Kind.CITY,
        "billing_department": "Amt für Schulentwicklung",
        "street": "Willy-Brandt-Platz 3",
        "postal_code": "50679",
        "city": "Köln",
        "email": "schulentwicklung@stadt-koeln.example",
        "leitweg_id": "05315000-4000-30",
    },
    "10170": {
        "name": "Bundesstadt Bonn",
        "kind": SchoolAuthority.Kind.CITY,
        "billing_department": "Schulamt",
        "street": "Berliner Platz 2",
        "postal_code": "53111",
        "city": "Bonn",
        "email": "schulamt@bonn.example",
        "leitweg_id": "05314000-SCHULAMT-41",
    },
    "10686": {
        "name": "Kreis Gütersloh",
        "kind": SchoolAuthority.Kind.COUNTY,
        "billing_department": "Abteilung Schule und Bildung",
        "street": "Herzebrocker Straße 140",
        "postal_code": "33334",
        "city": "Gütersloh",
        "email": "schule@kreis-guetersloh.example",
        "leitweg_id": "05754000-40-47",
    },
    "17980": {
        "name": "Stadt Vlotho",
        "kind": SchoolAuthority.Kind.MUNICIPALITY,
        "billing_department": "Fachbereich Schulen",
        "street": "Lange Straße 60",
        "postal_code": "32602",
        "city": "Vlotho",
        "email": "schulen@vlotho.example",
        "leitweg_id": "",
        "has_no_leitweg_id": True,
    },
}
# The blocked case (R10), set after Vlotho's order was placed (as for an order
# that came in before billing data was asked for): no invoice e-mail address and
# no word on a Leitweg-ID, so the order cannot be confirmed until the authority
# completes its billing data („Rechnungsdaten“).
BLOCKED = {"17980": {"email": "", "has_no_leitweg_id": False}}

PRODUCTS = {
    "bibox": {
        "name": "BiBox – digitale Schulbücher (Schullizenz)",
        "description": "Alle digitalen Schulbücher des Verlags für Lehrkräfte und Klassen.",
        "vat_rate": Decimal("7.00"),
    },
    "diagnose": {
        "name": "Online-Diagnose und Förderplattform",
        "description": "Lernstandsdiagnose mit individuellen Förderempfehlungen.",
        "vat_rate": Decimal("19.00"),
    },
}

# (bulk, individual) yearly net price per school by NRW school form key.
PRICES = {
    "bibox": {
        "02": ("149.00", "249.00"),
        "04": ("199.00", "329.00"),
        "08": ("129.00", "219.00"),
        "10": ("229.00", "379.00"),
        "14": ("229.00", "379.00"),
        "15": ("299.00", "489.00"),
        "20": ("299.00", "489.00"),
        "25": ("179.00", "299.00"),
        "30": ("349.00", "569.00"),
        "83": ("99.00", "169.00"),
    },
    "diagnose": {
        "02": ("89.00", "139.00"),
        "04": ("119.00", "189.00"),
        "08": ("79.00", "129.00"),
        "10": ("119.00", "189.00"),
        "14": ("119.00", "189.00"),
        "15": ("139.00", "219.00"),
        "20": ("139.00", "219.00"),
    },
}
PRICES_FROM = datetime.date(2025, 8, 1)
# Next school year's prices are 4 % higher (so renewals show a price change).
NEXT_PRICES_FROM = datetime.date(2027, 8, 1)
NEXT_PRICE_FACTOR = Decimal("1.04")


class Command(BaseCommand):
    help = _("Legt Demodaten an (wiederholbar, ohne Duplikate).")

    @transaction.atomic
    def handle(self, *args, **options):
        report = import_nrw_directory(data=DEMO_CSV.read_bytes(), deactivate_missing=False)
        self.stdout.write(_("Schulverzeichnis (Auszug NRW): %(s)s") % {"s": report.summary()})

        authorities = {}
        for number, values in AUTHORITIES.items():
            authority = SchoolAuthority.objects.get(customer_number=number)
            for name, value in values.items():
                setattr(authority, name, value)
            authority.full_clean()
            authority.save()
            authorities[number] = authority

        products = {}
        for code, values in PRODUCTS.items():
            products[code], _created = Product.objects.update_or_create(code=code, defaults=values)
        types = {t.key: t for t in SchoolType.objects.filter(state="NW")}
        for code, table in PRICES.items():
            for key, (bulk, individual) in table.items():
                for valid_from, factor in ((PRICES_FROM, 1), (NEXT_PRICES_FROM, NEXT_PRICE_FACTOR)):
                    Price.objects.update_or_create(
                        product=products[code],
                        school_type=types[key],
                        valid_from=valid_from,
                        defaults={
                            "bulk_price": (Decimal(bulk) * factor).quantize(Decimal("1")),
                            "individual_price": (Decimal(individual) * factor).quantize(
                                Decimal("1")
                            ),
                        },
                    )

        self._individual_licences(authorities["10182"], products["bibox"])
        logins = self._users(authorities)
        users = {u.username: u for u in get_user_model().objects.filter(username__in=DEMO_USERS)}
        # Bonn: an order waiting for the publisher; Vlotho: one that cannot be
        # confirmed (billing data incomplete); Kreis Gütersloh: a running licence
        # with its issued invoice.
        self._order(authorities["10170"], products["diagnose"], users["bonn"])
        self._order(authorities["17980"], products["diagnose"], users["vlotho"])
        for number, values in BLOCKED.items():
            SchoolAuthority.objects.filter(customer_number=number).update(**values)
        running = self._order(authorities["10686"], products["bibox"], users["guetersloh"])
        if running.can_confirm:
            order_confirm(order=running, start_date=timezone.localdate(), by=users["verlag"])
            invoice = Invoice.objects.get(order=running, status=Invoice.Status.DRAFT)
            invoice_issue(invoice=invoice, by=users["verlag"])

        self.stdout.write(self.style.SUCCESS(_("Demodaten bereit.")))
        for line in logins:
            self.stdout.write(line)

    def _individual_licences(self, authority: SchoolAuthority, product: Product) -> None:
        """Schools of Köln that bought the product themselves, with 2, exactly 3
        and 8 months left from today (R8: only more than 3 months are refunded, so
        confirming today refunds only the last). Exactly 3 months: the licence no
        longer runs on today + 3 months."""
        today = timezone.localdate()
        schools = list(
            School.objects.filter(
                authority=authority, is_active=True, school_type__key="02"
            ).order_by("school_number")[:3]
        )
        for school, months_left in zip(schools, (2, 3, 8), strict=False):
            end = add_months(today, months_left) - datetime.timedelta(days=1)
            start = end - (licence_year_end(today) - today)
            paid = Decimal("249.00") * (1 + product.vat_rate / 100)
            key = {"school": school, "product": product}
            key["original_invoice_number"] = f"EL-{school.school_number}"
            existing = IndividualLicence.objects.filter(**key).first()
            if existing is not None and existing.is_frozen:
                continue  # superseded by a confirmed order: the basis of its refund
            IndividualLicence.objects.update_or_create(
                **key,
                defaults={
                    "start_date": start,
                    "end_date": end,
                    "paid_amount": paid.quantize(Decimal("0.01")),
                    "vat_rate": product.vat_rate,
                    "original_invoice_date": start,
                },
            )

    def _order(self, authority: SchoolAuthority, product: Product, user) -> Order:
        """The authority's order of ``product``, placed the way the portal does it:
        the template filled in for every school, checked, submitted."""
        existing = Order.objects.filter(authority=authority, product=product).first()
        if existing:
            return existing
        workbook = load_workbook(
            io.BytesIO(registration_template(authority=authority, product=product))
        )
        sheet = workbook.worksheets[0]
        header = next(r[0].row for r in sheet.iter_rows() if r[0].value == "Schulnummer")
        first_names = ["Anna", "Jonas", "Lea", "Lukas", "Mia", "Paul", "Emma", "Ben"]
        last_names = ["Schmidt", "Müller", "Schneider", "Fischer", "Weber", "Meyer", "Wagner"]
        # The template holds only schools of types with a price for the product.
        for index, row in enumerate(range(header + 1, sheet.max_row + 1)):
            number = sheet.cell(row=row, column=1).value
            sheet.cell(row=row, column=5, value=first_names[index % len(first_names)])
            sheet.cell(row=row, column=6, value=last_names[index % len(last_names)])
            sheet.cell(row=row, column=7, value=f"digital.{number}@schule.example")
            sheet.cell(row=row, column=8, value=f"0521 {100000 + index}")
        buffer = io.BytesIO()
        workbook.save(buffer)
        data, filename = buffer.getvalue(), "Anmeldeliste.xlsx"
        result = registration_check(
            data=data, filename=filename, authority=authority, product=product
        )
        upload = registration_upload_store(
            authority=authority,
            product=product,
            data=data,
            filename=filename,
            result=result,
            by=user,
        )
        return order_submit(upload=upload, by=user, terms_accepted=True)

    def _users(self, authorities: dict[str, SchoolAuthority]) -> list[str]:
        User = get_user_model()
        lines = [_("Anmeldungen (Passwort für alle: %(pw)s):") % {"pw": DEMO_PASSWORD}]
        for username, number, first, last in (
            ("koeln", "10182", "Katrin", "Schmitz"),
            ("bonn", "10170", "Jonas", "Becker"),
            ("guetersloh", "10686", "Anna", "Hoffmann"),
            ("vlotho", "17980", "Peter", "Wagner"),
        ):
            user, _created = User.objects.get_or_create(username=username)
            user.first_name, user.last_name = first, last
            user.email = f"{username}@traeger.example"
            user.set_password(DEMO_PASSWORD)
            user.save()
            AuthorityMembership.objects.update_or_create(  # each a Verwalter of its team
                user=user, authority=authorities[number], defaults={"is_manager": True}
            )
            lines.append(
                _("  Schulträger %(authority)s: Benutzer „%(user)s“")
                % {"authority": authorities[number].name, "user": username}
            )
        admin, _created = User.objects.get_or_create(username="verlag")
        admin.is_staff = admin.is_superuser = True
        admin.email = "verlag@example.org"
        admin.first_name, admin.last_name = "Vera", "Verlag"
        admin.set_password(DEMO_PASSWORD)
        admin.save()
        lines.append(_("  Verlag (Verwaltung unter /admin/): Benutzer „verlag“"))
        device = TOTPDevice.objects.filter(user=admin).first()
        if device is None:
            device = TOTPDevice.objects.create(
                user=admin, name="Demo-Authenticator", key=DEMO_TOTP_KEY, confirmed=True
            )
        secret = base64.b32encode(bytes.fromhex(device.key)).decode().rstrip("=")
        lines.append(
            _(
                "  Zweiter Faktor für „verlag“: TOTP-Schlüssel %(secret)s (Authenticator-App) "
                "oder den aktuellen Code mit: .venv/bin/python manage.py demo_totp_code"
            )
            % {"secret": secret}
        )
        return lines
