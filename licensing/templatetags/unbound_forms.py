"""Empty forms rendered once (``{% load unbound_forms %}``).

A form that is not bound and has no initial data renders the same HTML on every
page view in a language: ``{{ form|crispy_unbound }}`` and
``{{ form.field|crispy_field_unbound }}`` render it as crispy-forms' ``|crispy``
and ``|as_crispy_field`` do, once per process, form class and language, and
reuse that HTML (the preview of a registration list: ~1 ms of its ~5 ms
rendering). A bound form (the user's input, its errors) is rendered every time.
Only for form classes whose fields do not depend on the arguments they are
made with."""

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field, as_crispy_form
from django import template
from django.utils.translation import get_language

register = template.Library()

_rendered: dict[tuple, str] = {}


def _empty(form) -> bool:
    return not form.is_bound and not form.initial and form.prefix is None


@register.filter
def crispy_unbound(form) -> str:
    """``{{ form|crispy }}``, rendered once while the form is empty."""
    if not _empty(form):
        return as_crispy_form(form)
    key = (type(form), None, get_language())
    if key not in _rendered:
        _rendered[key] = as_crispy_form(form)
    return _rendered[key]


@register.filter
def crispy_field_unbound(field) -> str:
    """``{{ form.field|as_crispy_field }}``, rendered once while the form is empty."""
    if not _empty(field.form):
        return as_crispy_field(field)
    key = (type(field.form), field.name, get_language())
    if key not in _rendered:
        _rendered[key] = as_crispy_field(field)
    return _rendered[key]
