"""The authority's team page (for its Verwalter: members, invitations, invite,
remove, appoint a Verwalter) and the invitee's page behind the e-mailed link."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from schools import team
from schools.access import authority_required
from schools.selectors import members_of_authority, membership_of_authority, open_invitations
from schools.team_forms import InvitationAcceptForm, InviteForm


def _team_page(request, authority, form: InviteForm, status: int = 200):
    members = list(members_of_authority(authority=authority))
    return render(
        request,
        "schools/team.html",
        {
            "authority": authority,
            "members": members,
            "can_appoint": sum(m.is_manager for m in members) < team.MAX_MANAGERS,
            "invitations": open_invitations(authority=authority, now=timezone.now()),
            "form": form,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@authority_required
def team_page(request, authority):
    team.manager_membership(user=request.user, authority=authority)
    if request.method == "GET":
        return _team_page(request, authority, InviteForm())
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invitation = team.invitation_create(
                authority=authority, email=form.cleaned_data["email"], by=request.user
            )
        except ValidationError as exc:
            form.add_error("email", exc.messages[0])
        else:
            messages.success(
                request,
                _("Die Einladung an %(email)s ist verschickt; der Link gilt bis %(date)s.")
                % {
                    "email": invitation.email,
                    "date": timezone.localtime(invitation.expires_at).strftime("%d.%m.%Y"),
                },
            )
            return redirect("schools:team", authority.pk)
    return _team_page(request, authority, form, status=400)


def _member_change(request, authority, membership_id: int, change, success_message):
    """Run a team change on a member of ``authority``; its refusal or success as a message."""
    membership = membership_of_authority(authority=authority, membership_id=membership_id)
    try:
        membership = change(authority=authority, membership_id=membership.pk, by=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        name = membership.user.get_full_name() or membership.user.username
        messages.success(request, success_message % {"name": name})
    return redirect("schools:team", authority.pk)


@require_POST
@authority_required
def member_remove(request, authority, membership_id: int):
    return _member_change(
        request,
        authority,
        membership_id,
        team.member_remove,
        _("%(name)s gehört nicht mehr zum Team."),
    )


@require_POST
@authority_required
def member_make_manager(request, authority, membership_id: int):
    return _member_change(
        request,
        authority,
        membership_id,
        team.member_make_manager,
        _("%(name)s ist jetzt Verwalter."),
    )


@require_http_methods(["GET", "POST"])
def invitation_accept(request, authority_id: int, token: str):
    """The invitee sets name and password; afterwards they log in."""
    try:
        invitation = team.invitation_from_token(authority_id=authority_id, token=token)
    except ValidationError as exc:
        return render(
            request, "schools/invitation_invalid.html", {"message": exc.messages[0]}, status=400
        )
    form = InvitationAcceptForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            team.invitation_accept(
                authority_id=authority_id,
                token=token,
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                password=form.cleaned_data["password1"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Ihr Zugang ist eingerichtet. Bitte melden Sie sich mit %(email)s an.")
                % {"email": invitation.email},
            )
            return redirect("login")
    return render(
        request,
        "schools/invitation_accept.html",
        {"invitation": invitation, "form": form},
        status=400 if form.errors else 200,
    )
