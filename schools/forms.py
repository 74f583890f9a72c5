"""Forms of the school directory pages: the authority's billing data
(„Rechnungsdaten“)."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from schools.models import SchoolAuthority

GERMAN_POSTAL_CODE = re.compile(r"^[0-9]{5}$")


class BillingDataForm(forms.ModelForm):
    """What an invoice to the authority needs (R9, R10). Street, post code, city
    and the invoice e-mail are required; a Leitweg-ID (checked with its check
    number) or the explicit statement that there is none."""

    class Meta:
        model = SchoolAuthority
        fields = [
            "billing_name",
            "billing_department",
            "street",
            "postal_code",
            "city",
            "email",
            "leitweg_id",
            "has_no_leitweg_id",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("street", "postal_code", "city", "email"):
            self.fields[name].required = True
        self.fields["leitweg_id"].help_text = _(
            "Form Grobadressierung-Feinadressierung-Prüfziffer, z. B. 05315000-12345-06. "
            "Sie erhalten dann eine XRechnung."
        )

    def clean_postal_code(self) -> str:
        code = self.cleaned_data["postal_code"].strip()
        if self.instance.country in ("", "DE") and not GERMAN_POSTAL_CODE.match(code):
            raise forms.ValidationError(_("Bitte geben Sie eine fünfstellige Postleitzahl an."))
        return code

    def clean_leitweg_id(self) -> str:
        return self.cleaned_data["leitweg_id"].strip().upper()

    def clean(self):
        cleaned = super().clean()
        leitweg_id = cleaned.get("leitweg_id")
        has_none = cleaned.get("has_no_leitweg_id")
        if not leitweg_id and not has_none and "leitweg_id" not in self.errors:
            self.add_error(
                "leitweg_id",
                _(
                    "Bitte geben Sie Ihre Leitweg-ID an oder kreuzen Sie an, dass Sie keine "
                    "Leitweg-ID haben."
                ),
            )
        return cleaned
