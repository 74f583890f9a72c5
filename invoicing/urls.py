"""URLs of the authority's invoice pages (namespace ``invoicing``)."""

from django.urls import path

from invoicing import views

app_name = "invoicing"

urlpatterns = [
    path("traeger/<int:authority_id>/rechnungen/", views.invoice_list, name="invoice_list"),
    path(
        "traeger/<int:authority_id>/rechnungen/<int:invoice_id>/pdf/",
        views.invoice_document,
        {"kind": "pdf"},
        name="invoice_pdf",
    ),
    path(
        "traeger/<int:authority_id>/rechnungen/<int:invoice_id>/xml/",
        views.invoice_document,
        {"kind": "xml"},
        name="invoice_xml",
    ),
    path(
        "traeger/<int:authority_id>/rechnungen/<int:invoice_id>/kosten-je-schule.xlsx",
        views.invoice_breakdown,
        name="invoice_breakdown",
    ),
    path(
        "erstattungen/<int:refund_id>/konto/<str:token>/",
        views.refund_account,
        name="refund_account",
    ),
]
