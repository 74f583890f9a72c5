"""The second login step of the publisher's staff (a TOTP code, django-otp) and the
rate-limited password reset."""

import django_otp
from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from config.security import client_ip
from schools.auth_throttle import password_reset_request_allowed


class TOTPVerifyForm(forms.Form):
    token = forms.CharField(
        label=_("Sechsstelliger Code aus Ihrer Authenticator-App"),
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.device = None

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].replace(" ", "")
        self.device = django_otp.match_token(self.user, token)
        if self.device is None:
            raise forms.ValidationError(
                _(
                    "Der Code ist falsch oder abgelaufen. Bitte geben Sie den aktuellen "
                    "Code aus Ihrer Authenticator-App ein."
                )
            )
        return token


@login_required
def otp_verify(request):
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if request.user.is_verified():
        return redirect(next_url or "admin:index")
    has_device = TOTPDevice.objects.devices_for_user(request.user, confirmed=True).exists()
    form = TOTPVerifyForm(request.POST or None, user=request.user)
    if request.method == "POST" and has_device and form.is_valid():
        django_otp.login(request, form.device)
        return redirect(next_url or "admin:index")
    return render(
        request,
        "registration/otp_verify.html",
        {"form": form, "has_device": has_device, "next": next_url},
    )


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, at most PASSWORD_RESET_PER_ADDRESS e-mails an hour per
    client address and PASSWORD_RESET_PER_EMAIL per e-mail address."""

    html_email_template_name = "registration/password_reset_email.html"
    email_template_name = "registration/password_reset_email.txt"

    def form_valid(self, form):
        allowed = password_reset_request_allowed(
            address=client_ip(self.request),
            email=form.cleaned_data["email"],
            now=timezone.now(),
        )
        if allowed:
            return super().form_valid(form)
        form.add_error(
            None,
            _(
                "Es wurden zu viele neue Passwörter angefordert. Bitte versuchen Sie es "
                "in einer Stunde erneut."
            ),
        )
        response = self.form_invalid(form)
        response.status_code = 429
        return response
