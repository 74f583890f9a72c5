"""The publisher's work queue ("Heute zu tun"): what the staff has to look at today,
each with a count, a link to the filtered admin list and, where it matters, the age
of the oldest case.

The queue is a list of small item functions (``ITEMS``); each takes today's date and
returns one ``WorkItem``. To add an item, write a function of that shape here and
append it to ``ITEMS`` (the portal is the top layer and may read every app). An item
declares the permission a staff member needs to see it (the view permission of the
list it links to)."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Max, Min
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from invoicing import selectors
from invoicing.models import Credit, Invoice, Payment, Refund
from invoicing.selectors import drafts_failing_issue
from licensing.models import Order, OutgoingMail
from licensing.selectors import orders_blocked_by_billing_data
from portal.models import NightlyRun

DRAFT_HORIZON_DAYS = 7


@dataclass(frozen=True)
class WorkItem:
    key: str
    label: str
    count: int
    url: str
    permission: str
    age: str = ""  # e.g. "ältester seit 5 Tagen"
    detail: str = ""  # a line under the label (e.g. which run)


def changelist(model_name: str, query: str = "") -> str:
    url = reverse(f"admin:{model_name}_changelist")
    return f"{url}?{query}" if query else url


def age_text(since: datetime.date | None, today: datetime.date) -> str:
    if since is None:
        return ""
    days = max((today - since).days, 0)
    return ngettext("ältester seit %(days)d Tag", "ältester seit %(days)d Tagen", days) % {
        "days": days
    }


def local_day(moment: datetime.datetime | None) -> datetime.date | None:
    return timezone.localtime(moment).date() if moment else None


def waiting_orders(today: datetime.date) -> WorkItem:
    waiting = Order.objects.filter(status=Order.Status.SUBMITTED)
    oldest = waiting.aggregate(oldest=Min("submitted_at"))["oldest"]
    return WorkItem(
        key="waiting_orders",
        label=_("Bestellungen warten auf Bestätigung"),
        count=waiting.count(),
        url=changelist("licensing_order", f"status__exact={Order.Status.SUBMITTED}"),
        permission="licensing.view_order",
        age=age_text(local_day(oldest), today),
    )


def orders_blocked_by_billing(today: datetime.date) -> WorkItem:
    blocked = orders_blocked_by_billing_data()
    oldest = blocked.aggregate(oldest=Min("submitted_at"))["oldest"]
    return WorkItem(
        key="orders_blocked_by_billing",
        label=_(
            "Bestellungen, die wegen unvollständiger Rechnungsdaten nicht bestätigt werden können"
        ),
        count=blocked.count(),
        url=changelist(
            "licensing_order",
            f"status__exact={Order.Status.SUBMITTED}&rechnungsdaten=unvollstaendig",
        ),
        permission="licensing.view_order",
        age=age_text(local_day(oldest), today),
    )


def drafts_failing_rules(today: datetime.date) -> WorkItem:
    failing = drafts_failing_issue()
    oldest = failing.aggregate(oldest=Min("issue_due_on"))["oldest"]
    return WorkItem(
        key="drafts_failing_rules",
        label=_(
            "Rechnungsentwürfe, die nicht gestellt werden konnten (Regelprüfung, Rechnungsdaten)"
        ),
        count=failing.count(),
        url=changelist("invoicing_invoice", "regelpruefung=nicht_bestanden"),
        permission="invoicing.view_invoice",
        age=age_text(oldest, today),
    )


def drafts_due(today: datetime.date) -> WorkItem:
    horizon = today + datetime.timedelta(days=DRAFT_HORIZON_DAYS)
    drafts = Invoice.objects.filter(
        kind=Invoice.Kind.INVOICE, status=Invoice.Status.DRAFT, issue_due_on__lte=horizon
    )
    return WorkItem(
        key="drafts_due",
        label=_("Rechnungsentwürfe, die in den nächsten 7 Tagen gestellt werden"),
        count=drafts.count(),
        url=changelist("invoicing_invoice", "zu_stellen=7"),
        permission="invoicing.view_invoice",
    )


def overdue_invoices(today: datetime.date) -> WorkItem:
    overdue = Invoice.objects.filter(status=Invoice.Status.ISSUED, overdue_since__isnull=False)
    oldest = overdue.aggregate(oldest=Min("overdue_since"))["oldest"]
    return WorkItem(
        key="overdue_invoices",
        label=_("Überfällige Rechnungen"),
        count=overdue.count(),
        url=changelist("invoicing_invoice", "overdue=yes"),
        permission="invoicing.view_invoice",
        age=age_text(oldest, today),
    )


def payments_to_clarify(today: datetime.date) -> WorkItem:
    flagged = Payment.objects.filter(needs_attention=True)
    oldest = flagged.aggregate(oldest=Min("paid_on"))["oldest"]
    return WorkItem(
        key="payments_to_clarify",
        label=_("Zahlungen zu klären"),
        count=flagged.count(),
        url=changelist("invoicing_payment", "needs_attention__exact=1"),
        permission="invoicing.view_payment",
        age=age_text(oldest, today),
    )


def refunds_to_pay_out(today: datetime.date) -> WorkItem:
    open_refunds = Refund.objects.filter(status=Refund.Status.ISSUED)
    oldest = open_refunds.aggregate(oldest=Min("issue_date"))["oldest"]
    return WorkItem(
        key="refunds_to_pay_out",
        label=_("Erstattungen auszuzahlen"),
        count=open_refunds.count(),
        url=changelist("invoicing_refund", f"status__exact={Refund.Status.ISSUED}"),
        permission="invoicing.view_refund",
        age=age_text(oldest, today),
    )


def refunds_without_account(today: datetime.date) -> WorkItem:
    late = selectors.refunds_without_account(on=today)
    oldest = late.aggregate(oldest=Min("issue_date"))["oldest"]
    return WorkItem(
        key="refunds_without_account",
        label=_("Erstattungen seit 30 Tagen ohne Konto der Schule"),
        count=late.count(),
        url=changelist("invoicing_refund", "konto=fehlt30"),
        permission="invoicing.view_refund",
        age=age_text(oldest, today),
    )


def invoices_after_last_reminder(today: datetime.date) -> WorkItem:
    unpaid = selectors.invoices_after_last_reminder()
    oldest = unpaid.aggregate(oldest=Min("second_reminder_sent_at"))["oldest"]
    return WorkItem(
        key="invoices_after_last_reminder",
        label=_("Rechnungen nach der letzten Zahlungserinnerung noch offen"),
        count=unpaid.count(),
        url=changelist("invoicing_invoice", "reminder=last"),
        permission="invoicing.view_invoice",
        age=age_text(local_day(oldest), today),
    )


def credits_to_pay_back(today: datetime.date) -> WorkItem:
    """Money received beyond a corrected invoice (R9), owed back to the buyer."""
    open_credits = Credit.objects.filter(status=Credit.Status.OPEN)
    oldest = open_credits.aggregate(oldest=Min("created_at"))["oldest"]
    return WorkItem(
        key="credits_to_pay_back",
        label=_("Guthaben aus korrigierten Rechnungen zurückzuzahlen"),
        count=open_credits.count(),
        url=changelist("invoicing_credit", f"status__exact={Credit.Status.OPEN}"),
        permission="invoicing.view_credit",
        age=age_text(local_day(oldest), today),
    )


def failed_mails(today: datetime.date) -> WorkItem:
    failed = OutgoingMail.objects.filter(sent_at__isnull=True, attempts__gt=0)
    oldest = failed.aggregate(oldest=Min("created_at"))["oldest"]
    return WorkItem(
        key="failed_mails",
        label=_("E-Mails, deren Versand fehlgeschlagen ist"),
        count=failed.count(),
        url=changelist("licensing_outgoingmail", "zustellung=fehlgeschlagen"),
        permission="licensing.view_outgoingmail",
        age=age_text(local_day(oldest), today),
    )


def last_nightly_run(today: datetime.date) -> WorkItem:
    latest = NightlyRun.objects.aggregate(latest=Max("started_at"))["latest"]
    run = NightlyRun.objects.filter(started_at=latest).first() if latest else None
    if run is None:
        detail, url, count = _("Noch kein Nachtlauf."), changelist("portal_nightlyrun"), 0
    else:
        detail = _("Lauf für %(on)s, begonnen %(at)s") % {
            "on": f"{run.on:%d.%m.%Y}",
            "at": f"{timezone.localtime(run.started_at):%d.%m.%Y %H:%M}",
        }
        url = reverse("admin:portal_nightlyrun_change", args=[run.pk])
        count = run.failures
    return WorkItem(
        key="last_nightly_run",
        label=_("Fehler im letzten Nachtlauf"),
        count=count,
        url=url,
        permission="portal.view_nightlyrun",
        detail=detail,
    )


ITEMS: list[Callable[[datetime.date], WorkItem]] = [
    waiting_orders,
    orders_blocked_by_billing,
    drafts_due,
    drafts_failing_rules,
    overdue_invoices,
    payments_to_clarify,
    refunds_to_pay_out,
    refunds_without_account,
    invoices_after_last_reminder,
    credits_to_pay_back,
    failed_mails,
    last_nightly_run,
]


def work_queue(*, user, today: datetime.date) -> list[WorkItem]:
    """The items this staff member may see, in the order of ``ITEMS``."""
    items = [item(today) for item in ITEMS]
    return [item for item in items if user.has_perm(item.permission)]
