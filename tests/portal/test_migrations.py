"""NightlyRun moved from licensing to portal without losing a row: the database
is filled with the demo data, taken back to the state before the move, given
nightly runs, and migrated forward."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command

from invoicing.models import Invoice
from licensing.models import Order
from portal.models import NightlyRun
from tests.migrating import latest, migrate

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BEFORE_MOVE = [("licensing", "0002_nightlyrun"), ("portal", None)]


def test_nightly_runs_and_demo_data_survive_the_move_to_portal():
    try:
        # The demo data is written with today's models (later migrations add
        # columns the old state lacks), then the database goes back before the move.
        call_command("seed_demo", stdout=StringIO())
        old_state = migrate(BEFORE_MOVE).loader.project_state(BEFORE_MOVE[:1]).apps
        OldNightlyRun = old_state.get_model("licensing", "NightlyRun")
        with pytest.raises(LookupError):
            old_state.get_model("portal", "NightlyRun")
        OldNightlyRun.objects.create(
            on=datetime.date(2027, 8, 1), renewals=3, failures=1, log={"failures": ["x"]}
        )
        OldNightlyRun.objects.create(on=datetime.date(2027, 8, 2), invoices_issued=2)
        orders, invoices = Order.objects.count(), Invoice.objects.count()

        migrate(latest())

        runs = list(NightlyRun.objects.order_by("on").values("on", "renewals", "failures", "log"))
        assert runs == [
            {
                "on": datetime.date(2027, 8, 1),
                "renewals": 3,
                "failures": 1,
                "log": {"failures": ["x"]},
            },
            {"on": datetime.date(2027, 8, 2), "renewals": 0, "failures": 0, "log": {}},
        ]
        assert (Order.objects.count(), Invoice.objects.count()) == (orders, invoices)
        assert orders > 0 and invoices > 0
        # The moved model writes to the same table as before.
        assert NightlyRun._meta.db_table == "licensing_nightlyrun"
    finally:
        migrate(latest())
