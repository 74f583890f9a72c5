"""Rate limit of password-reset e-mails: per client address and per e-mail address.

Every request counts, whether or not an account has the address, so the answer
tells nobody which addresses exist.
"""

import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from schools.models import PasswordResetRequest

WINDOW = timedelta(hours=1)


def _email_hash(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


@transaction.atomic
def password_reset_request_allowed(*, address: str, email: str, now: datetime) -> bool:
    """Records the request and says whether it stays within both limits of the last hour.

    Refused requests are recorded too: hammering keeps the limit reached."""
    PasswordResetRequest.objects.filter(requested_at__lt=now - WINDOW).delete()
    recent = PasswordResetRequest.objects.filter(requested_at__gte=now - WINDOW)
    email_hash = _email_hash(email)
    allowed = (
        recent.filter(address=address).count() < settings.PASSWORD_RESET_PER_ADDRESS
        and recent.filter(email_hash=email_hash).count() < settings.PASSWORD_RESET_PER_EMAIL
    )
    PasswordResetRequest.objects.create(address=address, email_hash=email_hash, requested_at=now)
    return allowed
