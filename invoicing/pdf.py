"""Invoice, cancellation invoice and refund PDFs: a German business letter for a
DIN 5008 form B window envelope, rendered by WeasyPrint from Django templates in
``templates/invoicing/pdf/`` as PDF/A-3b, with the document's XRechnung XML
embedded as ZUGFeRD / Factur-X (``factur-x.xml``).

WeasyPrint is imported inside the render functions: importing it costs about
half a second, which code paths that never render should not pay.

Fonts: the templates ask for Liberation Sans (Debian ``fonts-liberation``) and
fall back to DejaVu Sans (``fonts-dejavu-core``); no remote resources.

Speed (a 500-school invoice must render in under 3 s, ``benchmarks/bench_pdf.py``):
WeasyPrint's time grows with the number of elements, so the line table has
one compact row per school without per-cell borders (zebra rows instead), the
stylesheet (``_letter.css``) is parsed once per process and language, and the
user-agent stylesheet drops its list-marker and footnote pseudo-element rules:
they match every element, so WeasyPrint computed six unused pseudo-element
styles per table cell (about a third of the style time), and the garbage
collector runs less often during the render.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import gc
import re
import threading
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from invoicing.einvoice import (
    document_xml,
    invoice_document,
    refund_document,
    seller_data,
)
from invoicing.totals import compute_totals

if TYPE_CHECKING:
    from invoicing.models import Invoice, Refund


def euro(amount: Decimal) -> str:
    """German money format: ``-1.234,50 €``."""
    text = f"{Decimal(amount):,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    return f"{text} €"


def percent(rate: Decimal) -> str:
    value = Decimal(rate).normalize()
    text = f"{value:f}".replace(".", ",")
    return f"{text}\u00a0%"


def date_de(day: datetime.date | None) -> str:
    return f"{day:%d.%m.%Y}" if day else ""


def _seller_context(seller: dict) -> dict:
    return {
        **seller,
        "return_line": f"{seller['name']} · {seller['street']} · "
        f"{seller['postal_code']} {seller['city']}",
    }


def _totals_context(lines) -> dict:
    totals = compute_totals(lines)
    return {
        "groups": [
            {
                "rate": percent(group.rate),
                "net": euro(group.net),
                "vat": euro(group.vat),
                "gross": euro(group.gross),
            }
            for group in totals.groups
        ],
        "net": euro(totals.net),
        "vat": euro(totals.vat),
        "gross": euro(totals.gross),
    }


def _payout_account(refund: Refund):
    """The account the refund is paid to when known at rendering, else None (the
    letter then asks for it through the link of its e-mail)."""
    from invoicing.models import RefundPayout

    payout = RefundPayout.objects.filter(refund_id=refund.pk).first()
    return payout if payout is not None and payout.has_account else None


def invoice_context(invoice: Invoice) -> dict:
    """Everything the invoice template shows, formatted."""
    seller = _seller_context(seller_data(invoice.seller))
    lines = list(invoice.lines.all())
    is_cancellation = invoice.kind == "cancellation"
    original = invoice.cancels if is_cancellation else None
    info = [
        (_("Rechnungsnummer"), invoice.number),
        (_("Rechnungsdatum"), date_de(invoice.issue_date)),
        (_("Kundennummer"), invoice.buyer_customer_number),
    ]
    if invoice.buyer_leitweg_id:
        info.append((_("Leitweg-ID"), invoice.buyer_leitweg_id))
    info.append(
        (
            _("Leistungszeitraum"),
            f"{date_de(invoice.service_period_start)} – {date_de(invoice.service_period_end)}",
        )
    )
    if invoice.buyer_vat_id:
        info.append((_("Ihre USt-IdNr."), invoice.buyer_vat_id))
    if invoice.due_date and not is_cancellation:
        info.append((_("Fällig am"), date_de(invoice.due_date)))
    products = sorted({line.product_name for line in lines})
    return {
        "doc_title": _("Stornorechnung") if is_cancellation else _("Rechnung"),
        "number": invoice.number,
        "is_cancellation": is_cancellation,
        "original_number": original.number if original else "",
        "original_date": date_de(original.issue_date) if original else "",
        "seller": seller,
        "recipient": [
            invoice.buyer_name,
            invoice.buyer_department,
            invoice.buyer_street,
            f"{invoice.buyer_postal_code} {invoice.buyer_city}".strip(),
        ],
        "info": info,
        "products": ", ".join(products),
        "period": f"{date_de(invoice.service_period_start)} – "
        f"{date_de(invoice.service_period_end)}",
        "lines": [
            {
                "position": line.position,
                "school_number": line.school_number,
                "school_name": line.school_name,
                "product": line.product_name,
                "period": f"{line.period_start:%d.%m.%y}–{line.period_end:%d.%m.%y}",
                "rate": percent(line.vat_rate),
                "net": euro(line.net_amount),
            }
            for line in lines
        ],
        "school_count": len(lines),
        # One product has one rate; a rate column only where lines differ.
        "mixed_rates": len({line.vat_rate for line in lines}) > 1,
        "totals": _totals_context(lines),
        "due_date": date_de(invoice.due_date),
    }


def refund_context(refund: Refund) -> dict:
    """Everything the refund template shows, formatted."""
    seller = _seller_context(seller_data(refund.seller))
    individual = refund.individual_licence
    school = refund.school
    doc = refund_document(refund)
    line = doc.lines[0]
    totals = doc.totals  # the stored R8 amounts
    return {
        "doc_title": _("Rechnungskorrektur / Erstattung"),
        "number": refund.number,
        "seller": seller,
        "recipient": [
            refund.recipient_name,
            refund.recipient_street,
            f"{refund.recipient_postal_code} {refund.recipient_city}".strip(),
        ],
        "info": [
            (_("Belegnummer"), refund.number),
            (_("Belegdatum"), date_de(refund.issue_date)),
            (_("Schulnummer"), school.school_number),
            (_("Originalrechnung"), refund.original_invoice_number),
            (_("Rechnungsdatum Original"), date_de(refund.original_invoice_date)),
            (
                _("Erstattungszeitraum"),
                f"{date_de(line.period_start)} – {date_de(line.period_end)}",
            ),
        ],
        "original_number": refund.original_invoice_number,
        "original_date": date_de(refund.original_invoice_date),
        "product": individual.product.name,
        "term_start": date_de(individual.start_date),
        "term_end": date_de(individual.end_date),
        "bulk_start": date_de(refund.bulk_start_date),
        "paid": euro(individual.paid_amount),
        "remaining_days": refund.remaining_days,
        "term_days": refund.term_days,
        "rate": percent(refund.vat_rate),
        "net": euro(totals.net),
        "vat": euro(totals.vat),
        "gross": euro(totals.gross),
        "payout": _payout_account(refund),
    }


# Pseudo-element rules of WeasyPrint's HTML user-agent stylesheet that match
# every element (list markers, footnotes, notes); our letters use none of them.
_UNUSED_UA_RULES = re.compile(
    r"^::(?:marker|footnote-call|footnote-marker|note-call|note-marker|note-callback)"
    r" \{[^}]*\}\n",
    re.MULTILINE,
)


@functools.cache
def _html_class():
    """``weasyprint.HTML`` with the trimmed user-agent stylesheet.

    ``_ua_stylesheets`` is WeasyPrint's hook for the user-agent stylesheet (its
    form variant adds the form styles). Should a WeasyPrint release rename it,
    the override simply stops applying: same output, only slower.
    """
    import weasyprint

    source = (Path(weasyprint.__file__).parent / "css" / "html5_ua.css").read_text(encoding="utf-8")
    user_agent = weasyprint.CSS(string=_UNUSED_UA_RULES.sub("", source))

    class LetterHTML(weasyprint.HTML):
        def _ua_stylesheets(self, forms=False):
            sheets = super()._ua_stylesheets(forms=forms)
            return [user_agent, *sheets[1:]]

    return LetterHTML


@functools.lru_cache(maxsize=8)
def _stylesheet(language: str | None):
    """The letter stylesheet, parsed once per process and language (it holds the
    translated "Seite X von Y"). WeasyPrint applies it with user origin, above its
    user-agent rules; the letter templates carry no CSS of their own."""
    import weasyprint

    return weasyprint.CSS(string=render_to_string("invoicing/pdf/_letter.css"))


_fonts = threading.local()
_gc_lock = threading.Lock()
_gc_state = {"depth": 0, "threshold": gc.get_threshold()}


@contextlib.contextmanager
def _fewer_gc_passes():
    """Run the young-generation garbage collection less often while rendering.

    WeasyPrint allocates hundreds of thousands of long-lived box objects; with the
    default threshold (700) the collector keeps rescanning them, about a tenth of
    a 500-school render. Nested or concurrent renders share one raised threshold;
    the last one to finish restores the previous setting.
    """
    with _gc_lock:
        if _gc_state["depth"] == 0:
            _gc_state["threshold"] = gc.get_threshold()
            gc.set_threshold(50_000, *_gc_state["threshold"][1:])
        _gc_state["depth"] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_state["depth"] -= 1
            if _gc_state["depth"] == 0:
                gc.set_threshold(*_gc_state["threshold"])


def _font_config():
    """One WeasyPrint font configuration per thread; it caches font metrics."""
    from weasyprint.text.fonts import FontConfiguration

    if not hasattr(_fonts, "config"):
        _fonts.config = FontConfiguration()
    return _fonts.config


def _render(template: str, context: dict, xml: bytes, title: str, seller: dict) -> bytes:
    import facturx

    html = render_to_string(template, context)
    with _fewer_gc_passes():
        pdf = _html_class()(string=html).write_pdf(
            stylesheets=[_stylesheet(get_language())],
            font_config=_font_config(),
            pdf_variant="pdf/a-3b",
        )
    return facturx.generate_from_binary(
        pdf,
        xml,
        flavor="factur-x",
        level="en16931",
        check_xsd=True,
        pdf_metadata={
            "author": seller["name"],
            "keywords": "Factur-X, ZUGFeRD, XRechnung",
            "title": title,
            "subject": title,
        },
        lang="de-DE",
    )


def render_invoice_pdf(invoice: Invoice) -> bytes:
    """The PDF/A-3 of an issued invoice or cancellation invoice with its
    XRechnung XML embedded (ZUGFeRD / Factur-X)."""
    context = invoice_context(invoice)
    xml = document_xml(invoice_document(invoice))
    title = f"{context['doc_title']} {invoice.number}"
    return _render("invoicing/pdf/invoice.html", context, xml, title, context["seller"])


def render_refund_pdf(refund: Refund) -> bytes:
    """The PDF/A-3 of an issued refund document (Rechnungskorrektur / Erstattung)
    with its XRechnung credit note embedded."""
    context = refund_context(refund)
    xml = document_xml(refund_document(refund))
    title = f"{context['doc_title']} {refund.number}"
    return _render("invoicing/pdf/refund.html", context, xml, title, context["seller"])
