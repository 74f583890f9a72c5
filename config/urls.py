from django.contrib import admin
from django.urls import include, path

from schools import views as school_views
from schools.urls import auth_urlpatterns

# Portal pages of an authority live under traeger/<authority_id>/ in every app;
# schools.access.authority_required turns a foreign id into a 404.
urlpatterns = [
    path("", school_views.home, name="home"),
    *auth_urlpatterns,
    path("admin/", admin.site.urls),
    path("", include("schools.urls")),
    path("", include("licensing.urls")),
    path("", include("licensing.order_urls")),
    path("", include("invoicing.urls")),
]
