from django.contrib import admin

from invoicing.models import DocumentCounter, Invoice, InvoiceLine, Payment, Refund


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False
    readonly_fields = [
        "position",
        "school_number",
        "school_name",
        "product_name",
        "period_start",
        "period_end",
        "net_amount",
        "vat_rate",
    ]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    can_delete = False
    readonly_fields = [
        "amount",
        "paid_on",
        "reference",
        "outcome",
        "needs_attention",
        "recorded_by",
    ]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "kind",
        "authority",
        "issue_date",
        "due_date",
        "gross_total",
        "status",
        "overdue_since",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["number", "authority__name", "authority__customer_number"]
    list_select_related = ["authority"]
    inlines = [InvoiceLineInline, PaymentInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["invoice", "amount", "paid_on", "reference", "outcome", "needs_attention"]
    list_filter = ["outcome", "needs_attention"]
    search_fields = ["invoice__number", "reference"]
    list_select_related = ["invoice"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = ["__str__", "school", "gross_amount", "status", "issue_date", "paid_out_at"]
    list_filter = ["status"]
    search_fields = ["number", "school__name", "school__school_number", "original_invoice_number"]
    list_select_related = ["school"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DocumentCounter)
class DocumentCounterAdmin(admin.ModelAdmin):
    list_display = ["series", "year", "last_number"]
    readonly_fields = ["series", "year", "last_number"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
