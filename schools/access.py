"""The portal's access gate: a view decorated with ``authority_required`` takes the
``authority_id`` from its URL and gets the authority, or 404 for anybody who does
not belong to it."""

from functools import wraps

from django.contrib.auth.decorators import login_required

from schools.selectors import authority_for_user


def authority_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, authority_id: int, *args, **kwargs):
        request.authority = authority_for_user(user=request.user, authority_id=authority_id)
        return view(request, request.authority, *args, **kwargs)

    return wrapper
