"""URLs of an order's pages: detail (portal's: it shows invoices too), cancel,
withdraw the cancellation (licensing's) – namespace ``orders``."""

from django.urls import path

from licensing import order_views
from portal import views

app_name = "orders"

urlpatterns = [
    path(
        "traeger/<int:authority_id>/bestellungen/<int:order_id>/",
        views.order_detail,
        name="detail",
    ),
    path(
        "traeger/<int:authority_id>/bestellungen/<int:order_id>/kuendigen/",
        order_views.order_cancel,
        name="cancel",
    ),
    path(
        "traeger/<int:authority_id>/bestellungen/<int:order_id>/kuendigung-zuruecknehmen/",
        order_views.order_cancellation_withdraw,
        name="withdraw",
    ),
]
