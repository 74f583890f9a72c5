"""An authority's own team: its Verwalter (set by the publisher in the admin)
invites colleagues by e-mail, removes members and may appoint one more Verwalter.
Never across authorities: every write takes the acting membership of the same
authority. The invitation link is signed (``django.core.signing``) with the
invitation and its authority, expires after ``INVITATION_MAX_AGE_DAYS`` and is
used once. Every change is in the audit trail (django-auditlog, with the acting
user from the request)."""

import datetime
import logging

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.mail import send_templated_mail
from schools.models import AuthorityMembership, Invitation, SchoolAuthority

logger = logging.getLogger(__name__)

SALT = "schools.invitation"
MAX_MANAGERS = 2  # the publisher's Verwalter and one more appointed in the portal

INVALID_LINK = gettext_lazy(
    "Dieser Einladungslink ist ungültig. Bitte lassen Sie sich von Ihrer Verwaltung neu einladen."
)


def manager_membership(*, user, authority: SchoolAuthority) -> AuthorityMembership:
    """The acting user's membership as Verwalter of ``authority``, or refused."""
    membership = AuthorityMembership.objects.filter(
        user=user, authority=authority, is_manager=True
    ).first()
    if membership is None:
        raise PermissionDenied(_("Nur Verwalter Ihres Schulträgers können das Team verwalten."))
    return membership


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"i": str(invitation.pk), "a": invitation.authority_id}, salt=SALT)


def invitation_url(invitation: Invitation) -> str:
    path = reverse(
        "schools:invitation_accept", args=[invitation.authority_id, invitation_token(invitation)]
    )
    return f"{settings.PORTAL_URL}{path}"


@transaction.atomic
def invitation_create(*, authority: SchoolAuthority, email: str, by) -> Invitation:
    """Invite ``email`` to ``authority``; the e-mail with the link goes after commit."""
    manager_membership(user=by, authority=authority)
    email = email.strip().lower()
    if AuthorityMembership.objects.filter(authority=authority, user__email__iexact=email).exists():
        raise ValidationError(
            _("%(email)s gehört schon zum Team von %(authority)s.")
            % {"email": email, "authority": authority.name}
        )
    invitation = Invitation.objects.create(
        authority=authority,
        email=email,
        invited_by=by,
        expires_at=timezone.now() + datetime.timedelta(days=settings.INVITATION_MAX_AGE_DAYS),
    )
    context = {
        "invitation": invitation,
        "authority": authority,
        "inviter": by,
        "url": invitation_url(invitation),
    }
    transaction.on_commit(lambda: _invitation_send(email, context))
    return invitation


def _invitation_send(email: str, context: dict) -> None:
    """After commit; a failing mail server leaves the invitation listed as open
    (the Verwalter can invite again), it does not fail the page."""
    try:
        send_templated_mail(to=[email], template="schools/emails/invitation", context=context)
    except Exception:
        logger.exception("could not send the invitation %s", context["invitation"].pk)


def invitation_from_token(*, authority_id: int, token: str) -> Invitation:
    """The open invitation the link stands for, or the German reason it cannot be
    used: forged or for another authority, expired, or used already."""
    max_age = datetime.timedelta(days=settings.INVITATION_MAX_AGE_DAYS)
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise ValidationError(
            _("Dieser Einladungslink ist abgelaufen. Bitte lassen Sie sich neu einladen.")
        ) from exc
    except signing.BadSignature as exc:
        raise ValidationError(INVALID_LINK) from exc
    invitation = Invitation.objects.filter(pk=data.get("i"), authority_id=data.get("a")).first()
    if invitation is None or invitation.authority_id != authority_id:
        raise ValidationError(INVALID_LINK)
    if invitation.accepted_at is not None:
        raise ValidationError(
            _(
                "Diese Einladung wurde bereits angenommen. Bitte melden Sie sich mit Ihrem "
                "Zugang an."
            )
        )
    if invitation.expires_at < timezone.now():
        raise ValidationError(
            _("Dieser Einladungslink ist abgelaufen. Bitte lassen Sie sich neu einladen.")
        )
    return invitation


@transaction.atomic
def invitation_accept(
    *, authority_id: int, token: str, first_name: str, last_name: str, password: str
):
    """Create the invitee's account with their password and membership; the
    invitation is locked and can be accepted once. Returns the new user."""
    invitation = invitation_from_token(authority_id=authority_id, token=token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise ValidationError(_("Diese Einladung wurde bereits angenommen."))
    User = get_user_model()
    if User.objects.filter(username__iexact=invitation.email).exists():
        raise ValidationError(
            _(
                "Für %(email)s gibt es schon einen Zugang. Bitte wenden Sie sich an Ihre "
                "Ansprechpartner im Verlag."
            )
            % {"email": invitation.email}
        )
    user = User(
        username=invitation.email,
        email=invitation.email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
    )
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.save()
    _audit_user(
        user,
        LogEntry.Action.CREATE,
        {"username": ["None", user.username], "is_active": ["None", "True"]},
        by=None,
    )
    AuthorityMembership.objects.create(user=user, authority=invitation.authority)
    invitation.accepted_at = timezone.now()
    invitation.accepted_user = user
    invitation.save(update_fields=["accepted_at", "accepted_user"])
    return user


def _member(authority: SchoolAuthority, membership_id: int) -> AuthorityMembership:
    membership = (
        AuthorityMembership.objects.select_for_update()
        .select_related("user")
        .filter(pk=membership_id, authority=authority)
        .first()
    )
    if membership is None:
        raise ValidationError(_("Dieses Teammitglied gibt es bei Ihrem Schulträger nicht."))
    return membership


@transaction.atomic
def member_remove(*, authority: SchoolAuthority, membership_id: int, by) -> AuthorityMembership:
    """Remove a colleague from the authority; an account left without any
    authority can no longer log in."""
    manager_membership(user=by, authority=authority)
    membership = _member(authority, membership_id)
    if membership.user_id == by.pk:
        raise ValidationError(
            _("Sie können sich nicht selbst entfernen. Bitte bitten Sie einen anderen Verwalter.")
        )
    user = membership.user
    membership.delete()
    if not user.is_staff and not AuthorityMembership.objects.filter(user=user).exists():
        user.is_active = False
        user.save(update_fields=["is_active"])
        _audit_user(user, LogEntry.Action.UPDATE, {"is_active": ["True", "False"]}, by=by)
    return membership


def _audit_user(user, action, changes: dict, *, by) -> None:
    """User accounts are not audited as a whole (every log-in would write an
    entry); the team's changes to them are, like auditlog's own entries."""
    LogEntry.objects.log_create(user, force_log=True, action=action, changes=changes, actor=by)


@transaction.atomic
def member_make_manager(
    *, authority: SchoolAuthority, membership_id: int, by
) -> AuthorityMembership:
    """Appoint a colleague as Verwalter: one more besides the publisher's
    (at most ``MAX_MANAGERS`` per authority from the portal)."""
    manager_membership(user=by, authority=authority)
    membership = _member(authority, membership_id)
    managers = AuthorityMembership.objects.select_for_update().filter(
        authority=authority, is_manager=True
    )
    if membership.is_manager:
        return membership
    if managers.count() >= MAX_MANAGERS:
        raise ValidationError(
            _(
                "%(authority)s hat schon %(count)s Verwalter. Weitere bestimmt der Verlag; "
                "bitte wenden Sie sich an Ihre Ansprechpartner im Verlag."
            )
            % {"authority": authority.name, "count": MAX_MANAGERS}
        )
    membership.is_manager = True
    membership.save(update_fields=["is_manager"])
    return membership
