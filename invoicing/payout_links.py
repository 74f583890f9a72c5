"""The signed link in a refund's notice e-mail: it opens the page where the school
enters the account for that one refund, without a login; signed with its own
salt, valid ``REFUND_ACCOUNT_LINK_DAYS`` days, and useless once the account is
known (``account_refusal``)."""

import datetime

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _

from invoicing.models import Refund

ACCOUNT_LINK_SALT = "invoicing.refund-account"


def refund_account_token(*, refund: Refund) -> str:
    """A signed, timestamped token naming one refund; only good for its account
    page (own salt) and for ``REFUND_ACCOUNT_LINK_DAYS`` days."""
    return signing.dumps({"refund": refund.pk}, salt=ACCOUNT_LINK_SALT, compress=True)


def refund_account_url(*, refund: Refund) -> str:
    token = refund_account_token(refund=refund)
    path = reverse("invoicing:refund_account", args=[refund.pk, token])
    return f"{settings.PORTAL_URL}{path}"


def refund_for_token(*, refund_id: int, token: str) -> Refund:
    """The refund the link was made for. Refused (German message): an expired, a
    tampered link, a link of another refund, a refund already paid out or whose
    account is already known."""
    max_age = datetime.timedelta(days=settings.REFUND_ACCOUNT_LINK_DAYS)
    try:
        data = signing.loads(token, salt=ACCOUNT_LINK_SALT, max_age=max_age)
    except signing.SignatureExpired as error:
        raise ValidationError(
            _(
                "Dieser Link ist abgelaufen. Bitte schreiben Sie uns an %(email)s; "
                "wir schicken Ihnen einen neuen."
            )
            % {"email": settings.SELLER["email"]}
        ) from error
    except signing.BadSignature as error:
        raise ValidationError(_("Dieser Link ist ungültig.")) from error
    if data.get("refund") != refund_id:
        raise ValidationError(_("Dieser Link ist ungültig."))
    refund = Refund.objects.select_related("payout").get(pk=refund_id)
    refusal = account_refusal(refund=refund)
    if refusal:
        raise ValidationError(refusal)
    return refund


def account_refusal(*, refund: Refund, staff: bool = False) -> str | None:
    """Why no account can be entered for ``refund`` now (German), or None. The
    school enters it once; staff may correct it until it is in a transfer file."""
    if refund.status != Refund.Status.ISSUED:
        return _("Die Erstattung %(number)s ist nicht zur Auszahlung offen.") % {
            "number": refund.number or refund.pk
        }
    payout = getattr(refund, "payout", None)
    if payout is not None and payout.transfer_id:
        return _(
            "Die Erstattung %(number)s ist schon in einer Überweisungsdatei; "
            "das Konto kann nicht mehr geändert werden."
        ) % {"number": refund.number}
    if not staff and payout is not None and payout.has_account:
        return _(
            "Für die Erstattung %(number)s ist bereits ein Konto angegeben. Für eine "
            "Änderung schreiben Sie uns bitte an %(email)s."
        ) % {"number": refund.number, "email": settings.SELLER["email"]}
    return None
