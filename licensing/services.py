"""Writes of the ordering side: storing a checked registration list as a draft
and turning it into a binding order (DOMAIN R2, R3)."""

from __future__ import annotations

import hashlib
import logging
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.gc_passes import fewer_gc_passes
from config.mail import send_templated_mail
from licensing.anmeldeliste import ListFileError, read_list
from licensing.models import Licence, Order, OrderSchool, Product, RegistrationUpload
from licensing.order_summary import order_terms, order_terms_text, summary_of_result, terms_sha256
from licensing.registration import ListContext, registration_validate
from licensing.registration_result import RegistrationResult
from schools.billing import billing_missing_text
from schools.models import School, SchoolAuthority

logger = logging.getLogger(__name__)


REPLACED_MESSAGE = gettext_lazy(
    "Diese Anmeldeliste wurde inzwischen durch eine neuer hochgeladene Liste ersetzt; "
    "es wurde nichts bestellt. Bitte prüfen Sie die aktuelle Liste und bestellen Sie von dort."
)


class RegistrationInvalid(Exception):
    """The list (re-checked at submission) has errors; nothing was written."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


def registration_check(
    *, data: bytes, filename: str, authority: SchoolAuthority, product: Product, while_reading=None
) -> RegistrationResult:
    """Parse and validate uploaded bytes; raises ``ListFileError`` for a file that
    cannot be read. Writes nothing. The database rows the check needs are read
    while the reader process reads the file (then ``while_reading()``, when
    given), and its first rows are checked while it makes the next. A row is a
    handful of objects that live until the check ends: the garbage collector
    passes less often meanwhile (10,000 rows: ~100 ms less CPU). The rows read and
    the directory are dropped before the block ends, so that the collector's pass
    at its end does not scan them (1,000 rows: 3,600 objects of which 1,000 stay)."""
    with fewer_gc_passes():
        return _read_and_validate(
            data=data, filename=filename, authority=authority, product=product,
            while_reading=while_reading,
        )  # fmt: skip


def _read_and_validate(
    *, data: bytes, filename: str, authority: SchoolAuthority, product: Product, while_reading
) -> RegistrationResult:
    context = ListContext(authority=authority, product=product, on=timezone.localdate())

    def meanwhile() -> None:
        context.load()
        if while_reading is not None:
            while_reading()

    parsed = read_list(data, filename, while_reading=meanwhile, stream=True)
    return registration_validate(
        parsed=parsed, authority=authority, product=product, context=context
    )


def registration_upload(
    *, authority: SchoolAuthority, product: Product, data: bytes, filename: str, by=None
) -> tuple[RegistrationResult, RegistrationUpload | None]:
    """Check an uploaded list (``registration_check``) and keep it, when valid, as
    the open draft of ``authority`` and ``product`` (``registration_upload_store``),
    in one transaction: the previous draft is retired and the file saved while
    the reader process reads it. Returns the result and the draft (None for a
    list with errors: then nothing is kept and the previous draft stays as it
    was). Raises ``ListFileError`` for a file that cannot be read, keeping
    nothing either."""
    saved: list[str] = []

    def prepare() -> None:
        _retire_open_drafts(authority=authority, product=product)
        saved.append(_save_list_file(data, authority))

    upload = None
    try:
        with transaction.atomic():
            result = registration_check(
                data=data, filename=filename, authority=authority, product=product,
                while_reading=prepare,
            )  # fmt: skip
            if result.is_valid:
                if not saved:
                    prepare()
                upload = _new_draft(
                    authority=authority, product=product, data=data, filename=filename,
                    file_name=saved[0], result=result, by=by,
                )  # fmt: skip
            else:
                transaction.set_rollback(True)
    finally:
        if upload is None:
            for name in saved:
                _list_storage().delete(name)
    return result, upload


@transaction.atomic
def registration_upload_store(
    *,
    authority: SchoolAuthority,
    product: Product,
    data: bytes,
    filename: str,
    result: RegistrationResult,
    by=None,
) -> RegistrationUpload:
    """Keep a valid list as the open draft of ``authority`` and ``product``: the
    original file under a random name in private storage and its check result.
    The previous open draft of the same authority and product is replaced."""
    _retire_open_drafts(authority=authority, product=product)
    name = _save_list_file(data, authority)
    try:
        return _new_draft(
            authority=authority, product=product, data=data, filename=filename,
            file_name=name, result=result, by=by,
        )  # fmt: skip
    except Exception:
        _list_storage().delete(name)
        raise


def _list_storage():
    """Where the uploaded lists are kept (private)."""
    return RegistrationUpload._meta.get_field("file").storage


def _retire_open_drafts(*, authority: SchoolAuthority, product: Product) -> None:
    """The open draft of ``authority`` and ``product`` (if any) is replaced: it
    stays as a record (a colleague's open preview then says it was replaced);
    its file goes once the replacement is committed. Locked until then."""
    previous = dict(
        RegistrationUpload.objects.select_for_update(of=("self",))
        .filter(authority=authority, product=product, is_draft=True, order__isnull=True)
        .values_list("id", "file")  # not its check result (megabytes for a long list)
    )
    if previous:
        RegistrationUpload.objects.filter(pk__in=previous).update(is_draft=False, file="")
        storage = _list_storage()
        for old_name in filter(None, previous.values()):
            transaction.on_commit(lambda name=old_name: storage.delete(name))


def _save_list_file(data: bytes, authority: SchoolAuthority) -> str:
    """The uploaded file saved under a random name in private storage; its name."""
    field = RegistrationUpload._meta.get_field("file")
    name = field.generate_filename(RegistrationUpload(authority=authority), "upload.bin")
    return field.storage.save(name, ContentFile(data), max_length=field.max_length)


def _new_draft(
    *, authority, product, data: bytes, filename: str, file_name: str, result, by
) -> RegistrationUpload:
    return RegistrationUpload.objects.create(
        authority=authority,
        product=product,
        uploaded_by=by,
        original_filename=(filename or "anmeldeliste.xlsx")[-255:],
        file=file_name,
        file_sha256=hashlib.sha256(data).hexdigest(),
        is_valid=result.is_valid,
        result=result.to_dict(),
    )


def order_submit(
    *,
    upload: RegistrationUpload,
    by=None,
    order_reference: str = "",
    terms_accepted: bool = False,
) -> Order:
    """Turn a checked draft into the binding order: the order (submitted), its
    schools with contact persons and the pending licences, in one transaction.

    Safe against double submission: the upload row is locked and can become at
    most one order; a second call returns the existing order and writes nothing.
    The list is checked again against today's directory before anything is written.
    The buyer's billing data must be complete (R10); ``order_reference`` is its
    own order reference (BT-13) for the invoices. ``terms_accepted``: ``by`` ticked
    the terms' checkbox; the order records when, who and the terms' text and hash.
    """
    missing = billing_missing_text(upload.authority)
    if missing:
        raise RegistrationInvalid([missing])
    try:
        with transaction.atomic():
            order, created = _order_submit(
                upload=upload,
                by=by,
                order_reference=order_reference.strip(),
                terms_accepted=terms_accepted,
            )
    except IntegrityError as exc:
        # A concurrent order took one of the schools (one running licence per
        # school and product), or a second submission raced this one.
        existing = Order.objects.filter(upload_id=upload.pk).first()
        if existing is not None:
            return existing
        raise RegistrationInvalid(
            [
                _(
                    "Mindestens eine Schule der Liste wurde inzwischen anders bestellt. "
                    "Bitte laden Sie die Liste erneut hoch."
                )
            ]
        ) from exc
    return order


def _order_submit(
    *, upload: RegistrationUpload, by, order_reference: str = "", terms_accepted: bool = False
) -> tuple[Order, bool]:
    upload = (
        RegistrationUpload.objects.select_for_update(of=("self",))
        .select_related("authority", "product")
        .get(pk=upload.pk)
    )
    existing = Order.objects.filter(upload=upload).first()
    if existing is not None:
        return existing, False
    if not upload.is_draft:
        raise RegistrationInvalid([str(REPLACED_MESSAGE)])
    with upload.file.open("rb") as handle:
        data = handle.read()
    try:
        result = registration_check(
            data=data,
            filename=upload.original_filename,
            authority=upload.authority,
            product=upload.product,
        )
    except ListFileError as exc:
        raise RegistrationInvalid([exc.message]) from exc
    if not result.is_valid:
        raise RegistrationInvalid(result.messages)

    order = Order.objects.create(
        authority=upload.authority,
        product=upload.product,
        status=Order.Status.SUBMITTED,
        upload=upload,
        submitted_by=by,
        order_reference=order_reference,
        **(_terms_acceptance(by) if terms_accepted else {}),
    )
    OrderSchool.objects.bulk_create(
        OrderSchool(
            order=order,
            school_id=entry.school_id,
            row_number=entry.row,
            contact_first_name=entry.first_name,
            contact_last_name=entry.last_name,
            contact_email=entry.email,
            contact_phone=entry.phone,
        )
        for entry in result.entries
    )
    Licence.objects.bulk_create(
        Licence(order=order, school_id=entry.school_id, product=upload.product)
        for entry in result.entries
    )
    upload.is_draft = False
    upload.is_valid = True
    upload.result = result.to_dict()
    upload.save(update_fields=["is_draft", "is_valid", "result"])
    order_id = order.pk
    transaction.on_commit(lambda: order_submitted_notify(order_id=order_id))
    return order, True


def _terms_acceptance(by) -> dict:
    """The fields recording the buyer's acknowledgement of the terms, now."""
    text = order_terms_text()
    return {
        "terms_accepted_at": timezone.now(),
        "terms_accepted_by": by,
        "terms_text": text,
        "terms_sha256": terms_sha256(text),
    }


def order_submitted_notify(*, order_id: int) -> None:
    """Confirmation to the uploader and a note to the publisher's staff (after
    commit). A failing mail server must not undo the order: errors are logged."""
    order = Order.objects.select_related("authority", "product", "submitted_by", "upload").get(
        pk=order_id
    )
    result = RegistrationResult.from_dict(order.upload.result if order.upload else {})
    schools = list(
        School.objects.filter(order_entries__order=order)
        .select_related("school_type")
        .order_by("school_type__name", "school_number")
    )
    context = {
        "order": order,
        "authority": order.authority,
        "product": order.product,
        "schools": schools,
        "figures": [f for f in result.figures if f.registered],
        "total_price": Decimal(result.total_price),
        "refunds": result.refunds,
        "summary": summary_of_result(result=result, product=order.product),
        "terms": order_terms(),
    }
    recipient = order.submitted_by.email if order.submitted_by else ""
    try:
        if recipient:
            send_templated_mail(
                to=[recipient], template="licensing/emails/order_submitted", context=context
            )
        if settings.PUBLISHER_NOTIFY_EMAILS:
            send_templated_mail(
                to=settings.PUBLISHER_NOTIFY_EMAILS,
                template="licensing/emails/order_submitted_publisher",
                context=context,
            )
    except Exception:  # SMTP trouble: the order stands, staff see it in the admin
        logger.exception("could not send the order e-mails of order %s", order_id)
