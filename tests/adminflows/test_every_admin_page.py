"""The publisher's staff open every admin page of everything the order-to-payment
flow creates, in every state it reaches, and nothing answers with an error."""

import pytest
from django.contrib import admin
from django.urls import reverse

from invoicing.models import Invoice, Refund
from licensing.models import IndividualLicence, Licence, Order
from portal.models import NightlyRun

pytestmark = pytest.mark.django_db

MAX_OBJECTS_PER_MODEL = 40


def test_the_world_has_every_state(world):
    assert set(Order.objects.values_list("status", flat=True)) == set(Order.Status.values)
    assert Order.objects.filter(cancellation_effective_on__isnull=False).exists()
    assert set(Invoice.objects.values_list("status", flat=True)) == set(Invoice.Status.values)
    assert Invoice.objects.filter(overdue_since__isnull=False).exists()
    assert set(Refund.objects.exclude(status="draft").values_list("status", flat=True)) == {
        Refund.Status.ISSUED,
        Refund.Status.PAID_OUT,
    }
    assert set(Licence.objects.values_list("status", flat=True)) >= {
        "pending",
        "active",
        "cancelled",
        "expired",
        "rejected",
    }
    assert IndividualLicence.objects.filter(status="superseded", refund__isnull=True).exists()
    assert NightlyRun.objects.filter(failures__gt=0).exists()


def test_every_changelist_and_change_page_opens(world, publisher_client):
    checked = 0
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        response = publisher_client.get(changelist)
        assert response.status_code == 200, changelist
        for obj in model_admin.get_queryset(response.wsgi_request)[:MAX_OBJECTS_PER_MODEL]:
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
            page = publisher_client.get(url)
            assert page.status_code == 200, f"{url} ({obj})"
            checked += 1
    assert checked > 100


def test_every_stored_document_downloads_unchanged(world, publisher_client):
    documents = [
        *(("invoice", i) for i in Invoice.objects.filter(kind="invoice").exclude(pdf="")),
        *(("cancellationinvoice", i) for i in Invoice.objects.filter(kind="cancellation")),
        *(("refund", r) for r in Refund.objects.all()),
    ]
    assert len(documents) >= 8
    for model_name, document in documents:
        for kind, field in (("pdf", document.pdf), ("xml", document.xml)):
            url = reverse(f"admin:invoicing_{model_name}_document", args=[document.pk, kind])
            response = publisher_client.get(url)
            assert response.status_code == 200, url
            assert response["Content-Disposition"] == (
                f'attachment; filename="{document.number}.{kind}"'
            )
            with field.storage.open(field.name, "rb") as handle:
                assert response.content == handle.read()


def test_a_draft_has_no_document_to_download(world, publisher_client):
    url = reverse("admin:invoicing_invoice_document", args=[world["empty_draft"].pk, "pdf"])
    assert publisher_client.get(url).status_code == 404
    page = publisher_client.get(
        reverse("admin:invoicing_invoice_change", args=[world["empty_draft"].pk])
    )
    assert "noch keine (Entwurf)" in page.content.decode()


def test_documents_are_not_for_authority_staff(world, staff_client):
    url = reverse("admin:invoicing_invoice_document", args=[world["second"].pk, "pdf"])
    response = staff_client.get(url)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.parametrize("key", ["first", "cancellation", "second", "empty_draft"])
def test_no_invoice_change_form_can_change_a_document(world, publisher_client, key):
    invoice = world[key]
    model_name = "cancellationinvoice" if invoice.kind == "cancellation" else "invoice"
    url = reverse(f"admin:invoicing_{model_name}_change", args=[invoice.pk])
    before = Invoice.objects.filter(pk=invoice.pk).values().get()

    page = publisher_client.get(url)
    post = publisher_client.post(
        url,
        {
            "buyer_name": "Geändert",
            "gross_total": "1.00",
            "status": "draft",
            "lines-TOTAL_FORMS": "0",
            "lines-INITIAL_FORMS": "0",
            "payments-TOTAL_FORMS": "0",
            "payments-INITIAL_FORMS": "0",
            "_save": "Sichern",
        },
    )

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert post.status_code == 403
    assert Invoice.objects.filter(pk=invoice.pk).values().get() == before


@pytest.mark.parametrize("status", ["issued", "paid_out"])
def test_no_refund_change_form_can_change_a_document(world, publisher_client, status):
    refund = Refund.objects.get(status=status)
    url = reverse("admin:invoicing_refund_change", args=[refund.pk])
    before = Refund.objects.filter(pk=refund.pk).values().get()

    page = publisher_client.get(url)
    post = publisher_client.post(url, {"gross_amount": "1.00", "_save": "Sichern"})

    assert 'name="_save"' not in page.content.decode()
    assert post.status_code == 403
    assert Refund.objects.filter(pk=refund.pk).values().get() == before


def test_a_superseded_individual_licence_is_frozen(world, publisher_client):
    licence = world["il_refund"]
    url = reverse("admin:licensing_individuallicence_change", args=[licence.pk])
    page = publisher_client.get(url).content.decode()
    publisher_client.post(
        url,
        {
            "school": licence.school_id,
            "product": licence.product_id,
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
            "paid_amount": "999.00",
            "vat_rate": "7.00",
            "original_invoice_number": "X",
            "original_invoice_date": "2026-01-02",
        },
    )

    assert 'name="paid_amount"' not in page
    assert Refund.objects.get(individual_licence=licence).number in page
    licence.refresh_from_db()
    assert licence.paid_amount != 999
    no_refund = publisher_client.get(
        reverse("admin:licensing_individuallicence_change", args=[world["il_none"].pk])
    )
    assert "keine (3 Monate oder weniger Restlaufzeit)" in no_refund.content.decode()
