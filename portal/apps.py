"""The portal's top layer: the authority's start page and dashboard, the nightly
orchestration and the demo data. It may use every app below it."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal und Nachtlauf")
