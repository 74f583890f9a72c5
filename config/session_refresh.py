"""The idle timeout without a session write on every request.

A session ends ``SESSION_COOKIE_AGE`` seconds (SESSION_IDLE_MINUTES) after it was
last saved: the database row's ``expire_date``, checked on every load. Saving it on
every request (``SESSION_SAVE_EVERY_REQUEST``) costs an UPDATE in a transaction per
page. ``SessionRefreshMiddleware`` saves it only when its last save is
``SESSION_REFRESH_SECONDS`` (60) or more ago, or when something else changed it
anyway. So a session ends between ``SESSION_COOKIE_AGE - SESSION_REFRESH_SECONDS``
and ``SESSION_COOKIE_AGE`` seconds after its last request: never later than the
idle timeout, at most a minute earlier.
"""

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

# When the session was last saved, as a POSIX timestamp (seconds).
REFRESHED_KEY = "_refreshed"


class SessionRefreshMiddleware:
    """Installed right after ``SessionMiddleware``: its answer passes here last before
    the session is saved (when modified), so it sees what the views changed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.session_key is None or session.is_empty():
            return response  # no session (or it expired, or was flushed at logout)
        now = timezone.now().timestamp()
        refreshed = session.get(REFRESHED_KEY)
        if (
            session.modified
            or not isinstance(refreshed, int | float)
            or not 0 <= now - refreshed < settings.SESSION_REFRESH_SECONDS
        ):
            # Marks the session modified: SessionMiddleware saves it with a new
            # expiry date, SESSION_COOKIE_AGE from now.
            session[REFRESHED_KEY] = now
        return response
