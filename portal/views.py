"""The authority-facing entry pages (the public landing page, the start page
after login and the authority's dashboard with its orders and latest invoices),
and the publisher staff's work queue ("Heute zu tun", under the admin URL, wrapped
by ``admin.site.admin_view`` in config/urls.py) with the nightly-run button."""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from config import clock
from invoicing.selectors import invoices_of_authority
from licensing.selectors import orders_of_authority
from portal.tasks import run_nightly_task
from portal.work_queue import work_queue
from schools.access import authority_required
from schools.selectors import authorities_for_user


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
    return render(
        request,
        "portal/authority_dashboard.html",
        {
            "authority": authority,
            "orders": orders_of_authority(authority=authority),
            "invoices": invoices_of_authority(authority=authority)[:10],
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
