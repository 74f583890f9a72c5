"""The portal's top layer: the authority's start page and dashboard, the nightly
orchestration and the demo data. It may use every app below it."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal und Nachtlauf")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(staff_roles_sync, sender=self)


def staff_roles_sync(sender, **kwargs) -> None:
    """After every migrate (the portal is the last app, so every permission exists
    by then): the staff groups get exactly the rights of ``portal.roles``."""
    from django.contrib.auth.models import Group, Permission

    from portal.roles import roles_sync

    roles_sync(group_model=Group, permission_model=Permission)
