"""Role × action matrix: every action of every ModelAdmin in the admin site's
registry, run by a staff user of each role (Vertrieb, Buchhaltung, Lesen) and by a
user holding only view permissions, on real objects of the demo world. Only the
permitted runs may change anything (a row, a document, a queued task or e-mail, a
file handed out); the permitted ones must.

A new action is picked up from the registry; until it is entered in ``EXPECTED``
(which roles may run it) and ``CASES`` (which objects, which form input) this test
fails, so no action can be added without deciding its permission."""

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import reverse

from invoicing import bank_services, payouts
from invoicing.bank_models import BankEntry
from invoicing.models import Credit, Invoice, Payment, Refund
from licensing import confirmation
from licensing.models import Price
from portal.roles import BUCHHALTUNG, LESEN, VERTRIEB
from tests.factories import (
    IndividualLicenceFactory,
    MembershipFactory,
    OrderSchoolFactory,
    UserFactory,
)
from tests.invoicing.bank_files import Tx, camt053
from tests.invoicing.factories import RefundFactory
from tests.licensing.factories import submitted_order

VIEW_ONLY = "nur Lesen (Einzelrechte)"
ROLES = [VERTRIEB, BUCHHALTUNG, LESEN, VIEW_ONLY]
WATCHED_APPS = ["schools", "licensing", "invoicing", "portal", "auth", "axes", "otp_totp"]

# Which roles may run each action ("model label.action"); every other
# registered action is for superusers only.
EXPECTED = {
    "schools.AuthorityMembership.delete_selected": {VERTRIEB},
    "licensing.Price.delete_selected": {VERTRIEB},
    "licensing.IndividualLicence.delete_selected": {VERTRIEB},
    "licensing.Order.confirm_orders": {VERTRIEB},
    "licensing.Order.reject_orders": {VERTRIEB},
    "licensing.Order.cancel_orders": {VERTRIEB},
    "licensing.Order.withdraw_cancellations": {VERTRIEB},
    "licensing.OrderSchool.activate_schools": {VERTRIEB},
    "licensing.OrderSchool.download_contact_person_export": {VERTRIEB},
    "invoicing.Invoice.issue_now": {BUCHHALTUNG},
    "invoicing.Invoice.cancel_and_reissue": {BUCHHALTUNG},
    "invoicing.Invoice.resend": {BUCHHALTUNG},
    "invoicing.Invoice.record_payment": {BUCHHALTUNG},
    "invoicing.CancellationInvoice.resend": {BUCHHALTUNG},
    "invoicing.Payment.resolve": {BUCHHALTUNG},
    "invoicing.Refund.mark_paid_out": {BUCHHALTUNG},
    "invoicing.Credit.mark_paid_back": {BUCHHALTUNG},
    "invoicing.Refund.enter_account": {BUCHHALTUNG},
    "invoicing.RefundTransfer.mark_paid": {BUCHHALTUNG},
    "invoicing.RefundTransfer.withdraw": {BUCHHALTUNG},
    "invoicing.BankEntry.assign": {BUCHHALTUNG},
    "invoicing.BankEntry.leave": {BUCHHALTUNG},
}
SUPERUSER_ONLY = {
    "auth.Group.delete_selected",
    "auth.User.delete_selected",
    "axes.AccessAttempt.delete_selected",
    "axes.AccessAttempt.cleanup_expired_attempts",
    "axes.AccessLog.delete_selected",
    "axes.AccessFailureLog.delete_selected",
    "schools.SchoolAuthority.delete_selected",
    "schools.Invitation.delete_selected",
    "schools.SchoolType.delete_selected",
    "schools.School.delete_selected",
    "licensing.Product.delete_selected",
    "licensing.Order.delete_selected",
    "licensing.OrderSchool.delete_selected",
    "licensing.LicenceYear.delete_selected",
    "licensing.Licence.delete_selected",
    "licensing.RegistrationUpload.delete_selected",
    "licensing.OutgoingMail.delete_selected",
    "invoicing.BankImport.delete_selected",
    "invoicing.BankStatement.delete_selected",
    "invoicing.BankEntry.delete_selected",
    "invoicing.Invoice.delete_selected",
    "invoicing.CancellationInvoice.delete_selected",
    "invoicing.Payment.delete_selected",
    "invoicing.Refund.delete_selected",
    "invoicing.Credit.delete_selected",
    "invoicing.RefundTransfer.delete_selected",
    "invoicing.DocumentCounter.delete_selected",
    "portal.NightlyRun.delete_selected",
    "otp_totp.TOTPDevice.delete_selected",
    "auditlog.LogEntry.delete_selected",
}


def registered_actions() -> list[tuple[type, str]]:
    return [
        (model, name)
        for model, model_admin in admin.site._registry.items()
        for _func, name, _description in model_admin._get_base_actions()
    ]


def key(model, name: str) -> str:
    return f"{model._meta.label}.{name}"


def test_every_registered_action_is_in_the_matrix():
    found = {key(model, name) for model, name in registered_actions()}
    assert found - set(EXPECTED) - SUPERUSER_ONLY == set(), "new action: decide its roles"
    assert set(EXPECTED) | SUPERUSER_ONLY == found, "the matrix lists an action that is gone"


def first_pk(queryset) -> list:
    obj = queryset.order_by("pk").first()
    return [obj.pk] if obj else []


DAY = "01.08.2026"
OPEN_INVOICES = Invoice.objects.filter(kind=Invoice.Kind.INVOICE, status=Invoice.Status.ISSUED)
CASES = {  # action key -> (objects to select, form input)
    "schools.AuthorityMembership.delete_selected": (
        lambda w: [w["spare_membership"].pk],
        {"post": "yes"},
    ),
    "licensing.Price.delete_selected": (lambda w: [w["spare_price"].pk], {"post": "yes"}),
    "licensing.IndividualLicence.delete_selected": (
        lambda w: [w["spare_individual"].pk],
        {"post": "yes"},
    ),
    "licensing.Order.confirm_orders": (
        lambda w: [w["submitted"].pk],
        {"apply": "1", "start_date": DAY},
    ),
    "licensing.Order.reject_orders": (
        lambda w: [w["submitted"].pk],
        {"apply": "1", "reason": "Doppelt."},
    ),
    "licensing.Order.cancel_orders": (lambda w: [w["renewing"].pk], {}),
    "licensing.Order.withdraw_cancellations": (lambda w: [w["running"].pk], {}),
    "licensing.OrderSchool.activate_schools": (lambda w: [w["new_order_school"].pk], {}),
    "licensing.OrderSchool.download_contact_person_export": (
        lambda w: [w["order_school"].pk],
        {},
    ),
    "invoicing.Invoice.issue_now": (lambda w: [w["draft"].pk], {}),
    "invoicing.Invoice.cancel_and_reissue": (
        lambda w: first_pk(OPEN_INVOICES),
        {"apply": "1", "reason": "Falsche Anschrift"},
    ),
    "invoicing.Invoice.resend": (lambda w: [w["second"].pk], {}),
    "invoicing.Invoice.record_payment": (
        lambda w: first_pk(OPEN_INVOICES),
        {"apply": "1", "amount": "1,00", "paid_on": DAY, "reference": "x"},
    ),
    "invoicing.CancellationInvoice.resend": (lambda w: [w["cancellation"].pk], {}),
    "invoicing.Payment.resolve": (
        lambda w: first_pk(Payment.objects.filter(needs_attention=True)),
        {"apply": "1", "note": "zurücküberwiesen"},
    ),
    "invoicing.Refund.mark_paid_out": (
        lambda w: first_pk(Refund.objects.filter(status=Refund.Status.ISSUED)),
        {"apply": "1", "paid_out_on": DAY},
    ),
    "invoicing.Refund.enter_account": (
        lambda w: [w["refund_without_account"].pk],
        {"apply": "1", "account_holder": "Stadt Musterstadt", "iban": "DE89370400440532013000"},
    ),
    "invoicing.RefundTransfer.mark_paid": (
        lambda w: [w["transfer"].pk],
        {"apply": "1", "paid_out_on": DAY},
    ),
    "invoicing.RefundTransfer.withdraw": (
        lambda w: [w["transfer"].pk],
        {"apply": "1", "reason": "Bank: IBAN ungültig"},
    ),
    "invoicing.Credit.mark_paid_back": (
        lambda w: [w["credit"].pk],
        {"apply": "1", "paid_back_on": DAY},
    ),
    "invoicing.BankEntry.assign": (
        lambda w: [w["bank_entry"].pk],
        {
            "apply": "1",
            "rows-TOTAL_FORMS": "1",
            "rows-INITIAL_FORMS": "0",
            "rows-MIN_NUM_FORMS": "0",
            "rows-MAX_NUM_FORMS": "20",
            "rows-0-number": "",  # filled in by run() with the open invoice
            "rows-0-amount": "12,00",
            "note": "",
        },
    ),
    "invoicing.BankEntry.leave": (
        lambda w: [w["bank_entry"].pk],
        {"apply": "1", "note": "Spende"},
    ),
}


def role_user(role: str):
    user = UserFactory(is_staff=True)
    if role == VIEW_ONLY:
        user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    else:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def matrix_world(world, publisher_user):
    w = dict(world)
    product = world["product"]
    school = world["order_school"].school
    w["spare_membership"] = MembershipFactory(authority=school.authority)
    w["spare_price"] = Price.objects.create(
        product=product,
        school_type=school.school_type,
        valid_from=datetime.date(2030, 8, 1),
        bulk_price=Decimal("1.00"),
        individual_price=Decimal("2.00"),
    )
    w["spare_individual"] = IndividualLicenceFactory(school=school, product=product)
    w["new_order_school"] = OrderSchoolFactory(order=world["renewing"])
    fresh = submitted_order(
        authority=school.authority, product=product, school_type=school.school_type
    )
    confirmation.order_confirm(order=fresh, start_date=datetime.date(2026, 8, 1), by=publisher_user)
    w["draft"] = Invoice.objects.get(order=fresh, status=Invoice.Status.DRAFT)
    w["refund_without_account"] = RefundFactory(number="ER-2099-00002")
    in_transfer = RefundFactory(number="ER-2099-00001")
    payouts.refund_account_save(
        refund=in_transfer, holder="Schule", iban="DE89370400440532013000", staff=True
    )
    w["transfer"] = payouts.refund_transfer_create(execution_date=datetime.date(2026, 8, 3))
    w["credit"] = Credit.objects.create(
        authority=world["first"].authority,
        cancelled_invoice=world["first"],
        amount=Decimal("5.00"),
    )
    bank_import = bank_services.bank_import_store(
        data=camt053([Tx("12.00", "Spende", ref="M")]), filename="auszug.xml", by=publisher_user
    )
    bank_services.bank_import_book(bank_import=bank_import, by=publisher_user)
    w["bank_entry"] = BankEntry.objects.get(status=BankEntry.Status.REVIEW)
    return w


def snapshot() -> dict:
    """Every row of the watched apps, and the mails sent."""
    rows = {}
    for app_label in WATCHED_APPS:
        for model in apps.get_app_config(app_label).get_models():
            rows[model._meta.label] = list(model._base_manager.order_by("pk").values_list())
    return {"rows": rows, "mails": len(mail.outbox)}


def run(client, model, name, world, capture) -> bool:
    """Run one action in a savepoint that is rolled back; True if it had an effect."""
    select, data = CASES.get(key(model, name), (lambda w: first_pk(model._base_manager), {}))
    data = dict(data)
    if "rows-0-number" in data:
        data["rows-0-number"] = OPEN_INVOICES.order_by("pk").first().number
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    with transaction.atomic():
        before = snapshot()
        with capture() as callbacks:
            response = client.post(url, {"action": name, "_selected_action": select(world), **data})
        downloaded = "attachment" in response.get("Content-Disposition", "")
        effect = downloaded or bool(callbacks) or snapshot() != before
        transaction.set_rollback(True)
    return effect


@pytest.mark.parametrize("role", ROLES)
def test_only_permitted_roles_change_anything(
    role, matrix_world, django_capture_on_commit_callbacks
):
    client = Client()
    client.force_login(role_user(role))
    wrong = []
    for model, name in registered_actions():
        permitted = role in EXPECTED.get(key(model, name), set())
        if run(client, model, name, matrix_world, django_capture_on_commit_callbacks) != permitted:
            wrong.append(f"{key(model, name)}: {'no effect' if permitted else 'changed'}")
    assert wrong == [], "\n".join(wrong)


def test_the_superuser_cases_are_real(matrix_world, django_capture_on_commit_callbacks):
    """Every permitted case changes something when a superuser runs it (so the
    roles' "no effect" above is the permission, not an empty selection)."""
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    idle = [
        action
        for action in EXPECTED
        if not run(
            client,
            apps.get_model(action.rsplit(".", 1)[0]),
            action.rsplit(".", 1)[1],
            matrix_world,
            django_capture_on_commit_callbacks,
        )
    ]
    assert idle == []


def test_roles_are_groups_with_german_names(db):
    assert set(Group.objects.values_list("name", flat=True)) >= {VERTRIEB, BUCHHALTUNG, LESEN}
    lesen = Group.objects.get(name=LESEN).permissions.all()
    assert lesen.exists() and all(p.codename.startswith("view_") for p in lesen)
    assert not lesen.filter(content_type__app_label__in=["auth", "otp_totp", "axes"]).exists()
    for role in (VERTRIEB, BUCHHALTUNG):
        rights = Group.objects.get(name=role).permissions
        assert not rights.filter(content_type__app_label__in=["auth", "otp_totp"]).exists()
