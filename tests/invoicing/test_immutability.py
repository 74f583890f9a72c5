"""Issued documents below the admin (R9, § 14 UStG, GoBD): status changes only
along the declared transitions, never back to draft; snapshot, files and lines
frozen; never deleted. The model refuses in code with a German message, and on
PostgreSQL the triggers refuse whatever goes around the model (plain querysets,
bulk_create, raw SQL). Payments and paid status still work."""

import datetime
from decimal import Decimal as D

import pytest
from django.db import DatabaseError, connection, models, transaction

from invoicing.cancellation import invoice_cancel_and_reissue
from invoicing.drafts import invoice_create_draft
from invoicing.issuing import invoice_issue
from invoicing.models import DocumentImmutableError, Invoice, InvoiceLine, Refund
from invoicing.payments import payment_record
from invoicing.refunds import refund_create_for_superseded, refund_mark_paid_out
from tests.factories import IndividualLicenceFactory

pytestmark = pytest.mark.django_db
ISSUE_DAY = datetime.date(2026, 8, 10)


@pytest.fixture
def issued(licence_year):
    invoice = invoice_issue(invoice=invoice_create_draft(licence_year=licence_year), on=ISSUE_DAY)
    return Invoice.objects.get(pk=invoice.pk)


@pytest.fixture
def refund(db):
    made = refund_create_for_superseded(
        individual_licence=IndividualLicenceFactory(), bulk_start=datetime.date(2026, 8, 1)
    )
    return Refund.objects.get(pk=made.pk)


def raw(sql: str, *params) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def plain(model) -> models.QuerySet:
    """A queryset without the model's checks: what other code could write."""
    return models.QuerySet(model)


def new_line(invoice: Invoice, position: int = 99) -> InvoiceLine:
    template = invoice.lines.first()
    return InvoiceLine(
        invoice=invoice,
        position=position,
        school_number="999999",
        school_name="Eingeschmuggelt",
        product_name=template.product_name,
        period_start=template.period_start,
        period_end=template.period_end,
        net_amount=D("1.00"),
        vat_rate=template.vat_rate,
    )


# --- In code: the model and its querysets ---------------------------------------------


@pytest.mark.parametrize("status", ["draft", "paid"])
def test_save_refuses_a_status_change_not_declared(issued, status):
    issued.status = "cancelled"
    issued.save()  # issued -> cancelled is declared
    issued.status = status

    with pytest.raises(DocumentImmutableError) as error:
        issued.save()

    assert str(error.value) == f"Der Status darf nicht von „cancelled“ zu „{status}“ wechseln."


def test_back_to_draft_then_changes_is_refused_at_the_first_step(issued):
    issued.status = "draft"
    issued.buyer_name = "Jemand anderes"
    with pytest.raises(DocumentImmutableError):
        issued.save()
    assert Invoice.objects.get(pk=issued.pk).status == "issued"


def test_update_refuses_undeclared_status_changes_but_pays(issued):
    with pytest.raises(DocumentImmutableError):
        Invoice.objects.filter(pk=issued.pk).update(status="draft")

    Invoice.objects.filter(pk=issued.pk).update(status="paid", paid_at=ISSUE_DAY)
    assert Invoice.objects.get(pk=issued.pk).status == "paid"
    with pytest.raises(DocumentImmutableError):
        Invoice.objects.filter(pk=issued.pk).update(status="issued")


def test_a_draft_cannot_jump_to_paid(licence_year):
    draft = invoice_create_draft(licence_year=licence_year)
    with pytest.raises(DocumentImmutableError):
        Invoice.objects.filter(pk=draft.pk).update(status="paid")
    draft = Invoice.objects.get(pk=draft.pk)
    draft.status = "paid"
    with pytest.raises(DocumentImmutableError):
        draft.save()


def test_a_cancellation_invoice_never_changes_status(issued):
    cancellation, _new = invoice_cancel_and_reissue(invoice=issued, reason="Test", on=ISSUE_DAY)
    for status in ("cancelled", "paid", "draft"):
        with pytest.raises(DocumentImmutableError):
            Invoice.objects.filter(pk=cancellation.pk).update(status=status)


def test_bulk_create_refuses_lines_of_an_issued_invoice(issued):
    with pytest.raises(DocumentImmutableError):
        InvoiceLine.objects.bulk_create([new_line(issued)])
    assert issued.lines.count() == 3


def test_refund_refuses_going_back_and_a_second_payout(refund):
    refund.status = "draft"
    with pytest.raises(DocumentImmutableError):
        refund.save()
    refund_mark_paid_out(refund=Refund.objects.get(pk=refund.pk), paid_out_on=ISSUE_DAY)
    with pytest.raises(DocumentImmutableError):
        Refund.objects.filter(pk=refund.pk).update(status="issued")
    with pytest.raises(DocumentImmutableError):
        Refund.objects.filter(pk=refund.pk).delete()


# --- In PostgreSQL: the triggers refuse what goes around the model ----------------------


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE invoicing_invoice SET status = 'draft' WHERE id = %s",
        "UPDATE invoicing_invoice SET buyer_name = 'Jemand anderes' WHERE id = %s",
        "UPDATE invoicing_invoice SET gross_total = 1 WHERE id = %s",
        "UPDATE invoicing_invoice SET number = NULL, status = 'draft' WHERE id = %s",
        "UPDATE invoicing_invoice SET pdf_sha256 = 'x' WHERE id = %s",
        "DELETE FROM invoicing_invoice WHERE id = %s",
        "DELETE FROM invoicing_invoiceline WHERE invoice_id = %s",
        "UPDATE invoicing_invoiceline SET net_amount = 1 WHERE invoice_id = %s",
    ],
)
def test_raw_sql_cannot_change_or_delete_an_issued_invoice(issued, sql):
    with pytest.raises(DatabaseError, match="pgtrigger"):
        raw(sql, issued.pk)

    issued.refresh_from_db()
    assert (issued.status, issued.buyer_name, issued.gross_total) == (
        "issued",
        issued.buyer_name,
        D("249.68"),
    )
    assert issued.lines.count() == 3


@pytest.mark.postgres
def test_plain_querysets_and_bulk_create_are_refused_by_the_database(issued):
    with pytest.raises(DatabaseError, match="pgtrigger"), transaction.atomic():
        plain(Invoice).filter(pk=issued.pk).update(status="draft")
    with pytest.raises(DatabaseError, match="pgtrigger"), transaction.atomic():
        plain(InvoiceLine).bulk_create([new_line(issued)])
    with pytest.raises(DatabaseError, match="pgtrigger"), transaction.atomic():
        plain(InvoiceLine).filter(invoice=issued).delete()
    assert issued.lines.count() == 3


@pytest.mark.postgres
def test_payments_and_corrections_still_work_with_the_triggers(issued):
    payment_record(invoice=issued, amount=D("249.68"), paid_on=ISSUE_DAY)
    issued.refresh_from_db()
    assert issued.status == "paid"
    with pytest.raises(DatabaseError, match="pgtrigger"):
        raw("UPDATE invoicing_invoice SET status = 'issued' WHERE id = %s", issued.pk)

    cancellation, new = invoice_cancel_and_reissue(invoice=issued, reason="Test", on=ISSUE_DAY)

    assert Invoice.objects.get(pk=issued.pk).status == "cancelled"
    assert new.status == "paid"
    with pytest.raises(DatabaseError, match="pgtrigger"):
        raw("UPDATE invoicing_invoice SET status = 'cancelled' WHERE id = %s", cancellation.pk)


@pytest.mark.postgres
def test_drafts_stay_free_to_change_and_delete(licence_year):
    draft = invoice_create_draft(licence_year=licence_year)

    raw("UPDATE invoicing_invoice SET buyer_name = 'Korrigiert' WHERE id = %s", draft.pk)
    plain(InvoiceLine).bulk_create([new_line(draft)])
    raw("DELETE FROM invoicing_invoiceline WHERE invoice_id = %s", draft.pk)
    raw("DELETE FROM invoicing_invoice WHERE id = %s", draft.pk)

    assert not Invoice.objects.filter(pk=draft.pk).exists()


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE invoicing_refund SET status = 'draft' WHERE id = %s",
        "UPDATE invoicing_refund SET gross_amount = 1 WHERE id = %s",
        "UPDATE invoicing_refund SET recipient_name = 'X' WHERE id = %s",
        "DELETE FROM invoicing_refund WHERE id = %s",
    ],
)
def test_raw_sql_cannot_change_or_delete_an_issued_refund(refund, sql):
    with pytest.raises(DatabaseError, match="pgtrigger"):
        raw(sql, refund.pk)

    assert Refund.objects.get(pk=refund.pk).status == "issued"


@pytest.mark.postgres
def test_a_refund_is_still_paid_out_in_sql(refund):
    raw(
        "UPDATE invoicing_refund SET status = 'paid_out', paid_out_at = %s WHERE id = %s",
        ISSUE_DAY,
        refund.pk,
    )
    assert Refund.objects.get(pk=refund.pk).status == "paid_out"
