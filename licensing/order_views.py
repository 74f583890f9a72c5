"""Portal pages that change an order: cancelling with a confirmation step,
withdrawing a cancellation. The order's page itself is portal's (``portal.views``:
it shows the invoices too)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from config import clock
from licensing.cancellation import order_cancel as order_cancel_service
from licensing.cancellation import order_cancellation_withdraw as withdraw_service
from licensing.selectors import cancellation_effective_date, order_of_authority
from schools.access import authority_required


@require_http_methods(["GET", "POST"])
@authority_required
def order_cancel(request, authority, order_id: int):
    order = order_of_authority(authority=authority, order_id=order_id)
    if not order.can_cancel:
        messages.error(request, _("Diese Bestellung kann nicht gekündigt werden."))
        return redirect("orders:detail", authority.pk, order.pk)
    if request.method == "POST":
        try:
            effective = order_cancel_service(order=order, by=request.user)
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
    effective = cancellation_effective_date(order=order, on=clock.today())
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
            withdraw_service(order=order, by=request.user)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(
                request,
                _("Die Kündigung ist zurückgenommen; Bestellung %(id)s läuft weiter.")
                % {"id": order.pk},
            )
        return redirect("orders:detail", authority.pk, order.pk)
    if not order.is_cancelled:
        return redirect("orders:detail", authority.pk, order.pk)
    return render(
        request, "licensing/order_withdraw.html", {"authority": authority, "order": order}
    )
