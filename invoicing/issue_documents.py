"""Making the documents of an issued invoice: the PDF (Factur-X, XML embedded)
and the XRechnung XML rendered, stored with their SHA-256, once. On the issue day
the workers take the night's invoices in chunks (``invoices_make_documents``,
task ``invoicing.make_invoice_documents``) and send each right after its
documents are stored."""

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils.translation import gettext as _

from invoicing import sending
from invoicing.documents import documents_store
from invoicing.models import DOCUMENT_FIELDS, Invoice

logger = logging.getLogger(__name__)


def invoice_documents_store(*, invoice_id: int) -> tuple[Invoice, bool]:
    """Render and store the documents of an issued invoice or cancellation invoice
    unless they are stored already. Returns the invoice and whether they were
    made now."""
    from invoicing import einvoice, pdf  # heavy imports only where documents are made

    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice_id)
        if locked.is_draft:
            raise ValidationError(_("Ein Entwurf hat noch keine Belege."))
        if locked.pdf_sha256:
            return locked, False
        # The XML and the PDF read the lines once; the PDF embeds the very bytes stored.
        prefetch_related_objects([locked], "lines")
        xml_bytes = einvoice.invoice_xml(locked)
        pdf_bytes = pdf.render_invoice_pdf(locked, xml=xml_bytes)
        documents_store(document=locked, pdf=pdf_bytes, xml=xml_bytes)
        locked.save(update_fields=list(DOCUMENT_FIELDS))
    return locked, True


def invoices_make_documents(*, invoice_ids: list[int]) -> int:
    """A worker's chunk of the issue day: make and send the documents of these
    issued invoices, each on its own. An invoice whose documents cannot be made is
    logged and handed out again by the next nightly run; one whose mail fails is
    sent again by it (unsent an hour after issue). Returns how many were made."""
    made = 0
    for invoice_id in invoice_ids:
        try:
            _invoice, new = invoice_documents_store(invoice_id=invoice_id)
        except Exception:
            logger.exception("documents of invoice %s could not be made", invoice_id)
            continue
        made += new
        if not new:
            continue
        try:
            sending.invoice_send(invoice_id=invoice_id)
        except Exception:
            logger.exception("invoice %s not sent; the nightly run sends it again", invoice_id)
    return made
