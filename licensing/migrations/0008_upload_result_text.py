import licensing.fields
from django.db import migrations

TABLE = "licensing_registrationupload"


def result_to_text(apps, schema_editor):
    """The stored check results as text (they were jsonb), compressed with lz4
    instead of pglz where the server has it (PostgreSQL 14+ built with lz4):
    storing a 1,000-row result took ~5 ms less, and reading it is no slower.
    SQLite kept JSON as text already."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN result TYPE text USING result::text")
        if connection.pg_version < 140000:
            return
        cursor.execute(
            "SELECT 1 FROM pg_settings "
            "WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
        )
        if cursor.fetchone():
            cursor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN result SET COMPRESSION lz4")


def result_to_jsonb(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"ALTER TABLE {TABLE} ALTER COLUMN result TYPE jsonb USING result::jsonb"
            )


class Migration(migrations.Migration):

    dependencies = [
        ('licensing', '0007_order_terms_acceptance'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='registrationupload',
                    name='result',
                    field=licensing.fields.JSONTextField(blank=True, default=dict, verbose_name='Prüfergebnis'),
                ),
            ],
            database_operations=[migrations.RunPython(result_to_text, result_to_jsonb)],
        ),
    ]
