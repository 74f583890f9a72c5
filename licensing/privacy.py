"""Data protection (DSGVO) for the contact persons (Ansprechpartner) named on orders.

- ``contacts_anonymise``: once an order has ended or was rejected more than
  CONTACT_RETENTION_DAYS ago, its contact persons' names, e-mails and phone numbers
  are replaced (Art. 5 (1) e DSGVO, storage limitation). Invoices are not touched:
  they carry no contact person and must be kept for 8 years (§ 147 AO, § 14b UStG).
  The audit trail's copies of the contact fields are overwritten as well.
- ``contact_person_export``: everything stored about one contact person (Art. 15 DSGVO).
"""

import datetime

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from licensing.models import Order, OrderSchool

ANONYMISED = "anonymisiert"
CONTACT_FIELDS = ["contact_first_name", "contact_last_name", "contact_email", "contact_phone"]


def anonymised_email(pk: int) -> str:
    return f"anonymisiert-{pk}@invalid"


def contacts_due_for_anonymisation(*, on: datetime.date):
    cutoff = on - datetime.timedelta(days=settings.CONTACT_RETENTION_DAYS)
    ended = Q(order__status=Order.Status.ENDED, order__ended_on__lt=cutoff)
    rejected = Q(order__status=Order.Status.REJECTED, order__rejected_at__date__lt=cutoff)
    return OrderSchool.objects.filter(ended | rejected, contact_anonymised_at__isnull=True)


@transaction.atomic
def contacts_anonymise(*, on: datetime.date) -> int:
    """Anonymises the contact persons of orders that ended before the retention period.

    Safe to run again: rows already anonymised are left alone. Returns the count.
    """
    rows = list(contacts_due_for_anonymisation(on=on).select_for_update().only("pk"))
    now = timezone.now()
    for row in rows:
        # update() bypasses auditlog on purpose: a log entry of this change would
        # record the very values that are being erased.
        OrderSchool.objects.filter(pk=row.pk).update(
            contact_first_name=ANONYMISED,
            contact_last_name=ANONYMISED,
            contact_email=anonymised_email(row.pk),
            contact_phone="",
            contact_anonymised_at=now,
        )
    _scrub_audit_trail(pks=[row.pk for row in rows])
    return len(rows)


def _scrub_audit_trail(*, pks: list[int]) -> None:
    content_type = ContentType.objects.get_for_model(OrderSchool)
    entries = LogEntry.objects.filter(
        content_type=content_type, object_pk__in=[str(pk) for pk in pks]
    )
    for entry in entries:
        changes = entry.changes or {}
        for field in CONTACT_FIELDS:
            if field in changes:
                changes[field] = [ANONYMISED if value else value for value in changes[field]]
        entry.changes = changes
        entry.serialized_data = None
        entry.save(update_fields=["changes", "serialized_data"])


def contact_person_export(*, email: str) -> dict:
    """All data stored about the contact person with this e-mail address."""
    rows = (
        OrderSchool.objects.filter(contact_email__iexact=email.strip())
        .select_related("order__authority", "order__product", "school__school_type")
        .order_by("order__submitted_at", "pk")
    )
    return {
        "email": email.strip(),
        "exported_at": timezone.now().isoformat(),
        "controller": settings.SELLER["name"],
        "entries": [_entry(row) for row in rows],
    }


def _date(value) -> str | None:
    return value.isoformat() if value else None


def _entry(row: OrderSchool) -> dict:
    order, school = row.order, row.school
    return {
        "contact_person": {
            "first_name": row.contact_first_name,
            "last_name": row.contact_last_name,
            "email": row.contact_email,
            "phone": row.contact_phone,
            "registration_list_row": row.row_number,
            "activated_at": _date(row.activated_at),
            "activation_email_sent_at": _date(row.activation_email_sent_at),
        },
        "school": {
            "school_number": school.school_number,
            "name": school.name,
            "school_type": school.school_type.name,
            "street": school.street,
            "postal_code": school.postal_code,
            "city": school.city,
        },
        "order": {
            "id": order.pk,
            "status": order.get_status_display(),
            "product": order.product.name,
            "authority": order.authority.name,
            "submitted_at": _date(order.submitted_at),
            "start_date": _date(order.start_date),
            "ended_on": _date(order.ended_on),
        },
    }
