"""Factories for invoicing rows that the audit and privacy tests need."""

import datetime
from decimal import Decimal

import factory

from invoicing.models import Invoice, InvoiceLine, Payment, Refund
from tests.factories import IndividualLicenceFactory, LicenceYearFactory


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invoice

    licence_year = factory.SubFactory(LicenceYearFactory)
    order = factory.SelfAttribute("licence_year.order")
    authority = factory.SelfAttribute("order.authority")
    status = Invoice.Status.DRAFT
    number = None
    issue_date = datetime.date(2026, 8, 8)
    due_date = datetime.date(2026, 9, 7)
    service_period_start = factory.SelfAttribute("licence_year.start_date")
    service_period_end = factory.SelfAttribute("licence_year.end_date")
    buyer_name = factory.SelfAttribute("authority.name")
    net_total = Decimal("100.00")
    vat_total = Decimal("7.00")
    gross_total = Decimal("107.00")


def issue(invoice: Invoice, number: str = "RE-2026-00001") -> Invoice:
    """Mark a draft (with its lines) as issued, as invoice_issue would."""
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.ISSUED, number=number)
    return Invoice.objects.get(pk=invoice.pk)


class InvoiceLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InvoiceLine

    invoice = factory.SubFactory(InvoiceFactory)
    position = factory.Sequence(lambda n: n + 1)
    school_number = "300001"
    school_name = "Städt. Gemeinschaftsgrundschule Am Park"
    product_name = "Digitales Lehrwerk"
    period_start = datetime.date(2026, 8, 1)
    period_end = datetime.date(2027, 7, 31)
    net_amount = Decimal("100.00")
    vat_rate = Decimal("7.00")


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    invoice = factory.SubFactory(InvoiceFactory)
    amount = Decimal("107.00")
    paid_on = datetime.date(2026, 8, 20)
    reference = "RE-2026"
    outcome = Payment.Outcome.SETTLED


class RefundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Refund

    individual_licence = factory.SubFactory(IndividualLicenceFactory)
    school = factory.SelfAttribute("individual_licence.school")
    bulk_start_date = datetime.date(2026, 8, 1)
    remaining_days = 152
    term_days = 365
    original_invoice_number = "EL-2026-00001"
    original_invoice_date = datetime.date(2026, 1, 2)
    vat_rate = Decimal("7.00")
    gross_amount = Decimal("66.82")
    net_amount = Decimal("62.45")
    vat_amount = Decimal("4.37")
