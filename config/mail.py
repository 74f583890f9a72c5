"""Sending the portal's German e-mails from template pairs.

``templates/<name>_subject.txt`` (one line), ``<name>.txt`` and optionally
``<name>.html`` are rendered with the context; the support contacts of R4 are
always in the context as ``support``, the buyer's contacts at the publisher as
``publisher_contacts``.
"""

import contextlib
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string


def build_templated_mail(
    *,
    to: Sequence[str],
    template: str,
    context: dict,
    attachments: Iterable[tuple[str, bytes, str]] = (),
    reply_to: Sequence[str] = (),
) -> EmailMultiAlternatives:
    context = {
        "support": {
            "phone": settings.SUPPORT_PHONE,
            "email": settings.SUPPORT_EMAIL,
            "webinar_url": settings.WEBINAR_URL,
        },
        "publisher_contacts": settings.PUBLISHER_CONTACTS,
        "seller": settings.SELLER,
        "portal_url": settings.PORTAL_URL,
        **context,
    }
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    body = render_to_string(f"{template}.txt", context)
    message = EmailMultiAlternatives(
        subject=subject, body=body, to=list(to), reply_to=list(reply_to) or None
    )
    with contextlib.suppress(TemplateDoesNotExist):
        message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    return message


def send_templated_mail(**kwargs) -> None:
    """Render and send at once (callers run this after commit)."""
    build_templated_mail(**kwargs).send()
