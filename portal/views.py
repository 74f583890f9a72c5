"""The authority-facing entry pages: the public landing page, the start page
after login, the authority's dashboard (where it stands: running licences,
renewals, open amounts; its orders and latest invoices) and an order's page (its
schools, prices, licence years, invoices and refunds; portal composes them because
they show licensing's and invoicing's data side by side); and the publisher
staff's work queue ("Heute zu tun", under the admin URL, wrapped by
``admin.site.admin_view`` in config/urls.py) with the nightly-run button."""

from decimal import Decimal

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from config import clock
from invoicing.selectors import (
    OpenAmounts,
    invoices_of_authority,
    invoices_of_order,
    open_amounts_by_order,
    refunds_of_order,
)
from licensing.order_summary import order_terms, summary_of_order
from licensing.selectors import (
    order_of_authority,
    order_school_rows,
    orders_of_authority,
    running_orders,
)
from portal.tasks import run_nightly_task
from portal.work_queue import work_queue
from schools.access import authority_required
from schools.selectors import authorities_for_user, is_manager


def home(request):
    """Public landing page; logged-in staff go straight to their portal."""
    if request.user.is_authenticated:
        return redirect("portal:start")
    return render(request, "portal/home.html")


@login_required
def start(request):
    """After login: the dashboard of the user's authority, or a choice of them."""
    authorities = list(authorities_for_user(user=request.user))
    if len(authorities) == 1:
        return redirect("portal:dashboard", authority_id=authorities[0].pk)
    return render(request, "portal/authority_list.html", {"authorities": authorities})


@authority_required
def dashboard(request, authority):
    # Every issued document once (with its payments): the open amounts and the
    # latest ten come from the same rows.
    documents = list(invoices_of_authority(authority=authority))
    amounts = open_amounts_by_order(authority=authority, documents=documents)
    running = [
        (item, amounts.get(item.order.pk, OpenAmounts()))
        for item in running_orders(authority=authority, on=clock.today())
    ]
    return render(
        request,
        "portal/authority_dashboard.html",
        {
            "authority": authority,
            "running": running,
            "open_total": sum((a.open for a in amounts.values()), Decimal("0.00")),
            "overdue_total": sum((a.overdue for a in amounts.values()), Decimal("0.00")),
            "orders": orders_of_authority(authority=authority),
            "invoices": documents[:10],
            "is_manager": is_manager(user=request.user, authority=authority),
        },
    )


@authority_required
def order_detail(request, authority, order_id: int):
    order = order_of_authority(authority=authority, order_id=order_id)
    today = clock.today()
    years = list(order.years.all())
    current = [y for y in years if y.start_date <= today <= y.end_date]
    return render(
        request,
        "licensing/order_detail.html",
        {
            "authority": authority,
            "order": order,
            "school_rows": order_school_rows(order=order),
            "years": years,
            "current_year": current[0] if current else (years[-1] if years else None),
            "last_year": years[-1] if years else None,
            "can_cancel": order.can_cancel,
            "can_withdraw": order.can_withdraw_cancellation(on=today),
            "summary": summary_of_order(order=order),
            "terms": order_terms(),
            "invoices": invoices_of_order(order=order),
            "refunds": refunds_of_order(order=order),
        },
    )


START_NIGHTLY_PERMISSION = "portal.start_nightlyrun"


def work_queue_view(request):
    """Heute zu tun: counts with links to the filtered lists."""
    return TemplateResponse(
        request,
        "admin/work_queue.html",
        {
            **admin.site.each_context(request),
            "title": gettext("Heute zu tun"),
            "items": work_queue(user=request.user, today=clock.today()),
            "can_start_nightly": request.user.has_perm(START_NIGHTLY_PERMISSION),
        },
    )


@require_POST
def nightly_start_view(request):
    """Start the nightly run for today: through the worker when there is a broker,
    in this request otherwise (demo mode)."""
    if not request.user.has_perm(START_NIGHTLY_PERMISSION):
        raise PermissionDenied
    result = run_nightly_task.delay(on=clock.today().isoformat())
    if settings.CELERY_TASK_ALWAYS_EAGER:
        messages.success(request, gettext("Nachtlauf beendet: %(s)s") % {"s": result.get()})
    else:
        messages.success(request, gettext("Nachtlauf gestartet; der Worker führt ihn aus."))
    return redirect("admin_work_queue")
