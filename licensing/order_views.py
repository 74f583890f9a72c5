"""Portal pages of an order: its detail (schools with activation, licence years,
renewal or end), cancelling with a confirmation step, withdrawing a cancellation."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from licensing import lifecycle
from licensing.models import Order
from licensing.selectors import cancellation_effective_date, order_of_authority
from schools.access import authority_required


def _current_year(order: Order):
    years = list(order.years.all())
    today = lifecycle.today()
    running = [y for y in years if y.start_date <= today <= y.end_date]
    return running[0] if running else (years[-1] if years else None)


@authority_required
def order_detail(request, authority, order_id: int):
    order = order_of_authority(authority=authority, order_id=order_id)
    years = list(order.years.all())
    return render(
        request,
        "licensing/order_detail.html",
        {
            "authority": authority,
            "order": order,
            "years": years,
            "current_year": _current_year(order),
            "last_year": years[-1] if years else None,
            "can_cancel": order.status == Order.Status.CONFIRMED
            and not order.cancellation_effective_on,
            "can_withdraw": order.status == Order.Status.CONFIRMED
            and order.cancellation_effective_on
            and lifecycle.today() <= order.cancellation_effective_on,
        },
    )


@require_http_methods(["GET", "POST"])
@authority_required
def order_cancel(request, authority, order_id: int):
    order = order_of_authority(authority=authority, order_id=order_id)
    if order.status != Order.Status.CONFIRMED or order.cancellation_effective_on:
        messages.error(request, _("Diese Bestellung kann nicht gekündigt werden."))
        return redirect("orders:detail", authority.pk, order.pk)
    if request.method == "POST":
        try:
            effective = lifecycle.order_cancel(order=order, by=request.user)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(
                request,
                _(
                    "Bestellung %(id)s ist gekündigt. Die Lizenzen laufen bis einschließlich "
                    "%(date)s; eine Bestätigung kommt per E-Mail."
                )
                % {"id": order.pk, "date": date_format(effective, "d.m.Y")},
            )
        return redirect("orders:detail", authority.pk, order.pk)
    effective = cancellation_effective_date(order=order, on=lifecycle.today())
    return render(
        request,
        "licensing/order_cancel.html",
        {"authority": authority, "order": order, "effective": effective},
    )


@require_http_methods(["GET", "POST"])
@authority_required
def order_cancellation_withdraw(request, authority, order_id: int):
    order = order_of_authority(authority=authority, order_id=order_id)
    if request.method == "POST":
        try:
            lifecycle.order_cancellation_withdraw(order=order, by=request.user)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(
                request,
                _("Die Kündigung ist zurückgenommen; Bestellung %(id)s läuft weiter.")
                % {"id": order.pk},
            )
        return redirect("orders:detail", authority.pk, order.pk)
    if not order.cancellation_effective_on:
        return redirect("orders:detail", authority.pk, order.pk)
    return render(
        request, "licensing/order_withdraw.html", {"authority": authority, "order": order}
    )
