"""Reads of the school directory. Every portal read is scoped to an authority the
logged-in user belongs to: ``authority_for_user`` is the one gate."""

from dataclasses import dataclass
from typing import NamedTuple

from django.db.models import QuerySet
from django.http import Http404

from schools.models import (
    AuthorityMembership,
    Invitation,
    School,
    SchoolAuthority,
    SchoolType,
    address_text,
)


def authorities_for_user(*, user) -> QuerySet[SchoolAuthority]:
    """The authorities a user acts for (none for anonymous users)."""
    if not user.is_authenticated:
        return SchoolAuthority.objects.none()
    return SchoolAuthority.objects.filter(memberships__user=user).order_by("name")


def authority_for_user(*, user, authority_id: int) -> SchoolAuthority:
    """The authority ``authority_id`` if ``user`` belongs to it; else 404, so that
    another authority's pages look exactly like pages that do not exist."""
    authority = authorities_for_user(user=user).filter(pk=authority_id).first()
    if authority is None:
        raise Http404
    return authority


def schools_of_authority(*, authority: SchoolAuthority, active_only: bool = True):
    qs = School.objects.filter(authority=authority).select_related("school_type")
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("school_type__name", "school_number")


class SchoolRow(NamedTuple):
    """One line of the school list: what it shows of a school."""

    school_number: str
    name: str
    address: str


@dataclass(frozen=True)
class SchoolTypeGroup:
    school_type: SchoolType
    schools: list[SchoolRow]

    @property
    def count(self) -> int:
        return len(self.schools)


def schools_by_type(*, authority: SchoolAuthority) -> list[SchoolTypeGroup]:
    """The authority's active schools grouped by school type (one query, only the
    columns the school list shows, read as rows: 256 model instances were a fifth
    of Köln's school list)."""
    groups: dict[int, SchoolTypeGroup] = {}
    listed = schools_of_authority(authority=authority).values_list(
        "school_type_id", "school_type__name", "school_number", "name", "street",
        "postal_code", "city",
    )  # fmt: skip
    for type_id, type_name, number, name, street, postal_code, city in listed:
        group = groups.get(type_id)
        if group is None:
            school_type = SchoolType(pk=type_id, name=type_name)
            group = groups[type_id] = SchoolTypeGroup(school_type, [])
        group.schools.append(SchoolRow(number, name, address_text(street, postal_code, city)))
    return list(groups.values())


def is_manager(*, user, authority: SchoolAuthority) -> bool:
    """Whether ``user`` is a Verwalter of ``authority``."""
    return AuthorityMembership.objects.filter(
        user=user, authority=authority, is_manager=True
    ).exists()


def members_of_authority(*, authority: SchoolAuthority) -> QuerySet[AuthorityMembership]:
    """The authority's team: memberships with their users, Verwalter first."""
    return (
        AuthorityMembership.objects.filter(authority=authority)
        .select_related("user")
        .order_by("-is_manager", "user__last_name", "user__first_name", "user__username")
    )


def open_invitations(*, authority: SchoolAuthority, now) -> QuerySet[Invitation]:
    """Invitations of the authority that are neither accepted nor expired."""
    return (
        Invitation.objects.filter(authority=authority, accepted_at=None, expires_at__gte=now)
        .select_related("invited_by")
        .order_by("-created_at")
    )


def membership_of_authority(*, authority: SchoolAuthority, membership_id: int):
    """One member of the authority's team; 404 for any other authority's."""
    membership = (
        AuthorityMembership.objects.select_related("user")
        .filter(pk=membership_id, authority=authority)
        .first()
    )
    if membership is None:
        raise Http404
    return membership
