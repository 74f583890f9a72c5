"""Paying refunds out in the admin (Buchhaltung, permission
``invoicing.pay_out_refunds``): enter a school's account for a refund (action on
„Erstattungen“), make the SEPA credit transfer file of every due refund
(„SEPA-Überweisungsdatei hinzufügen“), download it, and mark its refunds paid
out with the day the bank executed it."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from config.admin_actions import action_form_page, apply_to_each
from config.downloads import private_download
from invoicing.documents import document_read
from invoicing.forms import RefundAccountForm
from invoicing.models import RefundTransfer
from invoicing.payouts import (
    refund_account_save,
    refund_transfer_create,
    refund_transfer_mark_paid,
    refund_transfer_withdraw,
)
from invoicing.selectors import refunds_due_for_transfer

PERMISSION = "invoicing.pay_out_refunds"


def euro(amount) -> str:
    return f"{number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)} €"


def can_pay_out(request) -> bool:
    return request.user.has_perm(PERMISSION)


@admin.action(
    description=gettext_lazy("Konto für die Auszahlung angeben …"), permissions=["pay_out_refunds"]
)
def enter_account(modeladmin, request, queryset):
    """Staff enter (or correct, until it is in a transfer file) the account of one
    refund; the BIC is derived from the IBAN."""
    if not can_pay_out(request):
        raise PermissionDenied
    if queryset.count() != 1:
        modeladmin.message_user(
            request, _("Bitte wählen Sie genau eine Erstattung aus."), messages.ERROR
        )
        return None
    refund = queryset.get()
    form = RefundAccountForm(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        try:
            payout = refund_account_save(
                refund=refund,
                holder=form.cleaned_data["account_holder"],
                iban=form.cleaned_data["iban"],
                by=request.user,
                staff=True,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            modeladmin.message_user(
                request,
                _("Konto für Erstattung %(number)s gespeichert: %(holder)s, IBAN %(iban)s.")
                % {"number": refund.number, "holder": payout.account_holder, "iban": payout.iban},
            )
            return HttpResponseRedirect(request.get_full_path())
    return action_form_page(
        modeladmin,
        request,
        queryset,
        form=form,
        action="enter_account",
        title=_("Konto für die Auszahlung angeben"),
        submit_label=_("Konto speichern"),
    )


class ExecutionForm(forms.Form):
    execution_date = forms.DateField(
        label=gettext_lazy("Ausführungsdatum"), initial=timezone.localdate
    )


class TransferWithdrawForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Grund (z. B. Ablehnung der Bank)"),
        max_length=200,
        help_text=gettext_lazy(
            "Die Erstattungen der Datei werden wieder fällig: Konto bei Bedarf korrigieren "
            "und eine neue Datei erstellen."
        ),
    )


class TransferPaidForm(forms.Form):
    paid_out_on = forms.DateField(
        label=gettext_lazy("ausgeführt (ausgezahlt) am"), initial=timezone.localdate
    )


@admin.register(RefundTransfer)
class RefundTransferAdmin(admin.ModelAdmin):
    list_display = [
        "message_id",
        "created_at",
        "execution_date",
        "count",
        "total",
        "paid_out_on",
        "withdrawn_at",
        "download",
    ]
    readonly_fields = [
        "message_id",
        "created_at",
        "created_by",
        "execution_date",
        "count",
        "total",
        "file_sha256",
        "paid_out_on",
        "withdrawn_at",
        "withdrawn_by",
        "withdrawn_reason",
        "withdrawn_refunds",
        "download",
        "refunds",
    ]
    fields = readonly_fields
    actions = ["mark_paid", "withdraw"]

    def has_add_permission(self, request) -> bool:
        return can_pay_out(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and can_pay_out(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        if not can_pay_out(request):
            actions.pop("mark_paid", None)
            actions.pop("withdraw", None)
        return actions

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return shown if can_pay_out(request) else [f for f in shown if f != "download"]

    def get_fields(self, request, obj=None):
        shown = super().get_fields(request, obj)
        return shown if can_pay_out(request) else [f for f in shown if f != "download"]

    def get_urls(self):
        return [
            path(
                "<int:object_id>/datei.xml",
                self.admin_site.admin_view(self.file_view),
                name="invoicing_refundtransfer_file",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=gettext_lazy("Datei"))
    def download(self, obj):
        url = reverse("admin:invoicing_refundtransfer_file", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("pain.001 herunterladen"))

    @admin.display(description=gettext_lazy("Erstattungen"))
    def refunds(self, obj):
        items = obj.payouts.select_related("refund").order_by("refund__number")
        return ", ".join(
            f"{p.refund.number} ({euro(p.refund.gross_amount)}, {p.iban})" for p in items
        )

    def file_view(self, request, object_id: int):
        """The pain.001 file is a payment order the bank executes as uploaded: only
        staff who may pay refunds out get it (viewers see the list, not the file)."""
        if not can_pay_out(request):
            raise PermissionDenied
        transfer = get_object_or_404(RefundTransfer, pk=object_id)
        return private_download(
            document_read(transfer.file),
            content_type="application/xml",
            filename=f"SEPA-Erstattungen-{transfer.execution_date:%Y-%m-%d}.xml",
        )

    def add_view(self, request, form_url="", extra_context=None):
        """Make one file with every due refund (issued, with account, in no file)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        due = list(refunds_due_for_transfer())
        form = ExecutionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                transfer = refund_transfer_create(
                    execution_date=form.cleaned_data["execution_date"], by=request.user
                )
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("SEPA-Datei mit %(count)s Erstattungen über %(total)s erstellt.")
                    % {"count": transfer.count, "total": euro(transfer.total)},
                )
                return HttpResponseRedirect(
                    reverse("admin:invoicing_refundtransfer_change", args=[transfer.pk])
                )
        return TemplateResponse(
            request,
            "admin/invoicing/refund_transfer_create.html",
            {
                **self.admin_site.each_context(request),
                "title": _("SEPA-Überweisungsdatei für fällige Erstattungen"),
                "opts": self.opts,
                "form": form,
                "due": due,
                "total": euro(sum((refund.gross_amount for refund in due), 0)),
            },
        )

    def has_pay_out_refunds_permission(self, request) -> bool:
        return can_pay_out(request)

    @admin.action(
        description=gettext_lazy("Als ausgezahlt markieren …"), permissions=["pay_out_refunds"]
    )
    def mark_paid(self, request, queryset):
        def paid(transfer, data):
            day = data["paid_out_on"]
            refund_transfer_mark_paid(transfer=transfer, paid_out_on=day, by=request.user)
            return ngettext(
                "%(count)s Erstattung als ausgezahlt am %(date)s erfasst.",
                "%(count)s Erstattungen als ausgezahlt am %(date)s erfasst.",
                transfer.count,
            ) % {"count": transfer.count, "date": day.strftime("%d.%m.%Y")}

        return apply_to_each(
            self,
            request,
            queryset,
            form_class=TransferPaidForm,
            apply=paid,
            page={
                "action": "mark_paid",
                "title": _("Erstattungen der SEPA-Datei als ausgezahlt markieren"),
                "submit_label": _("Als ausgezahlt markieren"),
            },
        )

    @admin.action(
        description=gettext_lazy("Von der Bank abgelehnt: Datei zurücknehmen …"),
        permissions=["pay_out_refunds"],
    )
    def withdraw(self, request, queryset):
        def withdrawn(transfer, data):
            refund_transfer_withdraw(transfer=transfer, reason=data["reason"], by=request.user)
            return ngettext(
                "Überweisungsdatei %(id)s zurückgenommen: %(count)s Erstattung ist wieder "
                "zur Auszahlung fällig.",
                "Überweisungsdatei %(id)s zurückgenommen: %(count)s Erstattungen sind wieder "
                "zur Auszahlung fällig.",
                transfer.count,
            ) % {"id": transfer.message_id, "count": transfer.count}

        return apply_to_each(
            self,
            request,
            queryset,
            form_class=TransferWithdrawForm,
            apply=withdrawn,
            page={
                "action": "withdraw",
                "title": _("SEPA-Überweisungsdatei zurücknehmen"),
                "submit_label": _("Datei zurücknehmen"),
                "intro": _(
                    "Nur für Dateien, die die Bank abgelehnt oder nicht ausgeführt hat. Die "
                    "Datei bleibt zur Nachweisführung gespeichert."
                ),
            },
        )
