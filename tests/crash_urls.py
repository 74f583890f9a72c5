"""The portal's URLs plus one that fails, to see the 500 page in the browser
(tests/test_accessibility.py)."""

from django.urls import path

from config.urls import urlpatterns as portal_urlpatterns


def crash(request):
    raise RuntimeError("Absturz für den Test der Fehlerseite 500")


urlpatterns = [*portal_urlpatterns, path("test-absturz/", crash)]
