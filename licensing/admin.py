from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from licensing.models import (
    IndividualLicence,
    Licence,
    LicenceTerm,
    LicenceYear,
    Order,
    OrderSchool,
    Price,
    Product,
    RegistrationUpload,
)


class PriceInline(admin.TabularInline):
    model = Price
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "vat_rate", "is_active"]
    list_filter = ["is_active", "vat_rate"]
    search_fields = ["name", "code"]
    inlines = [PriceInline]


@admin.register(Price)
class PriceAdmin(admin.ModelAdmin):
    list_display = ["product", "school_type", "valid_from", "bulk_price", "individual_price"]
    list_filter = ["product", "school_type"]
    date_hierarchy = "valid_from"
    list_select_related = ["product", "school_type"]


class OrderSchoolInline(admin.TabularInline):
    model = OrderSchool
    fields = [
        "school",
        "contact_first_name",
        "contact_last_name",
        "contact_email",
        "contact_phone",
        "activated_at",
    ]
    readonly_fields = ["school", "activated_at"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class LicenceYearInline(admin.TabularInline):
    model = LicenceYear
    fields = ["number", "start_date", "end_date", "renewal_notice_sent_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "authority",
        "product",
        "status",
        "submitted_at",
        "start_date",
        "cancellation_effective_on",
    ]
    list_filter = ["status", "product"]
    search_fields = ["id", "authority__name", "authority__customer_number"]
    list_select_related = ["authority", "product"]
    date_hierarchy = "submitted_at"
    readonly_fields = [
        "authority",
        "product",
        "upload",
        "submitted_by",
        "submitted_at",
        "confirmed_at",
        "confirmed_by",
        "start_date",
        "rejected_at",
        "rejection_reason",
        "cancelled_at",
        "cancelled_by",
        "cancellation_effective_on",
        "ended_on",
        "status",
    ]
    inlines = [OrderSchoolInline, LicenceYearInline]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OrderSchool)
class OrderSchoolAdmin(admin.ModelAdmin):
    list_display = ["school", "order", "contact_name", "contact_email", "activated_at"]
    search_fields = ["school__school_number", "school__name", "contact_last_name", "contact_email"]
    list_select_related = ["school", "order__product", "order__authority"]
    readonly_fields = ["order", "school", "row_number", "activated_at", "activation_email_sent_at"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LicenceYear)
class LicenceYearAdmin(admin.ModelAdmin):
    list_display = ["order", "number", "start_date", "end_date", "renewal_notice_sent_at"]
    list_filter = ["start_date"]
    search_fields = ["order__id", "order__authority__name"]
    list_select_related = ["order__authority", "order__product"]
    readonly_fields = ["order", "number", "start_date", "end_date", "renewal_notice_sent_at"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class LicenceTermInline(admin.TabularInline):
    model = LicenceTerm
    readonly_fields = ["year", "net_price"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Licence)
class LicenceAdmin(admin.ModelAdmin):
    list_display = ["school", "product", "order", "status", "ended_on"]
    list_filter = ["status", "product"]
    search_fields = ["school__school_number", "school__name", "order__authority__name"]
    list_select_related = ["school", "product", "order__authority", "order__product"]
    readonly_fields = ["order", "school", "product", "status", "ended_on"]
    inlines = [LicenceTermInline]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(IndividualLicence)
class IndividualLicenceAdmin(admin.ModelAdmin):
    list_display = [
        "school",
        "product",
        "start_date",
        "end_date",
        "paid_amount",
        "status",
        "superseded_on",
    ]
    list_filter = ["status", "product"]
    search_fields = ["school__school_number", "school__name", "original_invoice_number"]
    list_select_related = ["school", "product"]
    autocomplete_fields = ["school"]
    readonly_fields = ["status", "superseded_by", "superseded_on"]


@admin.register(RegistrationUpload)
class RegistrationUploadAdmin(admin.ModelAdmin):
    list_display = ["original_filename", "authority", "product", "uploaded_at", "is_valid"]
    list_filter = ["is_valid", "is_draft", "product"]
    search_fields = ["original_filename", "authority__name"]
    list_select_related = ["authority", "product"]
    readonly_fields = [
        "authority",
        "product",
        "uploaded_by",
        "uploaded_at",
        "file",
        "original_filename",
        "file_sha256",
        "is_valid",
        "is_draft",
        "result",
    ]

    def has_add_permission(self, request) -> bool:
        return False


admin.site.site_header = _("Lizenzportal – Verwaltung")
admin.site.site_title = _("Lizenzportal")
admin.site.index_title = _("Verwaltung für den Verlag")
