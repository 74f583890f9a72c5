"""Login hardening that the libraries leave to the project.

- ``client_ip``: the address django-axes counts failed logins for, honouring only as
  many X-Forwarded-For hops as there are trusted proxies (TRUSTED_PROXY_COUNT).
- ``LockoutHandler``: counts failures per (user name, address) and per address across
  user names, never per user name alone, so a stranger cannot lock anybody out.
- ``lockout_response``: the German page shown while a login is locked.
- ``NoStoreForUsersMiddleware``: no page of a logged-in user stays in a browser or
  proxy cache (``Cache-Control: no-store``).
- ``StaffOTPRequiredMiddleware``: the publisher's staff (``is_staff``) get no page but
  the TOTP check until this session is verified by django-otp.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db.models import Sum
from django.http import HttpRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers


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


class LockoutHandler(AxesDatabaseHandler):
    """django-axes' database handler with two limits (AXES_HANDLER).

    AXES_LOCKOUT_PARAMETERS is ``[["username", "ip_address"], "ip_address"]``: the pair
    is locked after AXES_FAILURE_LIMIT failures, the address (whatever user names it
    tries) after LOGIN_ADDRESS_FAILURE_LIMIT. The victim logs in from any other address.
    """

    def get_failures(self, request, credentials=None) -> int:
        per_pair, per_address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        pair_limit = get_failure_limit(request, credentials)
        address_limit = settings.LOGIN_ADDRESS_FAILURE_LIMIT
        request.axes_address_locked = per_address >= address_limit
        # axes compares one number with AXES_FAILURE_LIMIT: scale the address count so
        # that it reaches pair_limit exactly when it reaches address_limit.
        return max(per_pair, per_address * pair_limit // address_limit)

    def reset_user_attempts(self, request, credentials=None) -> int:
        """A successful login clears its own (user name, address) failures only, so one
        valid account cannot reset the count of an address trying other accounts."""
        pair_attempts = self.filter_user_attempts(request, credentials)[0]
        count, _ = pair_attempts.delete()
        return count


def lockout_response(request: HttpRequest, original_response, credentials):
    """The German lockout page of django-axes (AXES_LOCKOUT_CALLABLE), status 429."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    address = getattr(request, "axes_address_locked", False)
    context = {
        "failure_limit": (
            settings.LOGIN_ADDRESS_FAILURE_LIMIT if address else settings.AXES_FAILURE_LIMIT
        ),
        "address_locked": address,
        "cooloff_minutes": minutes,
    }
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


class NoStoreForUsersMiddleware:
    """Every answer to a logged-in user is ``Cache-Control: no-store`` (and private),
    so nothing of it is kept after logout on a shared computer or in a proxy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and "no-store" not in response.get("Cache-Control", "")
        ):
            add_never_cache_headers(response)
        return response
