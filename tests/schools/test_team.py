"""An authority's team: its Verwalter invites (signed, expiring, single-use link),
removes members and appoints one more Verwalter; never across authorities;
every change in the audit trail."""

import re

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from schools.models import AuthorityMembership, Invitation
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "Sommer-Ferien-2027"


@pytest.fixture
def manager(staff_user, authority):
    AuthorityMembership.objects.filter(user=staff_user, authority=authority).update(is_manager=True)
    return staff_user


def invite(client, authority, email="neu.kollegin@stadt.example.org", capture=None):
    url = reverse("schools:team", args=[authority.pk])
    with capture(execute=True):
        response = client.post(url, {"email": email})
    return response


def link_of(message) -> str:
    return re.search(r"https?://\S+/einladung/\S+/", message.body).group(0)


def accept(client, path, **overrides):
    data = {
        "first_name": "Nora",
        "last_name": "Neu",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **overrides,
    }
    return client.post(path, data)


def path_of(url: str) -> str:
    return url.split("127.0.0.1:8000", 1)[-1] if "127.0.0.1:8000" in url else url


def test_manager_invites_and_the_colleague_accepts_once(
    client, staff_client, manager, authority, django_capture_on_commit_callbacks
):
    response = invite(staff_client, authority, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.invited_by) == ("neu.kollegin@stadt.example.org", manager)
    (message,) = mail.outbox
    assert message.to == ["neu.kollegin@stadt.example.org"]
    assert authority.name in message.subject
    assert "Franziska Dorbert" in message.body
    entry = LogEntry.objects.get_for_object(invitation).get()
    assert entry.actor == manager

    path = path_of(link_of(message))
    anonymous = Client()
    assert anonymous.get(path).status_code == 200
    mismatch = accept(anonymous, path, password2="anders-1234567")
    assert "Die beiden Passwörter stimmen nicht überein." in mismatch.content.decode()
    assert not get_user_model().objects.filter(username=invitation.email).exists()

    assert accept(anonymous, path)["Location"] == reverse("login")
    user = get_user_model().objects.get(username="neu.kollegin@stadt.example.org")
    assert (user.first_name, user.last_name, user.email) == ("Nora", "Neu", invitation.email)
    assert user.check_password(PASSWORD)
    created = LogEntry.objects.get_for_object(user).get()
    assert created.action == LogEntry.Action.CREATE
    assert created.changes_dict["username"] == ["None", invitation.email]
    membership = AuthorityMembership.objects.get(user=user)
    assert (membership.authority, membership.is_manager) == (authority, False)
    assert Client().login(username=invitation.email, password=PASSWORD)

    again = accept(Client(), path, password1="Noch-ein-Versuch-9", password2="Noch-ein-Versuch-9")
    assert again.status_code == 400
    assert "Diese Einladung wurde bereits angenommen." in again.content.decode()
    assert get_user_model().objects.filter(email=invitation.email).count() == 1


def test_invitation_link_is_refused_for_another_authority_forged_or_expired(
    staff_client, manager, authority, other_authority, settings, django_capture_on_commit_callbacks
):
    invite(staff_client, authority, capture=django_capture_on_commit_callbacks)
    path = path_of(link_of(mail.outbox[0]))
    token = path.rstrip("/").rsplit("/", 1)[-1]
    foreign = reverse("schools:invitation_accept", args=[other_authority.pk, token])
    forged = reverse("schools:invitation_accept", args=[authority.pk, token[:-2] + "xx"])
    for url in (foreign, forged):
        for response in (Client().get(url), accept(Client(), url)):
            assert response.status_code == 400
            assert "Dieser Einladungslink ist ungültig." in response.content.decode()
    settings.INVITATION_MAX_AGE_DAYS = 0
    expired = accept(Client(), path)
    assert expired.status_code == 400
    assert "Dieser Einladungslink ist abgelaufen." in expired.content.decode()
    assert AuthorityMembership.objects.count() == 1
    assert not get_user_model().objects.filter(username__contains="neu.kollegin").exists()


def test_a_member_who_is_not_verwalter_cannot_manage_the_team(staff_client, staff_user, authority):
    url = reverse("schools:team", args=[authority.pk])
    assert staff_client.get(url).status_code == 403
    assert staff_client.post(url, {"email": "x@stadt.example.org"}).status_code == 403
    assert Invitation.objects.count() == 0
    dashboard = staff_client.get(reverse("portal:dashboard", args=[authority.pk]))
    assert "Team verwalten" not in dashboard.content.decode()


def test_invite_refuses_bad_addresses_and_existing_members(
    staff_client, manager, authority, django_capture_on_commit_callbacks
):
    bad = invite(staff_client, authority, "kein-at", capture=django_capture_on_commit_callbacks)
    assert "Bitte geben Sie eine gültige E-Mail-Adresse ein." in bad.content.decode()
    member = invite(
        staff_client, authority, manager.email.upper(), capture=django_capture_on_commit_callbacks
    )
    assert "gehört schon zum Team" in member.content.decode()
    assert Invitation.objects.count() == 0 and not mail.outbox


def test_manager_removes_a_colleague_and_the_account_is_closed(
    staff_client, manager, authority, other_authority
):
    colleague = MembershipFactory(user=UserFactory(), authority=authority)
    foreign = MembershipFactory(user=UserFactory(), authority=other_authority)
    page = staff_client.get(reverse("schools:team", args=[authority.pk])).content.decode()
    assert colleague.user.email in page and foreign.user.email not in page
    assert (
        "Team verwalten"
        in staff_client.get(reverse("portal:dashboard", args=[authority.pk])).content.decode()
    )

    # Another authority's member: 404, untouched.
    url = reverse("schools:member_remove", args=[authority.pk, foreign.pk])
    assert staff_client.post(url).status_code == 404
    assert AuthorityMembership.objects.filter(pk=foreign.pk).exists()

    own = AuthorityMembership.objects.get(user=manager)
    response = staff_client.post(
        reverse("schools:member_remove", args=[authority.pk, own.pk]), follow=True
    )
    assert "Sie können sich nicht selbst entfernen." in response.content.decode()

    response = staff_client.post(
        reverse("schools:member_remove", args=[authority.pk, colleague.pk]), follow=True
    )
    assert "gehört nicht mehr zum Team." in response.content.decode()
    assert not AuthorityMembership.objects.filter(pk=colleague.pk).exists()
    colleague.user.refresh_from_db()
    assert colleague.user.is_active is False
    deleted = LogEntry.objects.get(object_pk=str(colleague.pk), action=LogEntry.Action.DELETE)
    assert deleted.actor == manager
    closed = LogEntry.objects.get_for_object(colleague.user).get()
    assert (closed.action, closed.actor) == (LogEntry.Action.UPDATE, manager)
    assert closed.changes_dict == {"is_active": ["True", "False"]}


def test_a_member_of_two_authorities_keeps_the_other(
    staff_client, manager, authority, other_authority
):
    user = UserFactory()
    colleague = MembershipFactory(user=user, authority=authority)
    MembershipFactory(user=user, authority=other_authority)
    staff_client.post(reverse("schools:member_remove", args=[authority.pk, colleague.pk]))
    user.refresh_from_db()
    assert user.is_active is True
    assert list(
        AuthorityMembership.objects.filter(user=user).values_list("authority", flat=True)
    ) == [other_authority.pk]


def test_manager_appoints_one_more_verwalter_but_not_two(staff_client, manager, authority):
    first = MembershipFactory(user=UserFactory(), authority=authority)
    second = MembershipFactory(user=UserFactory(), authority=authority)
    url = reverse("schools:member_make_manager", args=[authority.pk, first.pk])
    response = staff_client.post(url, follow=True)
    assert "ist jetzt Verwalter." in response.content.decode()
    first.refresh_from_db()
    assert first.is_manager
    assert (
        LogEntry.objects.get_for_object(first).filter(action=LogEntry.Action.UPDATE).get().actor
        == manager
    )
    assert "Zum Verwalter machen" not in response.content.decode()

    url = reverse("schools:member_make_manager", args=[authority.pk, second.pk])
    response = staff_client.post(url, follow=True)
    assert "hat schon 2 Verwalter" in response.content.decode()
    second.refresh_from_db()
    assert not second.is_manager
