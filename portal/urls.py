"""URLs of the portal's entry pages (namespace ``portal``)."""

from django.urls import path

from portal import views

app_name = "portal"

urlpatterns = [
    path("start/", views.start, name="start"),
    path("traeger/<int:authority_id>/", views.dashboard, name="dashboard"),
]
