"""Two submissions of the same list at the same moment (two tabs, double click on
a slow line) on PostgreSQL: the row lock on the upload lets exactly one write."""

import threading

import pytest
from django.db import connection, connections

from licensing.anmeldeliste import read_list
from licensing.models import Licence, Order, OrderSchool, RegistrationUpload
from licensing.registration import registration_validate
from licensing.services import order_submit, registration_upload_store
from tests.licensing.listfiles import contact, make_xlsx

pytestmark = pytest.mark.postgres


def test_simultaneous_submissions_create_one_order(transactional_db, authority, product, directory):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    data = make_xlsx([contact(n) for n in ["100001", "100002", "100003", "200001", "200002"]])
    result = registration_validate(parsed=read_list(data), authority=authority, product=product)
    upload = registration_upload_store(
        authority=authority, product=product, data=data, filename="liste.xlsx", result=result
    )
    barrier = threading.Barrier(4)
    orders, errors = [], []

    def submit():
        try:
            barrier.wait()
            orders.append(order_submit(upload=RegistrationUpload.objects.get(pk=upload.pk)).pk)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(set(orders)) == 1
    assert Order.objects.count() == 1
    assert OrderSchool.objects.count() == Licence.objects.count() == 5
