import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from config.totals import compute_totals
from invoicing.drafts import invoice_create_draft
from invoicing.issuing import invoice_issue
from invoicing.models import Invoice, Payment, Refund
from invoicing.payments import payment_record, payment_resolve
from invoicing.refunds import refund_create_for_superseded, refund_mark_paid_out, refund_split
from licensing.terms import money
from tests.factories import IndividualLicenceFactory

PAID_ON = datetime.date(2026, 8, 20)


@pytest.fixture
def issued(licence_year):
    return invoice_issue(
        invoice=invoice_create_draft(licence_year=licence_year), on=datetime.date(2026, 8, 10)
    )


@pytest.mark.django_db
def test_exact_payment_settles(issued, publisher_user):
    payment = payment_record(
        invoice=issued,
        amount=D("249.68"),
        paid_on=PAID_ON,
        reference="RE-2026-00001",
        by=publisher_user,
    )

    issued.refresh_from_db()
    assert issued.gross_total == D("249.68")  # 233.35 net at 7 % -> 16.33 VAT
    assert payment.outcome == Payment.Outcome.SETTLED
    assert not payment.needs_attention
    assert (issued.status, issued.paid_at) == (Invoice.Status.PAID, PAID_ON)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("amount", "outcome"),
    [(D("249.67"), Payment.Outcome.PARTIAL), (D("249.69"), Payment.Outcome.EXCESS)],
)
def test_partial_and_excess_payments_are_recorded_flagged_and_settle_nothing(
    issued, amount, outcome
):
    payment = payment_record(invoice=issued, amount=amount, paid_on=PAID_ON, reference="x")

    issued.refresh_from_db()
    assert payment.outcome == outcome
    assert payment.needs_attention
    assert issued.status == Invoice.Status.ISSUED
    assert issued.paid_at is None


@pytest.mark.django_db
def test_two_partial_payments_adding_up_settle_nothing_and_a_second_full_one_is_a_duplicate(issued):
    payment_record(invoice=issued, amount=D("200.00"), paid_on=PAID_ON)
    payment_record(invoice=issued, amount=D("49.68"), paid_on=PAID_ON)
    issued.refresh_from_db()
    assert issued.status == Invoice.Status.ISSUED

    payment_record(invoice=issued, amount=D("249.68"), paid_on=PAID_ON)
    duplicate = payment_record(invoice=issued, amount=D("249.68"), paid_on=PAID_ON)

    assert duplicate.outcome == Payment.Outcome.DUPLICATE
    assert duplicate.needs_attention
    assert issued.payments.filter(needs_attention=True).count() == 3


@pytest.mark.django_db
def test_staff_resolve_a_flagged_payment_with_a_note_in_the_admin(issued, publisher_client):
    excess = payment_record(invoice=issued, amount=D("259.68"), paid_on=PAID_ON)
    url = reverse("admin:invoicing_payment_changelist")

    form = publisher_client.post(url, {"action": "resolve", "_selected_action": [excess.pk]})
    assert "Wie wurde die Zahlung geklärt?" in form.content.decode()
    done = publisher_client.post(
        url,
        {
            "action": "resolve",
            "_selected_action": [excess.pk],
            "apply": "1",
            "note": "Überzahlung von 10,00 € zurücküberwiesen",
        },
        follow=True,
    )

    excess.refresh_from_db()
    assert "als geklärt markiert" in done.content.decode()
    assert not excess.needs_attention and excess.resolved_at
    assert excess.resolution_note == "Überzahlung von 10,00 € zurücküberwiesen"
    issued.refresh_from_db()
    assert issued.status == Invoice.Status.ISSUED  # a flagged payment still settles nothing


@pytest.mark.django_db
def test_resolving_needs_a_note_and_a_flagged_payment(issued):
    exact = payment_record(invoice=issued, amount=D("249.68"), paid_on=PAID_ON)
    with pytest.raises(ValidationError, match="ist nicht zu klären"):
        payment_resolve(payment=exact, note="erledigt")
    partial = payment_record(invoice=issued, amount=D("1.00"), paid_on=PAID_ON)
    with pytest.raises(ValidationError, match="Bitte beschreiben Sie"):
        payment_resolve(payment=partial, note="  ")


@pytest.mark.django_db
def test_payment_for_a_draft_is_refused(licence_year):
    draft = invoice_create_draft(licence_year=licence_year)

    with pytest.raises(ValidationError) as error:
        payment_record(invoice=draft, amount=D("1.00"), paid_on=PAID_ON)

    assert error.value.messages == ["Für einen Entwurf kann keine Zahlung erfasst werden."]
    assert Payment.objects.count() == 0


def test_totals_with_mixed_rates_round_vat_per_rate_half_up():
    class Line:
        def __init__(self, net, rate):
            self.net_amount, self.vat_rate = D(net), D(rate)

    # 7 %: 0.07 + 0.07 = 0.14 -> VAT 0.0098 -> 0.01; 19 %: 0.05 -> 0.0095 -> 0.01 (half up)
    totals = compute_totals([Line("0.07", "7"), Line("0.07", "7"), Line("0.05", "19")])

    assert [(g.rate, g.net, g.vat) for g in totals.groups] == [
        (D("7.00"), D("0.14"), D("0.01")),
        (D("19.00"), D("0.05"), D("0.01")),
    ]
    assert totals.gross == D("0.21")


# --- Refunds (R8) -----------------------------------------------------------------

TERM = {"start_date": datetime.date(2026, 1, 1), "end_date": datetime.date(2026, 12, 31)}


@pytest.mark.django_db
def test_no_refund_at_exactly_three_months():
    licence = IndividualLicenceFactory(**TERM, paid_amount=D("160.50"))

    assert (
        refund_create_for_superseded(
            individual_licence=licence, bulk_start=datetime.date(2026, 10, 1)
        )
        is None
    )
    assert Refund.objects.count() == 0


@pytest.mark.django_db
def test_refund_at_three_months_and_a_day_is_issued_right_away(django_capture_on_commit_callbacks):
    licence = IndividualLicenceFactory(
        **TERM,
        paid_amount=D("160.50"),
        vat_rate=D("7.00"),
        original_invoice_number="EL-2026-00042",
        original_invoice_date=datetime.date(2026, 1, 2),
    )

    with django_capture_on_commit_callbacks(execute=True):
        refund = refund_create_for_superseded(
            individual_licence=licence,
            bulk_start=datetime.date(2026, 9, 30),
            on=datetime.date(2026, 10, 2),
        )
    refund.refresh_from_db()

    # 93 remaining days (30 Sep..31 Dec) of 365: 160.50 x 93 / 365 = 40.894... -> 40.89
    assert (refund.remaining_days, refund.term_days) == (93, 365)
    assert refund.gross_amount == D("40.89")
    assert (refund.net_amount, refund.vat_amount) == (D("38.21"), D("2.68"))
    assert refund.number == "ER-2026-00001"
    assert refund.status == Refund.Status.ISSUED
    assert refund.recipient_name == licence.school.name
    assert refund.original_invoice_number == "EL-2026-00042"
    assert refund.pdf_sha256 and refund.xml_sha256
    # Idempotent
    again = refund_create_for_superseded(
        individual_licence=licence, bulk_start=datetime.date(2026, 9, 30)
    )
    assert again.pk == refund.pk


@pytest.mark.django_db
def test_refund_of_a_leap_year_term_counts_366_days():
    licence = IndividualLicenceFactory(
        start_date=datetime.date(2028, 1, 1),
        end_date=datetime.date(2028, 12, 31),
        paid_amount=D("107.00"),
        vat_rate=D("7.00"),
    )

    refund = refund_create_for_superseded(
        individual_licence=licence,
        bulk_start=datetime.date(2028, 2, 29),
        on=datetime.date(2028, 3, 1),
    )

    # 29 Feb..31 Dec 2028 = 307 days of 366: 107 x 307 / 366 = 89.751... -> 89.75
    assert (refund.remaining_days, refund.term_days) == (307, 366)
    assert refund.gross_amount == D("89.75")
    assert refund.number == "ER-2028-00001"


@pytest.mark.parametrize("gross", [D("40.89"), D("10.00"), D("0.05"), D("1234.56")])
@pytest.mark.parametrize("rate", [D("7.00"), D("19.00")])
def test_refund_split_adds_up_and_vat_is_within_a_cent_of_br_co_17(gross, rate):
    net, vat = refund_split(gross=gross, rate=rate)

    assert net + vat == gross
    assert abs(money(net * rate / 100) - vat) <= D("0.01")


@pytest.mark.django_db
def test_refund_paid_out_once(publisher_user):
    licence = IndividualLicenceFactory(**TERM)
    refund = refund_create_for_superseded(
        individual_licence=licence, bulk_start=datetime.date(2026, 8, 1)
    )

    refund_mark_paid_out(refund=refund, paid_out_on=datetime.date(2026, 9, 1), by=publisher_user)
    refund.refresh_from_db()
    assert (refund.status, refund.paid_out_by) == (Refund.Status.PAID_OUT, publisher_user)
    with pytest.raises(ValidationError):
        refund_mark_paid_out(refund=refund, paid_out_on=datetime.date(2026, 9, 2))


@pytest.mark.django_db
def test_a_failing_renderer_does_not_block_the_refund_and_the_nightly_run_repairs_it(
    fake_renderers, monkeypatch, django_capture_on_commit_callbacks
):
    from invoicing.issuing import invoices_repair_documents

    pdf, _einvoice = fake_renderers
    real = pdf.render_refund_pdf

    def broken(document):
        raise RuntimeError("Schriftart fehlt")

    monkeypatch.setattr(pdf, "render_refund_pdf", broken)
    licence = IndividualLicenceFactory(**TERM)
    with django_capture_on_commit_callbacks(execute=True):
        refund = refund_create_for_superseded(
            individual_licence=licence, bulk_start=datetime.date(2026, 8, 1)
        )

    refund.refresh_from_db()
    assert refund.status == Refund.Status.ISSUED and refund.number == "ER-2026-00001"
    assert refund.pdf_sha256 == ""
    failed: list[dict] = []
    assert invoices_repair_documents(failed=failed) == 0
    assert "Erstattung" in failed[0]["item"] and "Schriftart fehlt" in failed[0]["error"]

    monkeypatch.setattr(pdf, "render_refund_pdf", real)
    assert invoices_repair_documents(failed=[]) == 1
    refund.refresh_from_db()
    assert refund.pdf_sha256 and refund.xml_sha256
