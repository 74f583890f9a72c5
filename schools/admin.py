"""The publisher's admin for authorities, school types, schools and staff
memberships."""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from schools.billing import billing_incomplete_q
from schools.models import AuthorityMembership, Invitation, School, SchoolAuthority, SchoolType


class SchoolInline(admin.TabularInline):
    model = School
    fields = ["school_number", "name", "school_type", "city", "is_active"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("school_type")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class MembershipInline(admin.TabularInline):
    model = AuthorityMembership
    fields = ["user", "is_manager", "created_at"]
    readonly_fields = ["created_at"]
    extra = 0
    autocomplete_fields = ["user"]


class BillingCompleteFilter(admin.SimpleListFilter):
    title = _("Rechnungsdaten")
    parameter_name = "rechnungsdaten"

    def lookups(self, request, model_admin):
        return [("vollstaendig", _("vollständig")), ("unvollstaendig", _("unvollständig"))]

    def queryset(self, request, queryset):
        if self.value() == "unvollstaendig":
            return queryset.filter(billing_incomplete_q())
        if self.value() == "vollstaendig":
            return queryset.exclude(billing_incomplete_q())
        return queryset


@admin.register(SchoolAuthority)
class SchoolAuthorityAdmin(admin.ModelAdmin):
    list_display = ["name", "customer_number", "kind", "city", "email", "leitweg_id", "n_schools"]
    list_filter = [BillingCompleteFilter, "kind", "state"]
    search_fields = ["name", "customer_number", "city", "leitweg_id", "email"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [MembershipInline, SchoolInline]
    fieldsets = [
        (None, {"fields": ["customer_number", "name", "kind", "state", "municipality_key"]}),
        (
            _("Rechnungsanschrift"),
            {
                "fields": [
                    "billing_name",
                    "billing_department",
                    "street",
                    "postal_code",
                    "city",
                    "country",
                    "email",
                    "phone",
                ]
            },
        ),
        (
            _("E-Rechnung und Steuer"),
            {"fields": ["leitweg_id", "has_no_leitweg_id", "vat_id"]},
        ),
        (_("Protokoll"), {"fields": ["created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_n_schools=Count("schools"))

    @admin.display(description=_("Schulen"), ordering="_n_schools")
    def n_schools(self, obj: SchoolAuthority) -> int:
        return obj._n_schools


@admin.register(SchoolType)
class SchoolTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "state"]
    list_filter = ["state"]
    search_fields = ["name", "key"]


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ["school_number", "name", "school_type", "authority", "city", "is_active"]
    list_filter = ["is_active", "school_type", "state"]
    search_fields = [
        "school_number",
        "name",
        "city",
        "authority__name",
        "authority__customer_number",
    ]
    list_select_related = ["school_type", "authority"]
    autocomplete_fields = ["authority"]
    readonly_fields = ["created_at", "updated_at", "deactivated_at"]


@admin.register(AuthorityMembership)
class AuthorityMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "authority", "is_manager", "created_at"]
    list_filter = ["is_manager"]
    search_fields = ["user__username", "user__email", "authority__name"]
    autocomplete_fields = ["user", "authority"]
    list_select_related = ["user", "authority"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Invitations by the authorities' Verwalter: for looking up, never edited."""

    list_display = ["email", "authority", "invited_by", "created_at", "expires_at", "accepted_at"]
    list_filter = ["accepted_at"]
    search_fields = ["email", "authority__name"]
    list_select_related = ["authority", "invited_by"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the record of who invited whom stays (audit trail)
