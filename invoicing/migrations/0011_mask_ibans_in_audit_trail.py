"""Entries written before the IBAN of refund accounts was masked in the audit trail
(invoicing/apps.py) get the same mask: country, check digits, last four."""

from django.db import migrations

from invoicing.payout_models import iban_mask


def mask_existing(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    LogEntry = apps.get_model("auditlog", "LogEntry")
    content_type = ContentType.objects.filter(app_label="invoicing", model="refundpayout").first()
    if content_type is None:
        return
    for entry in LogEntry.objects.filter(content_type=content_type).iterator():
        changes = entry.changes if isinstance(entry.changes, dict) else None
        if not changes or "iban" not in changes:
            continue
        masked = [iban_mask(value) if isinstance(value, str) else value for value in changes["iban"]]
        if masked != changes["iban"]:
            changes["iban"] = masked
            entry.changes = changes
            entry.save(update_fields=["changes"])


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0010_immutable_documents_triggers"),
        ("auditlog", "0017_add_actor_email"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(mask_existing, migrations.RunPython.noop)]
