"""``crispy_unbound`` and ``crispy_field_unbound`` (licensing/templatetags/
unbound_forms.py): an empty form's HTML is crispy-forms' own, rendered once;
a bound form, with the user's input and errors, is rendered every time."""

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field, as_crispy_form
from django.template import Context, Template

from licensing.forms import OrderSubmitForm, RegistrationUploadForm
from licensing.templatetags.unbound_forms import crispy_field_unbound, crispy_unbound


def test_an_empty_form_is_what_crispy_renders_every_time():
    for _ in range(2):  # the second time from the cache
        assert crispy_unbound(RegistrationUploadForm()) == as_crispy_form(RegistrationUploadForm())
        field = OrderSubmitForm()["order_reference"]
        assert crispy_field_unbound(field) == as_crispy_field(OrderSubmitForm()["order_reference"])
    page = Template(
        "{% load crispy_forms_tags %}{{ form|crispy }}{{ submit.order_reference|as_crispy_field }}"
    ).render(Context({"form": RegistrationUploadForm(), "submit": OrderSubmitForm()}))
    cached = Template(
        "{% load unbound_forms %}{{ form|crispy_unbound }}"
        "{{ submit.order_reference|crispy_field_unbound }}"
    ).render(Context({"form": RegistrationUploadForm(), "submit": OrderSubmitForm()}))
    assert cached == page


def test_a_bound_form_shows_what_the_user_sent_and_its_errors():
    crispy_field_unbound(OrderSubmitForm()["order_reference"])  # the empty one, cached
    bound = OrderSubmitForm({"order_reference": "A" * 101, "accept_terms": "on"})
    assert not bound.is_valid()

    html = crispy_field_unbound(bound["order_reference"])

    assert html == as_crispy_field(bound["order_reference"])
    assert 'value="' + "A" * 101 + '"' in html
    assert "is-invalid" in html
    assert "is-invalid" not in crispy_field_unbound(OrderSubmitForm()["order_reference"])
