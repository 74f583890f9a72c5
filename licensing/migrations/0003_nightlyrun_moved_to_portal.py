# NightlyRun now belongs to portal (portal/migrations/0001_initial.py); its table
# stays. Only the model state is removed here, no data.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("licensing", "0002_nightlyrun"),
        ("portal", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="NightlyRun")],
            database_operations=[],
        ),
    ]
