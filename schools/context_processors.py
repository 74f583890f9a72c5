"""Template context for every page: the support contacts (R4) and the
current authority."""

from django.conf import settings


def portal(request) -> dict:
    """Support contacts (R4), the buyer's contacts at the publisher and the
    current authority for every template."""
    return {
        "support": {
            "phone": settings.SUPPORT_PHONE,
            "email": settings.SUPPORT_EMAIL,
            "webinar_url": settings.WEBINAR_URL,
        },
        "publisher_contacts": settings.PUBLISHER_CONTACTS,
        "current_authority": getattr(request, "authority", None),
    }
