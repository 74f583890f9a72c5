"""The root URLconf: it composes every app's URLs, so it is the one module of
``config`` that imports the apps above it (allowed in the layers contract)."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from config.health import health
from portal import views as portal_views
from schools import legal_views
from schools.urls import auth_urlpatterns

# Portal pages of an authority live under traeger/<authority_id>/ in every app;
# schools.access.authority_required turns a foreign id into a 404.
urlpatterns = [
    path("", portal_views.home, name="home"),
    path("health/", health, name="health"),
    path("impressum/", legal_views.impressum, name="impressum"),
    path("datenschutz/", legal_views.datenschutz, name="datenschutz"),
    *auth_urlpatterns,
    # The work queue lives under the admin URL, before the admin's own catch-all.
    path(
        f"{settings.ADMIN_URL}heute/",
        admin.site.admin_view(portal_views.work_queue_view),
        name="admin_work_queue",
    ),
    path(
        f"{settings.ADMIN_URL}heute/nachtlauf/",
        admin.site.admin_view(portal_views.nightly_start_view),
        name="admin_nightly_start",
    ),
    path(settings.ADMIN_URL, admin.site.urls),
    path("", include("portal.urls")),
    path("", include("schools.urls")),
    path("", include("licensing.urls")),
    path("", include("licensing.order_urls")),
    path("", include("invoicing.urls")),
]
