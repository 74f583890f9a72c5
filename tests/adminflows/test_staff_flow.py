"""The staff's job step by step in the admin: what they see and read."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail
from django.urls import reverse

from config import clock
from invoicing import drafts, issuing
from invoicing.models import Invoice, Payment, Refund
from licensing import confirmation
from licensing.models import Order
from portal.nightly import run_nightly
from tests.adminflows.conftest import individual
from tests.factories import PriceFactory
from tests.licensing.factories import priced_product, submitted_order

pytestmark = pytest.mark.django_db
D = datetime.date
ORDERS = reverse("admin:licensing_order_changelist")
INVOICES = reverse("admin:invoicing_invoice_changelist")
REFUNDS = reverse("admin:invoicing_refund_changelist")


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def confirm(client, order, start: str):
    return client.post(
        ORDERS,
        {
            "action": "confirm_orders",
            ACTION_CHECKBOX_NAME: [order.pk],
            "apply": "1",
            "start_date": start,
        },
        follow=True,
    )


@pytest.fixture
def today(set_today, monkeypatch):
    from django.utils import timezone

    day = D(2026, 7, 1)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: day)
    set_today(day)
    return day


def test_order_list_filters_by_cancellation_and_authority_and_counts_schools(
    world, publisher_client, other_authority
):
    foreign = submitted_order(authority=other_authority, schools=4)

    cancelled = publisher_client.get(ORDERS + "?gekuendigt=ja")
    by_authority = publisher_client.get(ORDERS + f"?authority__id__exact={other_authority.pk}")

    assert {o.pk for o in cancelled.context["cl"].result_list} == {
        world["running"].pk,
        world["ended"].pk,
    }
    assert [o.pk for o in by_authority.context["cl"].result_list] == [foreign.pk]
    assert by_authority.context["cl"].result_list[0]._school_count == 4
    assert '<td class="field-school_count">4</td>' in by_authority.content.decode()


def test_order_page_links_its_invoices_refunds_and_mails(world, publisher_client):
    running = world["running"]
    page = publisher_client.get(reverse("admin:licensing_order_change", args=[running.pk]))
    html = page.content.decode()

    for invoice in (world["first"], world["cancellation"], world["second"]):
        assert invoice.number in html
    assert "Rechnung " + world["first"].number + "</a> – storniert" in html
    assert "Stornorechnung " + world["cancellation"].number in html
    for refund in Refund.objects.filter(individual_licence__superseded_by__order=running):
        assert refund.number in html
    assert f"?order__id__exact={running.pk}" in html


def test_confirmation_creates_the_draft_at_the_price_of_the_start_day_and_refunds_per_r8(
    publisher_client, today, django_capture_on_commit_callbacks
):
    product, school_type = priced_product(price="100.00")
    PriceFactory(
        product=product,
        school_type=school_type,
        valid_from=D(2026, 9, 1),
        bulk_price=Decimal("120"),
    )
    order = submitted_order(product=product, school_type=school_type, schools=3)
    schools = [e.school for e in order.schools.order_by("school__school_number")]
    refunded = individual(schools[0], product, end=D(2026, 12, 31), paid="365.00")
    exactly_three_months = individual(schools[1], product, end=D(2026, 12, 30))
    ends_before_start = individual(schools[2], product, end=D(2026, 9, 29))

    with django_capture_on_commit_callbacks(execute=True):
        response = confirm(publisher_client, order, "01.10.2026")

    assert messages_of(response) == [
        f"Bestellung {order.pk} bestätigt: Nutzungsjahr 01.10.2026 bis 30.09.2027; die "
        "Schulen erhalten die Freischaltungs-E-Mail."
    ]
    draft = Invoice.objects.get(order=order)
    assert (draft.status, draft.issue_due_on) == (Invoice.Status.DRAFT, D(2026, 10, 8))
    assert [line.net_amount for line in draft.lines.all()] == [Decimal("120.00")] * 3
    assert draft.net_total == Decimal("360.00")
    # 1 Oct + 3 months = 1 Jan: a licence ending 31 Dec gets nothing (exactly 3
    # months); nor does one that ends 30 Dec or before the bulk start.
    assert Refund.objects.count() == 0
    for licence in (refunded, exactly_three_months):
        licence.refresh_from_db()
        assert licence.status == "superseded"
    ends_before_start.refresh_from_db()
    assert ends_before_start.status == "active"


def test_confirmation_on_30_september_refunds_the_licence_ending_31_december(
    publisher_client, today, django_capture_on_commit_callbacks
):
    product, school_type = priced_product()
    order = submitted_order(product=product, school_type=school_type, schools=1)
    licence = individual(order.schools.get().school, product, end=D(2026, 12, 31), paid="365.00")

    with django_capture_on_commit_callbacks(execute=True):
        confirm(publisher_client, order, "30.09.2026")

    refund = Refund.objects.get(individual_licence=licence)
    assert refund.status == Refund.Status.ISSUED
    assert refund.number == "ER-2026-00001"
    assert (refund.remaining_days, refund.term_days, refund.gross_amount) == (
        93,
        365,
        Decimal("93.00"),
    )
    assert refund.pdf and refund.xml and refund.pdf_sha256 and refund.xml_sha256
    listing = publisher_client.get(REFUNDS).content.decode()
    assert "ER-2026-00001" in listing
    assert "93,00" in listing

    paid_out = publisher_client.post(
        REFUNDS,
        {
            "action": "mark_paid_out",
            ACTION_CHECKBOX_NAME: [refund.pk],
            "apply": "1",
            "paid_out_on": "15.10.2026",
        },
        follow=True,
    )
    assert messages_of(paid_out) == [
        "Erstattung ER-2026-00001 über 93,00 € als ausgezahlt am 15.10.2026 erfasst."
    ]
    refund.refresh_from_db()
    assert (refund.status, refund.paid_out_at) == (Refund.Status.PAID_OUT, D(2026, 10, 15))


def test_renewal_draft_has_the_price_valid_on_the_first_day_of_the_new_year(
    today, django_capture_on_commit_callbacks
):
    product, school_type = priced_product(price="100.00")
    PriceFactory(
        product=product,
        school_type=school_type,
        valid_from=D(2027, 7, 1),
        bulk_price=Decimal("104"),
    )
    order = submitted_order(product=product, school_type=school_type, schools=2)
    with django_capture_on_commit_callbacks(execute=True):
        confirmation.order_confirm(order=order, start_date=today)
        run_nightly(on=D(2027, 7, 1))

    renewal = Invoice.objects.get(order=order, licence_year__number=2)
    assert renewal.status == Invoice.Status.DRAFT
    assert (renewal.service_period_start, renewal.service_period_end) == (
        D(2027, 7, 1),
        D(2028, 6, 30),
    )
    assert [line.net_amount for line in renewal.lines.all()] == [Decimal("104.00")] * 2


def test_issue_now_reports_what_it_did_and_payments_in_german_amounts(
    world, publisher_client, django_capture_on_commit_callbacks
):
    renewal_draft = Invoice.objects.get(order=world["renewing"], licence_year__number=2)
    assert renewal_draft.status == Invoice.Status.ISSUED  # issued by the nightly run
    draft = drafts.invoice_create_draft(
        licence_year=world["ended"].years.get()
    )  # the ended order's first-year invoice already exists
    assert draft.status != Invoice.Status.DRAFT

    order = submitted_order(authority=world["running"].authority, product=world["product"])
    confirmation.order_confirm(order=order, start_date=D(2026, 7, 1))
    new = Invoice.objects.get(order=order)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        issued = publisher_client.post(
            INVOICES, {"action": "issue_now", ACTION_CHECKBOX_NAME: [new.pk]}, follow=True
        )
    assert messages_of(issued) == ["1 Rechnung(en) gestellt."]
    new.refresh_from_db()
    assert [a[0] for a in mail.outbox[0].attachments] == [
        f"{new.number}.pdf",
        f"{new.number}.xml",
    ]

    def pay(amount: str):
        return publisher_client.post(
            INVOICES,
            {
                "action": "record_payment",
                ACTION_CHECKBOX_NAME: [new.pk],
                "apply": "1",
                "amount": amount,
                "paid_on": "20.07.2026",
            },
            follow=True,
        )

    assert new.gross_total > Decimal("1.00")
    assert messages_of(pay("1,00")) == [
        f"Zahlung über 1,00 € zu {new.number} erfasst: Teilzahlung – begleicht nichts."
    ]
    new.refresh_from_db()
    assert new.status == Invoice.Status.ISSUED
    excess = str(new.gross_total + 1).replace(".", ",")
    assert "Überzahlung – begleicht nichts" in messages_of(pay(excess))[0]
    exact = str(new.gross_total).replace(".", ",")
    assert "begleicht die Rechnung" in messages_of(pay(exact))[0]
    new.refresh_from_db()
    assert new.status == Invoice.Status.PAID
    assert list(new.payments.order_by("recorded_at").values_list("outcome", "needs_attention")) == [
        (Payment.Outcome.PARTIAL, True),
        (Payment.Outcome.EXCESS, True),
        (Payment.Outcome.SETTLED, False),
    ]

    again = publisher_client.post(
        INVOICES, {"action": "issue_now", ACTION_CHECKBOX_NAME: [new.pk]}, follow=True
    )
    assert messages_of(again) == ["1 ausgewählte Rechnung(en) waren schon gestellt."]


def test_resend_sends_issued_documents_and_says_drafts_are_not_sent(
    world, publisher_client, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = publisher_client.post(
            INVOICES,
            {
                "action": "resend",
                ACTION_CHECKBOX_NAME: [world["second"].pk, world["empty_draft"].pk],
            },
            follow=True,
        )
    assert messages_of(response) == [
        "1 Beleg(e) werden erneut gesendet.",
        "1 Entwurf/Entwürfe nicht gesendet: Entwürfe werden erst gestellt.",
    ]
    assert [m.subject.split(" –")[0] for m in mail.outbox] == [f"Rechnung {world['second'].number}"]


def test_invoice_list_shows_unsent_invoices(world, publisher_client):
    Invoice.objects.filter(pk=world["second"].pk).update(sent_at=None)
    unsent = publisher_client.get(INVOICES + "?sent=no")
    assert [i.pk for i in unsent.context["cl"].result_list] == [world["second"].pk]
    overdue = publisher_client.get(INVOICES + "?overdue=yes")
    assert overdue.context["cl"].result_list
    assert all(i.overdue_since for i in overdue.context["cl"].result_list)


def test_nightly_page_shows_the_draft_that_could_not_be_issued(world, publisher_client):
    run = world["runs"][0]
    assert run.failures == 1
    page = publisher_client.get(reverse("admin:portal_nightlyrun_change", args=[run.pk]))
    assert (
        f"invoices_issued: Rechnungsentwurf {world['empty_draft'].pk} – ValidationError: Die "
        "Rechnung hat keine Positionen: Das Nutzungsjahr enthält keine Lizenz."
    ) in page.content.decode()


def test_one_broken_draft_does_not_stop_the_other_drafts(today, monkeypatch):
    product, school_type = priced_product()
    orders = [submitted_order(product=product, school_type=school_type) for _i in range(2)]
    for order in orders:
        confirmation.order_confirm(order=order, start_date=today)
    broken_id = Invoice.objects.get(order=orders[0]).pk
    original = issuing._issue_locked

    def issue_locked(invoice, *, on):
        if invoice.pk == broken_id:
            raise RuntimeError("Zeichensatz fehlt")
        return original(invoice, on=on)

    monkeypatch.setattr(issuing, "_issue_locked", issue_locked)

    run = run_nightly(on=D(2026, 7, 8))

    assert (run.invoices_issued, run.failures) == (1, 1)
    assert run.log["failures"] == [
        {
            "step": "invoices_issued",
            "item": f"Rechnungsentwurf {broken_id}",
            "error": "RuntimeError: Zeichensatz fehlt",
        }
    ]
    assert Invoice.objects.get(order=orders[1]).status == Invoice.Status.ISSUED


def test_buyer_cancellation_in_the_portal_shows_in_the_admin(
    staff_client, publisher_client, authority, today, django_capture_on_commit_callbacks
):
    product, school_type = priced_product()
    order = submitted_order(authority=authority, product=product, school_type=school_type)
    confirmation.order_confirm(order=order, start_date=today)

    staff_client.post(reverse("orders:cancel", args=[authority.pk, order.pk]))

    listing = publisher_client.get(ORDERS + "?gekuendigt=ja").content.decode()
    assert "bestätigt, gekündigt zum 30.06.2027" in listing
    page = publisher_client.get(reverse("admin:licensing_order_change", args=[order.pk]))
    assert "sachbearbeitung" in page.content.decode()  # gekündigt von


def test_audit_trail_names_the_staff_member(world, publisher_client):
    from auditlog.models import LogEntry

    order = world["submitted"]
    publisher_client.post(
        ORDERS,
        {
            "action": "reject_orders",
            ACTION_CHECKBOX_NAME: [order.pk],
            "apply": "1",
            "reason": "Unvollständig.",
        },
    )
    entry = LogEntry.objects.get_for_object(order).latest("timestamp")
    assert entry.actor.username == "verlag"
    assert entry.changes_dict["status"] == ["submitted", "rejected"]
    assert Order.objects.get(pk=order.pk).status == Order.Status.REJECTED


def test_amounts_read_as_german_staff_write_them():
    from invoicing.admin import euro

    assert euro(Decimal("53643.38")) == "53.643,38 €"
    assert euro(Decimal("-0.50")) == "-0,50 €"


def test_demo_data_refunds_only_the_licence_with_more_than_three_months(
    db, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    from licensing.models import IndividualLicence
    from schools.models import SchoolAuthority

    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    koeln = SchoolAuthority.objects.get(customer_number="10182")
    individuals = list(IndividualLicence.objects.filter(school__authority=koeln))
    order = submitted_order(
        authority=koeln,
        product=individuals[0].product,
        school_type=individuals[0].school.school_type,
    )
    for entry in individuals:
        order.schools.create(
            school=entry.school,
            contact_first_name="Eva",
            contact_last_name="Muster",
            contact_email="eva@schule.example",
        )
        order.licences.create(school=entry.school, product=order.product)
    today = clock.today()

    # (seed_demo resets the password of "verlag": its session ends; confirm directly.)
    with django_capture_on_commit_callbacks(execute=True):
        confirmation.order_confirm(order=order, start_date=today)

    assert (
        IndividualLicence.objects.filter(school__authority=koeln, status="superseded").count() == 3
    )
    refunded = Refund.objects.get()
    assert refunded.individual_licence.end_date == max(i.end_date for i in individuals)
