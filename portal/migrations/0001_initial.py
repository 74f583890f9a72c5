# NightlyRun moves from licensing to portal. The table (licensing_nightlyrun) and
# its rows stay where they are: only Django's model state changes.

from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("licensing", "0002_nightlyrun"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="NightlyRun",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("on", models.DateField(verbose_name="Stichtag")),
                        ("started_at", models.DateTimeField(auto_now_add=True, verbose_name="begonnen")),
                        ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="beendet")),
                        ("notices", models.PositiveIntegerField(default=0, verbose_name="Verlängerungshinweise")),
                        ("renewals", models.PositiveIntegerField(default=0, verbose_name="Verlängerungen")),
                        ("expiries", models.PositiveIntegerField(default=0, verbose_name="Abläufe")),
                        ("invoices_issued", models.PositiveIntegerField(default=0, verbose_name="gestellte Rechnungen")),
                        ("overdue", models.PositiveIntegerField(default=0, verbose_name="überfällige Rechnungen")),
                        ("failures", models.PositiveIntegerField(default=0, verbose_name="Fehler")),
                        ("log", models.JSONField(blank=True, default=dict, verbose_name="Protokoll")),
                    ],
                    options={
                        "verbose_name": "nächtlicher Lauf",
                        "verbose_name_plural": "nächtliche Läufe",
                        "ordering": ["-started_at"],
                        "db_table": "licensing_nightlyrun",
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
