"""The publisher's staff roles as Django groups (German names) and their rights.

- Lesen: sees everything of the portal's apps, changes nothing.
- Vertrieb: Lesen + adds and changes authorities, schools, school types,
  memberships, products, prices and individual licences (deletes only memberships,
  prices and active individual licences); confirms, rejects and cancels orders and
  activates schools; corrects contact persons (and exports their data).
- Buchhaltung: Lesen + issues, cancels and re-issues and re-sends invoices; records
  and clarifies payments; pays out refunds; imports bank statements; starts the
  nightly run.
Staff accounts and second-factor devices: superusers only (no group has rights on
``auth`` or ``otp_totp``).

The rights are defined here, not in the admin: ``roles_sync`` (run by the data
migration that creates the groups and after every ``migrate``) sets each group's
permissions to exactly these, so a new model's view permission reaches Lesen and a
change made by hand in the admin does not last."""

from django.db.models import Q

READ_APPS = ["schools", "licensing", "invoicing", "portal", "auditlog"]
READ = Q(content_type__app_label__in=READ_APPS, codename__startswith="view_")

VERTRIEB = "Vertrieb"
BUCHHALTUNG = "Buchhaltung"
LESEN = "Lesen"


def _codenames(app_label: str, codenames: list[str]) -> Q:
    return Q(content_type__app_label=app_label, codename__in=codenames)


def _edit(app_label: str, models: list[str], *, delete: bool = False) -> Q:
    verbs = ("add", "change", "delete") if delete else ("add", "change")
    return _codenames(app_label, [f"{verb}_{model}" for model in models for verb in verbs])


ROLES: dict[str, Q] = {
    LESEN: READ,
    VERTRIEB: READ
    | _edit("schools", ["schoolauthority", "school", "schooltype"])
    | _edit("schools", ["authoritymembership"], delete=True)
    | _edit("licensing", ["product"])
    | _edit("licensing", ["price", "individuallicence"], delete=True)
    | _codenames(
        "licensing",
        ["change_order", "confirm_order", "cancel_order", "change_orderschool"],
    ),
    BUCHHALTUNG: READ
    | _codenames(
        "invoicing",
        [
            "change_invoice",
            "issue_invoice",
            "cancel_invoice",
            "record_payment",
            "change_payment",
            "change_refund",
            "pay_out_refunds",
            "add_refundtransfer",
            "change_refundtransfer",
            "import_bankstatement",
            "change_bankimport",
            "change_bankstatement",
            "change_bankentry",
        ],
    )
    | _codenames("portal", ["start_nightlyrun"]),
}


def roles_sync(*, group_model, permission_model) -> None:
    """Create the groups and give each exactly the permissions of ``ROLES`` (takes
    the models so that a migration can pass its historical ones)."""
    for name, rights in ROLES.items():
        group, _created = group_model.objects.get_or_create(name=name)
        group.permissions.set(permission_model.objects.filter(rights))
