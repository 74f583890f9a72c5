"""Login hardening that the libraries leave to the project.

- ``client_ip``: the address django-axes counts failed logins for, honouring only as
  many X-Forwarded-For hops as there are trusted proxies (TRUSTED_PROXY_COUNT).
- ``lockout_response``: the German page shown while a login is locked.
- ``StaffOTPRequiredMiddleware``: the publisher's staff (``is_staff``) get no page but
  the TOTP check until this session is verified by django-otp.
"""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest
from django.shortcuts import render
from django.urls import reverse


def client_ip(request: HttpRequest) -> str | None:
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            # Each trusted proxy appends the address it saw; the client is the one
            # the outermost trusted proxy appended.
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR")


def lockout_response(request: HttpRequest, original_response, credentials):
    """The German lockout page of django-axes (AXES_LOCKOUT_CALLABLE), status 429."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes}
    return render(request, "registration/locked_out.html", context, status=429)


class StaffOTPRequiredMiddleware:
    """Sends staff without a verified second factor to the TOTP check page.

    Switched by ``settings.OTP_REQUIRED_FOR_STAFF`` (always on in production), read on
    every request so tests can turn it on with the ``settings`` fixture.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        user = getattr(request, "user", None)
        if (
            settings.OTP_REQUIRED_FOR_STAFF
            and user is not None
            and user.is_authenticated
            and user.is_staff
            and not user.is_verified()
            and not self._exempt(request.path_info)
        ):
            return redirect_to_login(request.get_full_path(), reverse("otp_verify"))
        return self.get_response(request)

    @staticmethod
    def _exempt(path: str) -> bool:
        open_paths = {reverse("otp_verify"), reverse("logout"), reverse("admin:logout")}
        return (
            path in open_paths
            or path.startswith("/" + settings.STATIC_URL.lstrip("/"))
            or path == "/health/"
        )
