"""Every model's admin changelist, add and change page loads for the publisher."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

FACTORY_FOR = {
    "schoolauthority": factories.SchoolAuthorityFactory,
    "schooltype": factories.SchoolTypeFactory,
    "school": factories.SchoolFactory,
    "authoritymembership": factories.MembershipFactory,
    "product": factories.ProductFactory,
    "price": factories.PriceFactory,
    "order": factories.OrderFactory,
    "orderschool": factories.OrderSchoolFactory,
    "licenceyear": factories.LicenceYearFactory,
    "licence": factories.LicenceFactory,
    "individuallicence": factories.IndividualLicenceFactory,
    "user": factories.UserFactory,
}

REGISTERED = sorted(admin.site._registry, key=lambda m: (m._meta.app_label, m._meta.model_name))


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_changelist_loads(publisher_client, model):
    factory = FACTORY_FOR.get(model._meta.model_name)
    if factory:
        factory()
    opts = model._meta

    response = publisher_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))

    assert response.status_code == 200


@pytest.mark.parametrize(
    "model",
    [m for m in REGISTERED if m._meta.model_name in FACTORY_FOR],
    ids=lambda m: m._meta.label,
)
def test_change_page_loads(publisher_client, model):
    obj = FACTORY_FOR[model._meta.model_name]()
    opts = model._meta

    response = publisher_client.get(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    )

    assert response.status_code == 200


@pytest.mark.parametrize("model_name", ["orderschool", "licenceyear", "licence", "order"])
def test_licences_and_orders_are_never_added_by_hand(publisher_client, model_name):
    # They come only from the registration list and the lifecycle services.
    response = publisher_client.get(reverse(f"admin:licensing_{model_name}_add"))

    assert response.status_code == 403
