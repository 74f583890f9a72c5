"""Forms of invoicing's pages: the account a school gives for its refund."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from invoicing.payouts import holder_check, iban_check


class RefundAccountForm(forms.Form):
    account_holder = forms.CharField(
        label=_("Kontoinhaber"),
        max_length=200,
        error_messages={"required": _("Bitte geben Sie den Kontoinhaber an.")},
        help_text=_("So, wie die Bank das Konto führt, z. B. „Stadt Musterstadt – Schulamt“."),
    )
    iban = forms.CharField(
        label=_("IBAN"),
        max_length=60,
        error_messages={"required": _("Bitte geben Sie die IBAN an.")},
        help_text=_("Die BIC ermitteln wir aus der IBAN."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_account_holder(self) -> str:
        try:
            return holder_check(self.cleaned_data["account_holder"])
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from error

    def clean_iban(self) -> str:
        try:
            return iban_check(self.cleaned_data["iban"]).compact
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from error
