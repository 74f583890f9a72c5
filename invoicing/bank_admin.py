"""The bank statement import in the admin: upload a camt.053 / MT940 / ZIP file,
see the preview of what would be booked, book it ("Buchen"), and work through
the review list (assign an entry to invoices, or leave it with a note).

Importing and working the review list need the permission
``invoicing.import_bankstatement`` (Buchhaltung); the lists are read-only."""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.forms import formset_factory
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.admin_actions import action_form_page
from config.uploads import upload_files
from invoicing import bank_services
from invoicing.bank_models import BankEntry, BankImport, BankStatement
from invoicing.bank_statements import BankFileError, format_euro
from invoicing.models import Payment

PERMISSION = "invoicing.import_bankstatement"


class BankUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Kontoauszug"),
        help_text=gettext_lazy(
            "camt.053 (XML, Versionen .001.02 bis .001.13), MT940 oder ein ZIP-Archiv "
            "mehrerer solcher Dateien, wie sie das Online-Banking liefert."
        ),
    )

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        limit = settings.BANK_UPLOAD_MAX_BYTES
        if uploaded.size > limit:
            raise forms.ValidationError(
                _("Die Datei ist größer als erlaubt (höchstens %(limit)s MB).")
                % {"limit": f"{limit / 1048576:.0f}"}
            )
        return uploaded


class AllocationForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Rechnungsnummer"), max_length=40, required=False)
    amount = forms.DecimalField(
        label=gettext_lazy("Betrag (€)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        localize=True,
        required=False,
    )

    def clean(self):
        data = super().clean()
        if data.get("number") and data.get("amount") is None and not self.has_error("amount"):
            self.add_error("amount", _("Bitte den Betrag für diese Rechnung angeben."))
        if data.get("amount") is not None and not data.get("number"):
            self.add_error("number", _("Bitte die Rechnungsnummer zu diesem Betrag angeben."))
        return data


AllocationFormSet = formset_factory(AllocationForm, extra=2, max_num=20)


class AssignNoteForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Vermerk (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class LeaveForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Vermerk"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Warum die Buchung keiner Rechnung zugeordnet wird, z. B. „Kontoführungsgebühr“ "
            "oder „Rücküberweisung an Schule Musterstadt, Erstattung ER-2027-00003“."
        ),
    )


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # The list and its actions need the model permission; rows are only viewed.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_import_bankstatement_permission(self, request) -> bool:
        return request.user.has_perm(PERMISSION)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(BankImport)
class BankImportAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "status", "uploaded_by", "booked_at", "result", "preview_link"]
    list_filter = ["status"]
    list_select_related = ["uploaded_by"]
    exclude = ["file"]

    @admin.display(description=gettext_lazy("Ergebnis"))
    def result(self, obj):
        if not obj.summary:
            return "–"
        return _("%(auto)s automatisch, %(review)s zu prüfen, %(dup)s schon importiert") % {
            "auto": obj.summary.get("automatic", 0),
            "review": obj.summary.get("review", 0),
            "dup": obj.summary.get("duplicates", 0),
        }

    @admin.display(description=gettext_lazy("Vorschau"))
    def preview_link(self, obj):
        if obj.status != BankImport.Status.DRAFT:
            return "–"
        url = reverse("admin:invoicing_bankstatement_import_preview", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Vorschau öffnen"))


@admin.register(BankStatement)
class BankStatementAdmin(ReadOnlyAdmin):
    list_display = [
        "statement_id",
        "account",
        "period_start",
        "period_end",
        "opening_balance",
        "closing_balance",
        "entry_links",
        "file_format",
    ]
    list_filter = ["account", "file_format"]
    search_fields = ["statement_id", "account"]
    change_list_template = "admin/invoicing/bankstatement_change_list.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                entry_count=Count("entries"),
                review_count=Count("entries", filter=Q(entries__status=BankEntry.Status.REVIEW)),
            )
        )

    @admin.display(description=gettext_lazy("Buchungen"))
    def entry_links(self, obj):
        url = reverse("admin:invoicing_bankentry_changelist")
        return format_html(
            '<a href="{}?statement__id__exact={}">{}</a> · <a href="{}?statement__id__exact={}'
            '&status__exact=review">{}</a>',
            url,
            obj.pk,
            _("%(count)d Buchungen") % {"count": obj.entry_count},
            url,
            obj.pk,
            _("%(count)d zu prüfen") % {"count": obj.review_count},
        )

    def changelist_view(self, request, extra_context=None):
        extra = {"can_import": self.has_import_bankstatement_permission(request)}
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.upload_view), name="invoicing_bankstatement_import"),
            path(
                "import/<uuid:import_id>/",
                view(self.preview_view),
                name="invoicing_bankstatement_import_preview",
            ),
            *super().get_urls(),
        ]

    def _context(self, request, **extra):
        return {**self.admin_site.each_context(request), "opts": self.model._meta, **extra}

    def upload_view(self, request):
        if not self.has_import_bankstatement_permission(request):
            raise PermissionDenied
        form = BankUploadForm(request.POST or None, upload_files(request) or None)
        if request.method == "POST" and form.is_valid():
            uploaded = form.cleaned_data["file"]
            try:
                bank_import = bank_services.bank_import_store(
                    data=uploaded.read(), filename=uploaded.name, by=request.user
                )
            except BankFileError as error:
                form.add_error("file", error.message)
            else:
                return HttpResponseRedirect(
                    reverse("admin:invoicing_bankstatement_import_preview", args=[bank_import.pk])
                )
        return TemplateResponse(
            request,
            "admin/invoicing/bank_import_upload.html",
            self._context(request, title=_("Kontoauszug importieren"), form=form),
        )

    def preview_view(self, request, import_id):
        if not self.has_import_bankstatement_permission(request):
            raise PermissionDenied
        bank_import = get_object_or_404(BankImport, pk=import_id)
        if request.method == "POST":
            return self._book_or_discard(request, bank_import)
        if bank_import.status != BankImport.Status.DRAFT:
            self.message_user(request, bank_services.not_draft_message(bank_import))
            return HttpResponseRedirect(reverse("admin:invoicing_bankimport_changelist"))
        plan = bank_services.bank_import_preview(bank_import=bank_import)
        return TemplateResponse(
            request,
            "admin/invoicing/bank_import_preview.html",
            self._context(
                request,
                title=_("Vorschau: %(name)s") % {"name": bank_import.original_filename},
                bank_import=bank_import,
                plan=plan,
                automatic_total=format_euro(plan.automatic_total),
            ),
        )

    def _book_or_discard(self, request, bank_import):
        try:
            if "discard" in request.POST:
                bank_services.bank_import_discard(bank_import=bank_import, by=request.user)
                self.message_user(request, _("Die Datei wurde verworfen; es wurde nichts gebucht."))
                return HttpResponseRedirect(reverse("admin:invoicing_bankstatement_import"))
            summary = bank_services.bank_import_book(bank_import=bank_import, by=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:invoicing_bankimport_changelist"))
        self.message_user(
            request,
            _(
                "Gebucht: %(auto)d Zahlung(en) über %(total)s automatisch erfasst, %(review)d "
                "Buchung(en) zur Prüfung, %(dup)d schon früher importiert."
            )
            % {
                "auto": summary["automatic"],
                "total": format_euro(Decimal(summary["automatic_total"])),
                "review": summary["review"],
                "dup": summary["duplicates"],
            },
            messages.SUCCESS,
        )
        url = reverse("admin:invoicing_bankentry_changelist")
        return HttpResponseRedirect(f"{url}?status__exact=review")


class BankPaymentInline(admin.TabularInline):
    model = Payment
    fk_name = "bank_entry"
    extra = 0
    can_delete = False
    readonly_fields = ["invoice", "amount", "paid_on", "outcome", "needs_attention"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(BankEntry)
class BankEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "booking_date",
        "signed_amount",
        "counterparty_name",
        "remittance",
        "status",
        "reason",
        "numbers",
    ]
    list_filter = ["status", "reason", "is_credit", "currency", "statement__account"]
    search_fields = [
        "remittance",
        "counterparty_name",
        "counterparty_iban",
        "end_to_end_id",
        "bank_reference",
        "statement__statement_id",
    ]
    list_select_related = ["statement"]
    date_hierarchy = "booking_date"
    inlines = [BankPaymentInline]
    actions = ["assign", "leave"]

    @admin.display(description=gettext_lazy("Betrag"), ordering="amount")
    def signed_amount(self, obj):
        sign = "" if obj.is_credit else "−"
        currency = "€" if obj.currency == "EUR" else obj.currency
        return f"{sign}{format_euro(obj.amount)[:-2]} {currency}"

    @admin.display(description=gettext_lazy("Rechnungsnummern"))
    def numbers(self, obj):
        return ", ".join(obj.invoice_numbers) or "–"

    @admin.action(
        description=gettext_lazy("Rechnungen zuordnen …"), permissions=["import_bankstatement"]
    )
    def assign(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(
                request, _("Bitte genau eine Buchung zum Zuordnen auswählen."), messages.ERROR
            )
            return None
        entry = queryset.get()
        if not entry.can_be_assigned:
            message = (
                bank_services.not_assignable_message(entry)
                if entry.status == BankEntry.Status.REVIEW
                else _("Die Buchung ist schon erledigt (%(status)s).")
                % {"status": entry.get_status_display()}
            )
            self.message_user(request, message, messages.ERROR)
            return None
        applying = "apply" in request.POST
        initial = [
            {"number": number, "amount": amount}
            for number, amount in bank_services.suggested_allocations(entry)
        ] or [{}]
        formset = AllocationFormSet(
            request.POST if applying else None, initial=initial, prefix="rows"
        )
        note_form = AssignNoteForm(request.POST if applying else None)
        if applying and formset.is_valid() and note_form.is_valid():
            rows = [
                (form.cleaned_data["number"], form.cleaned_data["amount"])
                for form in formset
                if form.cleaned_data.get("number")
            ]
            try:
                payments = bank_services.bank_entry_assign(
                    entry=entry,
                    allocations=rows,
                    note=note_form.cleaned_data["note"],
                    by=request.user,
                )
            except ValidationError as error:
                formset_errors = error.messages
            else:
                self._report_payments(request, payments)
                return HttpResponseRedirect(request.get_full_path())
        else:
            formset_errors = []
        return TemplateResponse(
            request,
            "admin/invoicing/bank_entry_assign.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("Buchung vom %(date)s über %(amount)s Rechnungen zuordnen")
                % {
                    "date": entry.booking_date.strftime("%d.%m.%Y"),
                    "amount": format_euro(entry.amount),
                },
                "entry": entry,
                "formset": formset,
                "note_form": note_form,
                "errors": formset_errors,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    def _report_payments(self, request, payments):
        for payment in payments:
            level = messages.WARNING if payment.needs_attention else messages.SUCCESS
            self.message_user(
                request,
                _("Zahlung über %(amount)s zu %(number)s erfasst: %(outcome)s.")
                % {
                    "amount": format_euro(payment.amount),
                    "number": payment.invoice.number,
                    "outcome": payment.get_outcome_display(),
                },
                level,
            )

    @admin.action(
        description=gettext_lazy("Ohne Zuordnung erledigen …"), permissions=["import_bankstatement"]
    )
    def leave(self, request, queryset):
        form = LeaveForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            done = 0
            for entry in queryset:
                try:
                    bank_services.bank_entry_leave(
                        entry=entry, note=form.cleaned_data["note"], by=request.user
                    )
                    done += 1
                except ValidationError as error:
                    self.message_user(request, " ".join(error.messages), messages.ERROR)
            if done:
                self.message_user(
                    request, _("%(count)d Buchung(en) mit Vermerk erledigt.") % {"count": done}
                )
            return HttpResponseRedirect(request.get_full_path())
        return action_form_page(
            self,
            request,
            queryset,
            form=form,
            action="leave",
            title=_("Buchungen ohne Zuordnung erledigen"),
            submit_label=_("Mit Vermerk erledigen"),
        )
