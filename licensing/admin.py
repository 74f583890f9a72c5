"""The publisher's admin for products, prices, orders, licences, uploaded lists
and the lifecycle's outbox; its actions call the lifecycle services."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config import clock
from config.admin_actions import action_form_page
from config.downloads import private_download
from licensing.cancellation import order_cancel, order_cancellation_withdraw
from licensing.confirmation import order_confirm, order_reject, school_activate
from licensing.models import (
    IndividualLicence,
    Licence,
    LicenceTerm,
    LicenceYear,
    Order,
    OrderSchool,
    OutgoingMail,
    Price,
    Product,
    RegistrationUpload,
)
from licensing.privacy import contact_person_export
from licensing.selectors import order_prices
from licensing.views import upload_file_response
from schools.billing import billing_incomplete_q


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


class LicenceYearInline(admin.TabularInline):
    model = LicenceYear
    fields = ["number", "start_date", "end_date", "renewal_notice_sent_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class CancellationFilter(admin.SimpleListFilter):
    title = _("Kündigung")
    parameter_name = "gekuendigt"

    def lookups(self, request, model_admin):
        return [("ja", _("gekündigt")), ("nein", _("nicht gekündigt"))]

    def queryset(self, request, queryset):
        if self.value() == "ja":
            return queryset.filter(cancellation_effective_on__isnull=False)
        if self.value() == "nein":
            return queryset.filter(cancellation_effective_on__isnull=True)
        return queryset


class BillingDataFilter(admin.SimpleListFilter):
    """Orders whose buyer's billing data is incomplete: they cannot be confirmed
    until the authority completes it (R10)."""

    title = _("Rechnungsdaten des Trägers")
    parameter_name = "rechnungsdaten"

    def lookups(self, request, model_admin):
        return [("unvollstaendig", _("unvollständig"))]

    def queryset(self, request, queryset):
        if self.value() == "unvollstaendig":
            return queryset.filter(billing_incomplete_q("authority__"))
        return queryset


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    # Fits 1280 px: dates as dd.mm.yyyy, the cancellation inside the status column.
    list_display = [
        "id",
        "authority",
        "product",
        "status_text",
        "school_count",
        "submitted_on",
        "start_date_text",
    ]
    list_filter = [
        "status",
        CancellationFilter,
        BillingDataFilter,
        "product",
        ("start_date", admin.DateFieldListFilter),
        ("authority", admin.RelatedOnlyFieldListFilter),
    ]
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
        "terms_accepted_at",
        "terms_accepted_by",
        "terms_sha256",
        "terms_text",
        "documents",
        "mails",
    ]
    inlines = [LicenceYearInline]
    actions = ["confirm_orders", "reject_orders", "cancel_orders", "withdraw_cancellations"]
    change_form_template = "admin/licensing/order/change_form.html"
    schools_per_page = 25

    def get_urls(self):
        return [
            path(
                "<int:order_id>/bestaetigen/",
                self.admin_site.admin_view(self.confirm_view),
                name="licensing_order_confirm",
            ),
            path(
                "<int:order_id>/ablehnen/",
                self.admin_site.admin_view(self.reject_view),
                name="licensing_order_reject",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        order = self.get_object(request, object_id)
        extra = {}
        if order is not None:
            extra = order_page_context(self, request, order)
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def confirm_view(self, request, order_id: int):
        """The confirm button of the order page: start date in, order confirmed."""
        if request.method != "POST" or not self.has_confirm_order_permission(request):
            raise PermissionDenied
        order = get_object_or_404(Order, pk=order_id)
        form = OrderConfirmForm(request.POST)
        if not form.is_valid():
            self.message_user(request, form_errors_text(form), messages.ERROR)
        else:
            start = form.cleaned_data["start_date"]
            self._run(
                request,
                [order],
                lambda o: order_confirm(order=o, start_date=start, by=request.user),
                confirmed_message,
            )
        return redirect(reverse("admin:licensing_order_change", args=[order.pk]))

    def reject_view(self, request, order_id: int):
        """The reject button of the order page: reason in, order rejected."""
        if request.method != "POST" or not self.has_confirm_order_permission(request):
            raise PermissionDenied
        order = get_object_or_404(Order, pk=order_id)
        form = OrderRejectForm(request.POST)
        if not form.is_valid():
            self.message_user(request, form_errors_text(form), messages.ERROR)
        else:
            reason = form.cleaned_data["reason"]
            self._run(
                request,
                [order],
                lambda o: order_reject(order=o, reason=reason, by=request.user),
                rejected_message,
            )
        return redirect(reverse("admin:licensing_order_change", args=[order.pk]))

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_school_count=Count("schools"))

    def has_add_permission(self, request) -> bool:
        # Orders come from the registration list (portal or import_anmeldeliste).
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("Status"), ordering="status")
    def status_text(self, obj: Order) -> str:
        if obj.cancellation_effective_on:
            return gettext("%(status)s, gekündigt zum %(date)s") % {
                "status": obj.get_status_display(),
                "date": date_format(obj.cancellation_effective_on, "d.m.Y"),
            }
        return obj.get_status_display()

    @admin.display(description=_("bestellt am"), ordering="submitted_at")
    def submitted_on(self, obj: Order) -> str:
        return date_format(timezone.localtime(obj.submitted_at), "d.m.Y")

    @admin.display(description=_("Lizenzbeginn"), ordering="start_date")
    def start_date_text(self, obj: Order) -> str:
        return date_format(obj.start_date, "d.m.Y") if obj.start_date else "–"

    @admin.display(description=_("Schulen"), ordering="_school_count")
    def school_count(self, obj: Order) -> int:
        return obj._school_count

    @admin.display(description=_("Rechnungen und Erstattungen"))
    def documents(self, obj: Order):
        # Invoicing sits above licensing: its documents are reached through the
        # reverse relations it declares, without importing it.
        invoices = obj.invoices.order_by("created_at")
        superseded = IndividualLicence.objects.filter(
            superseded_by__order=obj, refund__isnull=False
        ).select_related("refund__school")
        links = [
            (
                invoice.admin_url,
                f"{invoice.get_kind_display()} {invoice}",
                invoice.get_status_display(),
            )
            for invoice in invoices
        ] + [
            (
                lic.refund.admin_url,
                f"{lic.refund._meta.verbose_name} {lic.refund} ({lic.refund.school})",
                lic.refund.get_status_display(),
            )
            for lic in superseded
        ]
        if not links:
            return "–"
        return format_html(
            "<ul>{}</ul>", format_html_join("", '<li><a href="{}">{}</a> – {}</li>', links)
        )

    @admin.display(description=_("E-Mails"))
    def mails(self, obj: Order):
        total = obj.mails.count()
        unsent = obj.mails.filter(sent_at=None).count()
        url = reverse("admin:licensing_outgoingmail_changelist") + f"?order__id__exact={obj.pk}"
        return format_html(
            '<a href="{}">{}</a>',
            url,
            gettext("%(total)s E-Mails, davon %(unsent)s nicht gesendet")
            % {"total": total, "unsent": unsent},
        )

    def _run(self, request, queryset, call, success) -> None:
        for order in queryset:
            try:
                result = call(order)
            except ValidationError as exc:
                self.message_user(request, exc.messages[0], messages.ERROR)
            else:
                self.message_user(request, success(order, result), messages.SUCCESS)

    def has_confirm_order_permission(self, request) -> bool:
        return request.user.has_perm("licensing.confirm_order")

    def has_cancel_order_permission(self, request) -> bool:
        return request.user.has_perm("licensing.cancel_order")

    @admin.action(
        description=_("Ausgewählte Bestellungen bestätigen und freischalten"),
        permissions=["confirm_order"],
    )
    def confirm_orders(self, request, queryset):
        form = OrderConfirmForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            start = form.cleaned_data["start_date"]
            self._run(
                request,
                queryset,
                lambda order: order_confirm(order=order, start_date=start, by=request.user),
                confirmed_message,
            )
            return None
        return action_form_page(
            self,
            request,
            queryset,
            form=form,
            action="confirm_orders",
            title=gettext("Bestellungen bestätigen"),
            submit_label=gettext("Bestätigen und freischalten"),
            intro=gettext(
                "Die Lizenzen der folgenden Bestellungen beginnen am gewählten Tag. Das erste "
                "Nutzungsjahr wird angelegt, Einzellizenzen der Schulen werden ersetzt, der "
                "Rechnungsentwurf entsteht, und jede Schule erhält die Freischaltungs-E-Mail."
            ),
        )

    @admin.action(
        description=_("Ausgewählte Bestellungen ablehnen (mit Begründung)"),
        permissions=["confirm_order"],
    )
    def reject_orders(self, request, queryset):
        form = OrderRejectForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            self._run(
                request,
                queryset,
                lambda order: order_reject(order=order, reason=reason, by=request.user),
                rejected_message,
            )
            return None
        return action_form_page(
            self,
            request,
            queryset,
            form=form,
            action="reject_orders",
            title=gettext("Bestellungen ablehnen"),
            submit_label=gettext("Ablehnen"),
            intro=gettext(
                "Die folgenden Bestellungen werden abgelehnt. Der Käufer erhält die Begründung "
                "per E-Mail."
            ),
        )

    @admin.action(
        description=_("Ausgewählte Bestellungen zum Ende des Nutzungsjahres kündigen"),
        permissions=["cancel_order"],
    )
    def cancel_orders(self, request, queryset):
        self._run(
            request,
            queryset,
            lambda order: order_cancel(order=order, by=request.user),
            lambda order, effective: (
                gettext("Bestellung %(id)s gekündigt zum %(date)s.")
                % {"id": order.pk, "date": date_format(effective, "d.m.Y")}
            ),
        )

    @admin.action(
        description=_("Kündigung der ausgewählten Bestellungen zurücknehmen"),
        permissions=["cancel_order"],
    )
    def withdraw_cancellations(self, request, queryset):
        self._run(
            request,
            queryset,
            lambda order: order_cancellation_withdraw(order=order, by=request.user),
            lambda order, _result: (
                gettext("Kündigung von Bestellung %(id)s zurückgenommen.") % {"id": order.pk}
            ),
        )


def confirmed_message(order: Order, year: LicenceYear) -> str:
    return gettext(
        "Bestellung %(id)s bestätigt: Nutzungsjahr %(start)s bis %(end)s; die "
        "Schulen erhalten die Freischaltungs-E-Mail."
    ) % {
        "id": order.pk,
        "start": date_format(year.start_date, "d.m.Y"),
        "end": date_format(year.end_date, "d.m.Y"),
    }


def rejected_message(order: Order, _result) -> str:
    return gettext("Bestellung %(id)s abgelehnt; der Käufer erhält die Begründung per E-Mail.") % {
        "id": order.pk
    }


def form_errors_text(form: forms.Form) -> str:
    return " ".join(
        f"{form.fields[name].label}: {' '.join(errors)}" for name, errors in form.errors.items()
    )


def order_page_context(model_admin, request, order: Order) -> dict:
    """What the order page shows besides its fields: the yearly price, the confirm
    and reject forms (for those allowed to), one page of its schools."""
    schools = Paginator(
        OrderSchool.objects.filter(order=order)
        .select_related("school__school_type")
        .order_by("school__school_number"),
        model_admin.schools_per_page,
    ).get_page(request.GET.get("schulen_seite"))
    can_decide = order.can_confirm and model_admin.has_confirm_order_permission(request)
    return {
        "prices": order_prices(order=order, on=clock.today()),
        "schools_page": schools,
        "can_correct_contacts": request.user.has_perm("licensing.change_orderschool"),
        "confirm_form": OrderConfirmForm() if can_decide else None,
        "reject_form": OrderRejectForm() if can_decide else None,
    }


class OrderConfirmForm(forms.Form):
    start_date = forms.DateField(
        label=_("Lizenzbeginn"),
        help_text=_("Heute oder ein späterer Tag, z. B. der 1. August. Format TT.MM.JJJJ."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["start_date"].initial = clock.today()
        self.fields["start_date"].input_formats = ["%Y-%m-%d", "%d.%m.%Y"]


class OrderRejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Ablehnungsgrund"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Der Käufer erhält diesen Text per E-Mail."),
    )


@admin.register(OrderSchool)
class OrderSchoolAdmin(admin.ModelAdmin):
    list_display = ["school", "order", "contact_name", "contact_email", "activated_at"]
    search_fields = ["school__school_number", "school__name", "contact_last_name", "contact_email"]
    list_select_related = ["school", "order__product", "order__authority"]
    readonly_fields = [
        "order",
        "school",
        "row_number",
        "activated_at",
        "activation_email_sent_at",
        "contact_anonymised_at",
    ]
    fields = [
        "order",
        "school",
        "row_number",
        "contact_first_name",
        "contact_last_name",
        "contact_email",
        "contact_phone",
        *readonly_fields[3:],
    ]

    def response_change(self, request, obj):
        """Back to the order page after correcting a contact person from there."""
        if "_continue" in request.POST or "_saveasnew" in request.POST:
            return super().response_change(request, obj)
        self.message_user(
            request,
            gettext("Ansprechpartner von %(school)s gespeichert.") % {"school": obj.school},
            messages.SUCCESS,
        )
        return redirect(reverse("admin:licensing_order_change", args=[obj.order_id]))

    list_filter = [("activated_at", admin.EmptyFieldListFilter), "order__status"]
    actions = ["activate_schools", "download_contact_person_export"]

    def has_add_permission(self, request) -> bool:
        # Created only by the registration list and the lifecycle services.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_confirm_order_permission(self, request) -> bool:
        return request.user.has_perm("licensing.confirm_order")

    @admin.action(
        description=_("Ausgewählte Schulen freischalten (Freischaltungs-E-Mail)"),
        permissions=["confirm_order"],
    )
    def activate_schools(self, request, queryset):
        for entry in queryset:
            try:
                school_activate(order_school=entry, by=request.user)
            except ValidationError as exc:
                self.message_user(request, exc.messages[0], messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("%(school)s ist freigeschaltet.") % {"school": entry.school},
                    messages.SUCCESS,
                )

    @admin.action(
        description=_("Datenauskunft der Ansprechpartner herunterladen (JSON)"),
        permissions=["change"],
    )
    def download_contact_person_export(self, request, queryset):
        """Everything stored about the selected contact persons (Art. 15 DSGVO)."""
        emails = sorted({e.lower() for e in queryset.values_list("contact_email", flat=True)})
        exports = [contact_person_export(email=email) for email in emails]
        body = exports[0] if len(exports) == 1 else {"exports": exports}
        return private_download(
            json.dumps(body, ensure_ascii=False, indent=2).encode(),
            filename="datenauskunft.json",
            content_type="application/json",
        )


@admin.register(LicenceYear)
class LicenceYearAdmin(admin.ModelAdmin):
    list_display = ["order", "number", "start_date", "end_date", "renewal_notice_sent_at"]
    list_filter = ["start_date"]
    search_fields = ["order__id", "order__authority__name"]
    list_select_related = ["order__authority", "order__product"]
    readonly_fields = ["order", "number", "start_date", "end_date", "renewal_notice_sent_at"]

    def has_add_permission(self, request) -> bool:
        # Created only by the registration list and the lifecycle services.
        return False

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

    def has_add_permission(self, request) -> bool:
        # Created only by the registration list and the lifecycle services.
        return False

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
    readonly_fields = ["status", "superseded_by", "superseded_on", "refund_link"]

    def get_readonly_fields(self, request, obj=None):
        # The model refuses changes to a superseded licence (R8); the form shows
        # it read-only.
        if obj is not None and obj.is_frozen:
            return [f.name for f in self.model._meta.fields] + ["refund_link"]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.status == IndividualLicence.Status.ACTIVE)

    @admin.display(description=_("Erstattung"))
    def refund_link(self, obj: IndividualLicence):
        refund = getattr(obj, "refund", None) if obj.pk else None
        if refund is None:
            if obj.is_frozen:
                return gettext("keine (3 Monate oder weniger Restlaufzeit)")
            return "–"
        return format_html(
            '<a href="{}">{}</a> – {}',
            refund.admin_url,
            refund,
            refund.get_status_display(),
        )


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
        "download",
        "original_filename",
        "file_sha256",
        "is_valid",
        "is_draft",
        "result",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description=_("Datei"))
    def download(self, obj: RegistrationUpload) -> str:
        if not obj.pk or not obj.file:
            return "–"
        url = reverse("admin:licensing_registrationupload_download", args=[obj.pk])
        return format_html(
            '<a href="{}">{}</a>',
            url,
            _("„%(name)s“ herunterladen") % {"name": obj.original_filename},
        )

    def get_urls(self):
        urls = [
            path(
                "<uuid:upload_id>/datei/",
                self.admin_site.admin_view(self.download_view),
                name="licensing_registrationupload_download",
            )
        ]
        return urls + super().get_urls()

    def download_view(self, request, upload_id):
        """The stored original list for the publisher's staff (view permission)."""
        upload = get_object_or_404(RegistrationUpload, pk=upload_id)
        if not self.has_view_permission(request, upload):
            raise PermissionDenied
        return upload_file_response(request, upload)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class DeliveryFilter(admin.SimpleListFilter):
    """Mails not sent although the worker tried (the last error says why)."""

    title = _("Zustellung")
    parameter_name = "zustellung"

    def lookups(self, request, model_admin):
        return [("fehlgeschlagen", _("fehlgeschlagen"))]

    def queryset(self, request, queryset):
        if self.value() == "fehlgeschlagen":
            return queryset.filter(sent_at__isnull=True, attempts__gt=0)
        return queryset


@admin.register(OutgoingMail)
class OutgoingMailAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "subject_text", "recipients", "sent_at", "attempts"]
    list_filter = ["kind", ("sent_at", admin.EmptyFieldListFilter), DeliveryFilter]
    search_fields = ["subject", "key"]
    fields = [
        "key",
        "kind",
        "order",
        "order_school",
        "to",
        "subject",
        "body",
        "created_at",
        "sent_at",
        "attempts",
        "last_error",
    ]
    readonly_fields = fields

    @admin.display(description=_("Betreff"), ordering="subject")
    def subject_text(self, obj: OutgoingMail) -> str:
        # Activation mails are written by the sending task (large orders).
        return obj.subject or gettext("(wird beim Versand geschrieben)")

    @admin.display(description=_("Empfänger"))
    def recipients(self, obj: OutgoingMail) -> str:
        return ", ".join(obj.to)


admin.site.site_header = _("Lizenzportal – Verwaltung")
admin.site.site_title = _("Lizenzportal")
admin.site.index_title = _("Verwaltung für den Verlag")
