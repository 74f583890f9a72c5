"""Forms of the ordering pages."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class RegistrationUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Ausgefüllte Anmeldeliste"),
        help_text=_(
            "Excel-Arbeitsmappe (.xlsx) – am besten die Vorlage von dieser Seite. "
            "Excel 97–2003 (.xls), LibreOffice (.ods) und CSV werden ebenfalls gelesen. "
            "Höchstens %(mb)s MB."
        )
        % {"mb": settings.UPLOAD_MAX_BYTES // (1024 * 1024)},
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,.xlsm,.xls,.ods,.csv,application/vnd.openxmlformats-"
                "officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_enctype = "multipart/form-data"
        self.helper.attrs = {"novalidate": ""}
        self.helper.add_input(Submit("submit", _("Liste hochladen und prüfen")))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                _(
                    "Die Datei ist zu groß (höchstens %(mb)s MB). Eine Anmeldeliste braucht "
                    "keine Bilder oder weiteren Tabellenblätter."
                ),
                params={"mb": settings.UPLOAD_MAX_BYTES // (1024 * 1024)},
            )
        return upload


class OrderSubmitForm(forms.Form):
    """The binding order: the buyer may give its own order reference (BT-13),
    printed on every invoice of the order."""

    order_reference = forms.CharField(
        label=_("Ihre Bestellnummer oder Ihr Aktenzeichen (optional)"),
        max_length=100,
        required=False,
        help_text=_("Steht auf jeder Rechnung dieser Bestellung (BT-13)."),
    )
