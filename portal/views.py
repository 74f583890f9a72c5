"""The authority-facing entry pages: the public landing page, the start page
after login and the authority's dashboard (its orders and latest invoices)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from invoicing.selectors import invoices_of_authority
from licensing.selectors import orders_of_authority
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
