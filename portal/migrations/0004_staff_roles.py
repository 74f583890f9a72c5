"""The publisher's staff roles Vertrieb, Buchhaltung and Lesen as groups with the
rights of ``portal.roles`` (kept in step after every migrate by
``PortalConfig.ready``)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from portal.roles import ROLES, roles_sync


def create_roles(apps, schema_editor):
    # Permissions are normally created after the migrations ran; the groups need
    # them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    roles_sync(group_model=apps.get_model("auth", "Group"), permission_model=apps.get_model("auth", "Permission"))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0003_nightly_lock"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("schools", "0003_authority_has_no_leitweg_id"),
        ("licensing", "0005_staff_permissions"),
        ("invoicing", "0009_staff_permissions"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
