"""The publisher's staff run invoicing here: invoices, cancellation invoices, refunds
and payments. Issued documents are read-only and nothing is ever deleted; every
change goes through a service (issue, cancel and reissue, resend, record a payment,
mark a refund paid out)."""

import datetime
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config import clock
from config.admin_actions import action_form_page, apply_to_each
from config.downloads import private_download
from invoicing import (
    bank_admin,  # noqa: F401  (registers the bank statement admin)
    payout_admin,  # registers the SEPA transfer admin
)
from invoicing.cancellation import invoice_cancel_and_reissue
from invoicing.documents import CONTENT_TYPES, document_read, download_name
from invoicing.issuing import invoice_issue, invoice_resend
from invoicing.models import (
    CancellationInvoice,
    Credit,
    DocumentCounter,
    Invoice,
    InvoiceLine,
    Payment,
    Refund,
)
from invoicing.payments import credit_mark_paid_back, payment_record, payment_resolve
from invoicing.refunds import refund_mark_paid_out
from invoicing.selectors import REFUND_ACCOUNT_WAIT_DAYS, refunds_without_account


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

    def has_change_permission(self, request, obj=None) -> bool:
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
        "attention",
        "recorded_by",
    ]
    fields = readonly_fields

    @admin.display(description=gettext_lazy("zu klären"))
    def attention(self, payment: Payment):
        return attention_text(payment)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class OverdueFilter(admin.SimpleListFilter):
    title = gettext_lazy("überfällig")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("überfällig")), ("no", _("nicht überfällig"))]

    def queryset(self, request, queryset):
        overdue = Q(status=Invoice.Status.ISSUED, overdue_since__isnull=False)
        if self.value() == "yes":
            return queryset.filter(overdue)
        if self.value() == "no":
            return queryset.exclude(overdue)
        return queryset


class ReminderFilter(admin.SimpleListFilter):
    """Unpaid invoices by reminder level; "nach letzter Erinnerung" is the list
    staff work through (no automatic debt collection)."""

    title = gettext_lazy("Zahlungserinnerung")
    parameter_name = "reminder"

    def lookups(self, request, model_admin):
        return [("first", _("erste verschickt")), ("last", _("nach letzter Erinnerung offen"))]

    def queryset(self, request, queryset):
        unpaid = Q(status=Invoice.Status.ISSUED, reminder_sent_at__isnull=False)
        if self.value() == "first":
            return queryset.filter(unpaid, second_reminder_sent_at__isnull=True)
        if self.value() == "last":
            return queryset.filter(unpaid, second_reminder_sent_at__isnull=False)
        return queryset


class AccountFilter(admin.SimpleListFilter):
    """Refunds by the account to pay them to; "fehlt30" is the work queue's list
    (issued, no account 30 days after the document's date)."""

    title = gettext_lazy("Konto")
    parameter_name = "konto"

    def lookups(self, request, model_admin):
        return [
            ("fehlt30", _("fehlt seit 30 Tagen")),
            ("fehlt", _("fehlt")),
            ("ja", _("angegeben")),
        ]

    def queryset(self, request, queryset):
        known = Q(payout__iban__gt="")
        if self.value() == "fehlt30":
            late = refunds_without_account(on=clock.today(), days=REFUND_ACCOUNT_WAIT_DAYS)
            return queryset.filter(pk__in=late.values("pk"))
        if self.value() == "fehlt":
            return queryset.exclude(known)
        if self.value() == "ja":
            return queryset.filter(known)
        return queryset


class SentFilter(admin.SimpleListFilter):
    """Issued documents whose e-mail to the buyer has not gone out (yet): the
    sending failed or the worker has not run."""

    title = gettext_lazy("Versand")
    parameter_name = "sent"

    def lookups(self, request, model_admin):
        return [("yes", _("versendet")), ("no", _("gestellt, nicht versendet"))]

    def queryset(self, request, queryset):
        issued = queryset.exclude(status=Invoice.Status.DRAFT)
        if self.value() == "yes":
            return issued.filter(sent_at__isnull=False)
        if self.value() == "no":
            return issued.filter(sent_at__isnull=True)
        return queryset


class IssueDueFilter(admin.SimpleListFilter):
    """Drafts the nightly run will issue within the next days (or should have)."""

    title = gettext_lazy("zu stellen")
    parameter_name = "zu_stellen"

    def lookups(self, request, model_admin):
        return [("7", _("Entwürfe, fällig in den nächsten 7 Tagen"))]

    def queryset(self, request, queryset):
        if self.value() == "7":
            horizon = clock.today() + datetime.timedelta(days=7)
            return queryset.filter(status=Invoice.Status.DRAFT, issue_due_on__lte=horizon)
        return queryset


def attention_text(payment: Payment):
    """A warning where a payment is to be clarified, nothing where all is well (a
    boolean column would show a green tick on the flagged payment)."""
    if payment.needs_attention:
        return format_html('<strong class="attention">⚠ {}</strong>', _("zu klären"))
    if payment.resolved_at:
        return _("geklärt")
    return "–"


def short_date(value) -> str:
    if value is None:
        return "–"
    if hasattr(value, "tzinfo"):
        value = timezone.localtime(value)
    return value.strftime("%d.%m.%Y")


class IssueProblemsFilter(admin.SimpleListFilter):
    """Drafts that could not be issued: billing data incomplete or the e-invoice
    broke a rule (``issue_problems`` names the rule ids); no number drawn."""

    title = gettext_lazy("Regelprüfung")
    parameter_name = "regelpruefung"

    def lookups(self, request, model_admin):
        return [("nicht_bestanden", _("nicht bestanden (Entwurf nicht gestellt)"))]

    def queryset(self, request, queryset):
        if self.value() == "nicht_bestanden":
            return queryset.filter(status=Invoice.Status.DRAFT).exclude(issue_problems="")
        return queryset


def euro(amount) -> str:
    """An amount as German staff read it: 53.643,38 €."""
    return f"{number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)} €"


class IssueYearFilter(admin.SimpleListFilter):
    title = gettext_lazy("Jahr")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        dates = model_admin.get_queryset(request).dates("issue_date", "year", order="DESC")
        return [(str(d.year), str(d.year)) for d in dates]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(issue_date__year=int(self.value()))
        return queryset


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Grund der Stornierung"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Erscheint auf der Stornorechnung und im Protokoll."),
    )


class PaymentForm(forms.Form):
    amount = forms.DecimalField(
        label=gettext_lazy("Betrag (€)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        localize=True,
    )
    paid_on = forms.DateField(label=gettext_lazy("Zahlungsdatum"), initial=timezone.localdate)
    reference = forms.CharField(
        label=gettext_lazy("Verwendungszweck / Referenz"), max_length=200, required=False
    )


class ResolveForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Wie wurde die Zahlung geklärt?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("z. B. „Überzahlung von 10,00 € am 03.12. zurücküberwiesen“"),
    )


class PaidOutForm(forms.Form):
    paid_out_on = forms.DateField(label=gettext_lazy("ausgezahlt am"), initial=timezone.localdate)


class PaidBackForm(forms.Form):
    paid_back_on = forms.DateField(
        label=gettext_lazy("zurückgezahlt am"), initial=timezone.localdate
    )


class ReadOnlyDocumentAdmin(admin.ModelAdmin):
    """Documents are shown, never edited here: every change goes through an action
    that calls a service. The change page is a view-only page (no save button, a
    POST is refused); no add, no delete. The stored PDF and XML can be downloaded
    byte for byte as issued."""

    def get_readonly_fields(self, request, obj=None):
        return [*(f.name for f in self.model._meta.fields), "document_links", "seller_address"]

    def get_fields(self, request, obj=None):
        fields = [
            "seller_address" if f.name == "seller" else f.name
            for f in self.model._meta.fields
            if f.name not in ("pdf", "xml")
        ]
        return [*fields, "document_links"]

    @admin.display(description=gettext_lazy("Verkäufer"))
    def seller_address(self, obj):
        """The seller as printed on the document, as an address (not raw JSON)."""
        seller = obj.seller or {}
        lines = [
            seller.get("name", ""),
            seller.get("street", ""),
            f"{seller.get('postal_code', '')} {seller.get('city', '')}".strip(),
            seller.get("vat_id", "") and _("USt-IdNr. %(id)s") % {"id": seller["vat_id"]},
        ]
        lines = [line for line in lines if line]
        if not lines:
            return "–"
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # The list (and its actions) needs the model permission; a single document
        # is only ever viewed.
        if obj is not None:
            return False
        return super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<int:object_id>/beleg.<str:kind>",
                self.admin_site.admin_view(self.document_view),
                name=f"{info[0]}_{info[1]}_document",
            ),
            *super().get_urls(),
        ]

    def document_view(self, request, object_id: int, kind: str):
        """The stored PDF or XML of an issued document, unchanged."""
        if kind not in CONTENT_TYPES or not self.has_view_permission(request):
            raise Http404
        document = get_object_or_404(self.get_queryset(request), pk=object_id)
        field = document.pdf if kind == "pdf" else document.xml
        if not field:
            raise Http404
        return private_download(
            document_read(field),
            filename=download_name(document, kind),
            content_type=CONTENT_TYPES[kind],
        )

    @admin.display(description=gettext_lazy("Belege"))
    def document_links(self, obj):
        if obj is None or not obj.pk or not obj.pdf:
            return _("noch keine (Entwurf)")
        name = f"admin:{self.opts.app_label}_{self.opts.model_name}_document"
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse(name, args=[obj.pk, "pdf"]),
            _("PDF herunterladen"),
            reverse(name, args=[obj.pk, "xml"]),
            _("E-Rechnung (XML) herunterladen"),
        )


def cancel_message(original: Invoice, cancellation: Invoice, new: Invoice) -> str:
    """What cancel-and-reissue did, for the staff member who did it."""
    done = _("%(original)s storniert mit Stornorechnung %(cancellation)s; ") % {
        "original": original.number,
        "cancellation": cancellation.number,
    }
    if new.is_draft:
        return done + _("neuer Entwurf wird am %(date)s gestellt.") % {
            "date": new.issue_due_on.strftime("%d.%m.%Y")
        }
    if new.number:
        done += _("neue Rechnung %(number)s gestellt (%(status)s). ") % {
            "number": new.number,
            "status": new.status_label,
        }
    credit = original.credits.first()
    if credit:
        done += _("%(amount)s sind als Guthaben an den Käufer zurückzuzahlen.") % {
            "amount": euro(credit.amount)
        }
    return done.strip()


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyDocumentAdmin):
    # Fits 1280 px: the dates that matter, the amount, and one status column that
    # says everything (draft with its issue day, overdue since, paid on).
    list_display = [
        "__str__",
        "authority",
        "issue_date_text",
        "due_date_text",
        "gross_text",
        "status_text",
        "sent_text",
    ]
    list_filter = [
        "status",
        IssueDueFilter,
        IssueProblemsFilter,
        OverdueFilter,
        ReminderFilter,
        SentFilter,
        IssueYearFilter,
        "authority",
    ]
    search_fields = ["number", "authority__name", "authority__customer_number", "buyer_name"]
    list_select_related = ["authority"]
    date_hierarchy = "issue_date"
    inlines = [InvoiceLineInline, PaymentInline]
    actions = ["issue_now", "cancel_and_reissue", "resend", "record_payment"]
    kind = Invoice.Kind.INVOICE

    def get_queryset(self, request):
        return super().get_queryset(request).filter(kind=self.kind)

    @admin.display(description=gettext_lazy("Rechnungsdatum"), ordering="issue_date")
    def issue_date_text(self, invoice: Invoice) -> str:
        return short_date(invoice.issue_date)

    @admin.display(description=gettext_lazy("fällig am"), ordering="due_date")
    def due_date_text(self, invoice: Invoice) -> str:
        return short_date(invoice.due_date)

    @admin.display(description=gettext_lazy("Brutto"), ordering="gross_total")
    def gross_text(self, invoice: Invoice) -> str:
        return euro(invoice.gross_total)

    @admin.display(description=gettext_lazy("Status"), ordering="status")
    def status_text(self, invoice: Invoice) -> str:
        if invoice.is_draft and invoice.issue_due_on:
            return _("Entwurf – wird am %(date)s gestellt") % {
                "date": short_date(invoice.issue_due_on)
            }
        return invoice.status_label

    @admin.display(description=gettext_lazy("versendet"), ordering="sent_at")
    def sent_text(self, invoice: Invoice) -> str:
        return short_date(invoice.sent_at)

    def has_issue_invoice_permission(self, request) -> bool:
        return request.user.has_perm("invoicing.issue_invoice")

    def has_cancel_invoice_permission(self, request) -> bool:
        return request.user.has_perm("invoicing.cancel_invoice")

    def has_record_payment_permission(self, request) -> bool:
        return request.user.has_perm("invoicing.record_payment")

    @admin.action(
        description=gettext_lazy("Ausgewählte Entwürfe jetzt stellen"),
        permissions=["issue_invoice"],
    )
    def issue_now(self, request, queryset):
        issued = 0
        selected = list(queryset)
        drafts = [invoice for invoice in selected if invoice.can_issue]
        skipped = len(selected) - len(drafts)
        for invoice in drafts:
            try:
                invoice_issue(invoice=invoice, by=request.user)
                issued += 1
            except ValidationError as error:
                self.message_user(request, f"{invoice}: {' '.join(error.messages)}", messages.ERROR)
        if issued:
            self.message_user(request, _("%(count)d Rechnung(en) gestellt.") % {"count": issued})
        if skipped:
            self.message_user(
                request,
                _("%(count)d ausgewählte Rechnung(en) waren schon gestellt.") % {"count": skipped},
                messages.WARNING,
            )

    @admin.action(
        description=gettext_lazy("Stornieren und neu erstellen …"), permissions=["cancel_invoice"]
    )
    def cancel_and_reissue(self, request, queryset):
        form = CancelForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            for invoice in queryset:
                try:
                    cancellation, new = invoice_cancel_and_reissue(
                        invoice=invoice, by=request.user, reason=form.cleaned_data["reason"]
                    )
                except ValidationError as error:
                    self.message_user(
                        request, f"{invoice}: {' '.join(error.messages)}", messages.ERROR
                    )
                    continue
                self.message_user(request, cancel_message(invoice, cancellation, new))
            return HttpResponseRedirect(request.get_full_path())
        return action_form_page(
            self,
            request,
            queryset,
            form=form,
            action="cancel_and_reissue",
            title=_("Rechnungen stornieren und neu erstellen"),
            submit_label=_("Stornieren und neu erstellen"),
        )

    @admin.action(
        description=gettext_lazy("Erneut an den Käufer senden"), permissions=["issue_invoice"]
    )
    def resend(self, request, queryset):
        sent = 0
        selected = list(queryset)
        drafts = sum(1 for invoice in selected if not invoice.can_send)
        for invoice in selected:
            if invoice.can_send:
                invoice_resend(invoice=invoice, by=request.user)
                sent += 1
        if sent:
            self.message_user(
                request, _("%(count)d Beleg(e) werden erneut gesendet.") % {"count": sent}
            )
        if drafts:
            self.message_user(
                request,
                _("%(count)d Entwurf/Entwürfe nicht gesendet: Entwürfe werden erst gestellt.")
                % {"count": drafts},
                messages.WARNING,
            )

    @admin.action(description=gettext_lazy("Zahlung erfassen …"), permissions=["record_payment"])
    def record_payment(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(
                request, _("Bitte genau eine Rechnung für die Zahlung auswählen."), messages.ERROR
            )
            return None
        invoice = queryset.get()
        form = PaymentForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            try:
                payment = payment_record(invoice=invoice, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
                return HttpResponseRedirect(request.get_full_path())
            level = messages.SUCCESS if not payment.needs_attention else messages.WARNING
            self.message_user(
                request,
                _("Zahlung über %(amount)s zu %(number)s erfasst: %(outcome)s.")
                % {
                    "amount": euro(payment.amount),
                    "number": invoice.number,
                    "outcome": payment.get_outcome_display(),
                },
                level,
            )
            return HttpResponseRedirect(request.get_full_path())
        return action_form_page(
            self,
            request,
            queryset,
            form=form,
            action="record_payment",
            title=_("Zahlung zu %(number)s erfassen (brutto %(gross)s)")
            % {"number": invoice.number, "gross": euro(invoice.gross_total)},
            submit_label=_("Zahlung erfassen"),
        )


@admin.register(CancellationInvoice)
class CancellationInvoiceAdmin(InvoiceAdmin):
    list_display = [
        "__str__",
        "cancels",
        "authority",
        "issue_date_text",
        "gross_text",
        "status",
        "sent_text",
    ]
    list_filter = ["status", SentFilter, IssueYearFilter, "authority"]
    list_select_related = ["authority", "cancels"]
    inlines = [InvoiceLineInline]
    actions = ["resend"]
    kind = Invoice.Kind.CANCELLATION


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["invoice", "amount_text", "paid_on", "reference", "outcome", "attention"]
    list_filter = ["outcome", "needs_attention", "invoice__authority"]
    search_fields = ["invoice__number", "reference"]
    list_select_related = ["invoice"]
    readonly_fields = [
        "invoice",
        "amount",
        "paid_on",
        "reference",
        "outcome",
        "recorded_by",
        "attention",
        "resolved_at",
        "resolution_note",
    ]
    fields = readonly_fields
    actions = ["resolve"]

    @admin.display(description=gettext_lazy("Betrag"), ordering="amount")
    def amount_text(self, payment: Payment) -> str:
        return euro(payment.amount)

    @admin.display(description=gettext_lazy("zu klären"), ordering="needs_attention")
    def attention(self, payment: Payment):
        return attention_text(payment)

    def has_record_payment_permission(self, request) -> bool:
        return request.user.has_perm("invoicing.record_payment")

    @admin.action(
        description=gettext_lazy("Zahlung als geklärt markieren …"),
        permissions=["record_payment"],
    )
    def resolve(self, request, queryset):
        form = ResolveForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            for payment in queryset:
                try:
                    payment_resolve(
                        payment=payment, note=form.cleaned_data["note"], by=request.user
                    )
                except ValidationError as error:
                    self.message_user(request, " ".join(error.messages), messages.ERROR)
                else:
                    self.message_user(
                        request,
                        _("Zahlung über %(amount)s zu %(number)s als geklärt markiert.")
                        % {"amount": euro(payment.amount), "number": payment.invoice.number},
                    )
            return HttpResponseRedirect(request.get_full_path())
        return action_form_page(
            self,
            request,
            queryset,
            form=form,
            action="resolve",
            title=_("Zahlungen als geklärt markieren"),
            submit_label=_("Als geklärt markieren"),
        )

    def has_add_permission(self, request) -> bool:
        # Payments are recorded with the action on the invoice, which settles it.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Credit)
class CreditAdmin(admin.ModelAdmin):
    """Money received beyond a corrected invoice: open until staff paid it back."""

    list_display = ["cancelled_invoice", "authority", "amount", "status", "new_invoice"]
    list_filter = ["status", "authority"]
    search_fields = ["cancelled_invoice__number", "authority__name"]
    list_select_related = ["cancelled_invoice", "authority", "new_invoice"]
    readonly_fields = [
        "authority",
        "cancelled_invoice",
        "new_invoice",
        "amount",
        "status",
        "created_at",
        "paid_back_on",
        "paid_back_by",
        "note",
    ]
    fields = readonly_fields
    actions = ["mark_paid_back"]

    def has_pay_out_refunds_permission(self, request) -> bool:
        return request.user.has_perm("invoicing.pay_out_refunds")

    @admin.action(
        description=gettext_lazy("Als zurückgezahlt markieren …"), permissions=["pay_out_refunds"]
    )
    def mark_paid_back(self, request, queryset):
        def paid_back(credit, data) -> str:
            credit_mark_paid_back(credit=credit, paid_back_on=data["paid_back_on"], by=request.user)
            return _("%(credit)s als zurückgezahlt erfasst.") % {"credit": credit}

        return apply_to_each(
            self,
            request,
            queryset,
            form_class=PaidBackForm,
            apply=paid_back,
            page={
                "action": "mark_paid_back",
                "title": _("Guthaben als zurückgezahlt markieren"),
                "submit_label": _("Als zurückgezahlt markieren"),
            },
        )

    def has_add_permission(self, request) -> bool:
        return False  # made by cancelling a paid invoice

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Refund)
class RefundAdmin(ReadOnlyDocumentAdmin):
    list_display = [
        "__str__",
        "school",
        "original_invoice_number",
        "gross_text",
        "status",
        "issue_date",
        "has_account",
        "paid_out_at",
    ]
    list_filter = ["status", AccountFilter, IssueYearFilter, "school__authority"]
    search_fields = ["number", "school__name", "school__school_number", "original_invoice_number"]
    list_select_related = ["school", "payout"]
    actions = ["mark_paid_out", payout_admin.enter_account]

    def get_fields(self, request, obj=None):
        return [*super().get_fields(request, obj), "payout_account"]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "payout_account"]

    @admin.display(description=gettext_lazy("Konto"), boolean=True)
    def has_account(self, obj) -> bool:
        payout = getattr(obj, "payout", None)
        return payout is not None and payout.has_account

    @admin.display(description=gettext_lazy("Konto für die Auszahlung"))
    def payout_account(self, obj):
        payout = getattr(obj, "payout", None)
        if payout is None or not payout.has_account:
            if payout is not None and payout.notice_sent_at:
                return _("noch nicht angegeben (Schreiben mit Link am %(date)s an %(to)s)") % {
                    "date": timezone.localtime(payout.notice_sent_at).strftime("%d.%m.%Y"),
                    "to": payout.notice_sent_to,
                }
            return _("noch nicht angegeben")
        return _("%(holder)s, IBAN %(iban)s, BIC %(bic)s (%(via)s, %(date)s)") % {
            "holder": payout.account_holder,
            "iban": payout.iban,
            "bic": payout.bic or "–",
            "via": payout.get_account_entered_via_display(),
            "date": timezone.localtime(payout.account_entered_at).strftime("%d.%m.%Y"),
        }

    @admin.display(description=gettext_lazy("Brutto"), ordering="gross_amount")
    def gross_text(self, refund: Refund) -> str:
        return euro(refund.gross_amount)

    def has_pay_out_refunds_permission(self, request) -> bool:
        return request.user.has_perm("invoicing.pay_out_refunds")

    @admin.action(
        description=gettext_lazy("Als ausgezahlt markieren …"), permissions=["pay_out_refunds"]
    )
    def mark_paid_out(self, request, queryset):
        def paid_out(refund, data) -> str:
            day = data["paid_out_on"]
            refund_mark_paid_out(refund=refund, paid_out_on=day, by=request.user)
            return _(
                "Erstattung %(number)s über %(amount)s als ausgezahlt am %(date)s erfasst."
            ) % {
                "number": refund.number,
                "amount": euro(refund.gross_amount),
                "date": day.strftime("%d.%m.%Y"),
            }

        return apply_to_each(
            self,
            request,
            queryset,
            form_class=PaidOutForm,
            apply=paid_out,
            page={
                "action": "mark_paid_out",
                "title": _("Erstattungen als ausgezahlt markieren"),
                "submit_label": _("Als ausgezahlt markieren"),
            },
        )


@admin.register(DocumentCounter)
class DocumentCounterAdmin(admin.ModelAdmin):
    list_display = ["series", "year", "last_number"]
    readonly_fields = ["series", "year", "last_number"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
