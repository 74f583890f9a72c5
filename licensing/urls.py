"""URLs of ordering with the registration list (namespace ``licensing``)."""

from django.urls import path

from licensing import views

app_name = "licensing"

urlpatterns = [
    path("traeger/<int:authority_id>/bestellen/", views.product_choice, name="order_products"),
    path(
        "traeger/<int:authority_id>/bestellen/<slug:product_code>/",
        views.order_upload,
        name="order_upload",
    ),
    path(
        "traeger/<int:authority_id>/bestellen/<slug:product_code>/anmeldeliste.xlsx",
        views.order_template,
        name="order_template",
    ),
    path(
        "traeger/<int:authority_id>/bestellen/entwurf/<uuid:upload_id>/",
        views.order_preview,
        name="order_preview",
    ),
    path(
        "traeger/<int:authority_id>/bestellen/entwurf/<uuid:upload_id>/bestellen/",
        views.order_submit,
        name="order_submit",
    ),
    path(
        "traeger/<int:authority_id>/bestellen/entwurf/<uuid:upload_id>/datei/",
        views.order_upload_file,
        name="order_upload_file",
    ),
    path(
        "traeger/<int:authority_id>/bestellen/eingegangen/<int:order_id>/",
        views.order_submitted,
        name="order_submitted",
    ),
]
