from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from config.health import health
from schools import legal_views
from schools import views as school_views
from schools.urls import auth_urlpatterns

# Portal pages of an authority live under traeger/<authority_id>/ in every app;
# schools.access.authority_required turns a foreign id into a 404.
urlpatterns = [
    path("", school_views.home, name="home"),
    path("health/", health, name="health"),
    path("impressum/", legal_views.impressum, name="impressum"),
    path("datenschutz/", legal_views.datenschutz, name="datenschutz"),
    *auth_urlpatterns,
    path(settings.ADMIN_URL, admin.site.urls),
    path("", include("schools.urls")),
    path("", include("licensing.urls")),
    path("", include("licensing.order_urls")),
    path("", include("invoicing.urls")),
]
