"""Invoice, cancellation invoice and refund PDFs: a German business letter for a
DIN 5008 form B window envelope, rendered by WeasyPrint from Django templates in
``templates/invoicing/pdf/`` as PDF/A-3b, with the document's e-invoice XML
embedded as ZUGFeRD 2.x / Factur-X in the same pass: an XRechnung as
``xrechnung.xml`` with XMP conformance level ``XRECHNUNG``, a plain EN 16931
invoice as ``factur-x.xml`` with ``EN 16931`` (``einvoice_profile`` reads the
choice from the XML's guideline id).

Layout: letterhead 45 mm, address window 45 mm from the top and 20 mm from the
left with a one-line return address, information block at 125 mm, fold marks
at 105 and 210 mm and the punch mark at 148.5 mm (``_letter.css``). The lines:
one compact row per school (number, name, licence year, net) under a heading
with product and year; a row never splits across pages.

WeasyPrint is imported inside the render functions: importing it costs about
half a second, which code paths that never render should not pay.

Fonts: the templates ask for Liberation Sans (Debian ``fonts-liberation``) and
fall back to DejaVu Sans (``fonts-dejavu-core``); no remote resources.

Speed (``benchmarks/bench_pdf.py``: 500 schools within 1.5 s, one school within
0.1 s): WeasyPrint's time grows with the number of boxes, so a school's row is
one table cell of preformatted text (``pdf_rows.py``: number, name, a tab, then
licence year and net aligned by no-break spaces; three cells cost a third more
for the whole 140-school letter), without borders (zebra rows instead),
the stylesheet (``_letter.css``) is parsed once per process and language, the
user-agent stylesheet drops its list-marker and footnote pseudo-element rules
(they match every element, so WeasyPrint computed six unused pseudo-element
styles per table cell), the garbage collector runs less often during the
render, the XML is embedded by WeasyPrint itself instead of a second pass
that re-reads and re-writes the PDF, and a line of plain text is drawn by
``_draw_first_line``, WeasyPrint 70's drawing without its glyph-by-glyph cffi
reads (same bytes).
"""

from __future__ import annotations

import base64
import datetime
import functools
import re
import struct
import threading
import zlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from config.gc_passes import fewer_gc_passes
from config.totals import compute_totals
from invoicing.einvoice import (
    document_xml,
    invoice_document,
    refund_document,
    seller_data,
)
from invoicing.pdf_rows import Column, footer_text, info_lines, lines_rows, text_em

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


# The return-address line above the address field fits on one 85 mm line (DIN 5008):
# 6 pt as long as the seller's address fits, smaller (not below 4.5 pt) if it does not.
RETURN_LINE_WIDTH_MM = 83
RETURN_LINE_MAX_PT = 6.0
RETURN_LINE_MIN_PT = 4.5


@functools.lru_cache(maxsize=16)
def return_line_size(text: str) -> str:
    """The font size in pt at which ``text`` fits the return-address line."""
    em = text_em(text) or 1
    fitting = RETURN_LINE_WIDTH_MM / (em * 25.4 / 72)
    size = max(RETURN_LINE_MIN_PT, min(RETURN_LINE_MAX_PT, fitting))
    return f"{int(size * 10) / 10:.1f}"


def _seller_context(seller: dict) -> dict:
    address = f"{seller['street']} · {seller['postal_code']} {seller['city']}"
    return_line = f"{seller['name']} · {address}"
    footer, footer_tab_mm = footer_text(
        [
            [
                seller["name"],
                address,
                f"{_('Geschäftsführung')}: {seller['managing_directors']}",
            ],
            [
                seller["register"],
                f"{_('Steuernummer')}: {seller['tax_number']}",
                f"{_('USt-IdNr.')}: {seller['vat_id']}",
            ],
            [seller["bank_name"], f"IBAN {seller['iban']}", f"BIC {seller['bic']}"],
        ]
    )
    return {
        **seller,
        "return_line": return_line,
        "return_line_size": return_line_size(return_line),
        "footer": footer,
        "footer_tab_mm": footer_tab_mm,
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


def _line_groups(lines, number_width: int, mixed_rates: bool) -> list[dict]:
    """The lines under one heading per product (an invoice normally has one):
    each school on one compact row, the product and year in the heading.

    A row is one table cell of preformatted text (``pdf_rows``): the school
    number padded to ``number_width`` digits with pairs of no-break spaces (each
    half a digit wide in the letter font) so that the names align, the name,
    and after a tab the licence year, the rate where lines differ, and the net."""
    groups: dict[str, list] = {}
    for line in lines:
        groups.setdefault(line.product_name, []).append(line)
    return [
        {
            "product": product,
            "period": _period(
                min(line.period_start for line in group), max(line.period_end for line in group)
            ),
            "table": _lines_table(group, number_width, mixed_rates),
        }
        for product, group in groups.items()
    ]


def _lines_table(lines, number_width: int, mixed_rates: bool) -> dict:
    columns = [
        Column(
            _("Nutzungsjahr"),
            [f"{line.period_start:%d.%m.%y}–{line.period_end:%d.%m.%y}" for line in lines],
            align_right=False,
        )
    ]
    if mixed_rates:
        columns.append(Column(_("USt"), [percent(line.vat_rate) for line in lines]))
    columns.append(Column(_("Netto"), [euro(line.net_amount) for line in lines]))
    schools = [(_padded(line.school_number, number_width), line.school_name) for line in lines]
    rows = lines_rows(_("Schulnummer und Schule"), schools, columns)
    return {
        "heading": rows.heading,
        "tab_mm": rows.tab_mm,
        "rows": [{"text": text, "alt": index % 2 == 1} for index, text in enumerate(rows.rows)],
    }


def _padded(number: str, width: int) -> str:
    return "\u00a0\u00a0" * (width - len(number)) + number


def _period(start: datetime.date, end: datetime.date) -> str:
    return f"{date_de(start)} – {date_de(end)}"


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
    number_width = max((len(line.school_number) for line in lines), default=0)
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
        **_info_context(info),
        "products": ", ".join(products),
        "period": f"{date_de(invoice.service_period_start)} – "
        f"{date_de(invoice.service_period_end)}",
        # One product has one rate; a rate column only where lines differ.
        "line_groups": _line_groups(
            lines, number_width, len({line.vat_rate for line in lines}) > 1
        ),
        "school_count": len(lines),
        "totals": _totals_context(lines),
        "due_date": date_de(invoice.due_date),
        **_carried_over_context(invoice),
    }


def _info_context(info: list[tuple[str, str]]) -> dict:
    """The information block: one line per label and value, the values at a tab stop."""
    lines, tab_mm = info_lines(info)
    return {"info": lines, "info_tab_mm": tab_mm}


def _carried_over_context(invoice: Invoice) -> dict:
    """The money received for the cancelled invoice this one replaces: shown as
    paid, with what remains to be paid."""
    if not invoice.prepaid_amount or invoice.kind != "invoice":
        return {"prepaid": "", "amount_open": "", "settled": False}
    replaced = invoice.replaced_invoice
    return {
        "prepaid": euro(invoice.prepaid_amount),
        "replaced_number": replaced.number if replaced else "",
        "amount_open": euro(invoice.amount_open),
        "settled": invoice.amount_open == 0,
    }


def refund_payout_account(refund: Refund) -> str:
    """The account the refund is paid to as the letter names it (holder and partly
    masked IBAN), or "" while none is known at rendering (the letter then asks
    for it through the link of its e-mail)."""
    from invoicing.models import RefundPayout

    payout = RefundPayout.objects.filter(refund_id=refund.pk).first()
    if payout is None or not payout.has_account:
        return ""
    return _("%(holder)s, IBAN %(iban)s") % {
        "holder": payout.account_holder,
        "iban": payout.iban_masked,
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
        **_info_context(
            [
                (_("Belegnummer"), refund.number),
                (_("Belegdatum"), date_de(refund.issue_date)),
                (_("Schulnummer"), school.school_number),
                (_("Originalrechnung"), refund.original_invoice_number),
                (_("Rechnungsdatum Original"), date_de(refund.original_invoice_date)),
                (
                    _("Erstattungszeitraum"),
                    f"{date_de(line.period_start)} – {date_de(line.period_end)}",
                ),
            ]
        ),
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
        "payout_account": refund_payout_account(refund),
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

    _draw_text_lines_faster()
    _draw_tabs_as_laid_out()
    _compress_pdf_streams_faster()

    source = (Path(weasyprint.__file__).parent / "css" / "html5_ua.css").read_text(encoding="utf-8")
    user_agent = weasyprint.CSS(string=_UNUSED_UA_RULES.sub("", source))

    class LetterHTML(weasyprint.HTML):
        def __init__(self, *args, rows: list[list[dict]] | None = None, **kwargs):
            super().__init__(*args, **kwargs)
            if rows is not None:
                import cssselect2

                _rows_into_slots(self.etree_element, rows)
                # As WeasyPrint wraps the parsed tree, now with the rows.
                self.wrapper_element = cssselect2.ElementWrapper.from_html_root(
                    self.etree_element, content_language=None
                )
                self.etree_element = self.wrapper_element.etree_element

        def _ua_stylesheets(self, forms=False):
            sheets = super()._ua_stylesheets(forms=forms)
            return [user_agent, *sheets[1:]]

    return LetterHTML


# The rows of the lines tables do not go through the HTML parser (tinyhtml5,
# in Python: 7 of its 7.9 ms for a 140-school letter are the rows): the
# template is rendered with one placeholder row per table (``_ROW_SLOT``), and
# the parsed placeholder is replaced by the rows as elements, as the parser
# makes them from ``<tr class="alt"><td>text</td></tr>``. A row text the
# parser would not keep as it is (control characters, which it changes or
# drops, and the slot's own mark) goes through the parser with the others.
_ROW_SLOT = "\ue000{}\ue000"
_PARSER_CHANGES = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\ud800-\udfff\ue000\ufdd0-\ufdef\ufffe\uffff]"
)


def _rows_as_slots(context: dict) -> tuple[dict, list[list[dict]] | None]:
    """The invoice context with a placeholder row for the rows of each lines
    table, and the rows; ``context`` itself and no rows where a row text must
    go through the parser."""
    groups = context["line_groups"]
    rows = [group["table"]["rows"] for group in groups]
    if any(not table for table in rows) or any(
        not row["text"] or _PARSER_CHANGES.search(row["text"]) for table in rows for row in table
    ):
        return context, None
    slotted = [
        {
            **group,
            "table": {**group["table"], "rows": [{"text": _ROW_SLOT.format(n), "alt": False}]},
        }
        for n, group in enumerate(groups)
    ]
    return {**context, "line_groups": slotted}, rows


def _rows_into_slots(root, rows: list[list[dict]]) -> None:
    """Replace each placeholder row of the parsed letter by its table's rows."""
    from xml.etree import ElementTree

    filled = 0
    for body in root.iter("tbody"):
        for index, row in enumerate(body):
            if len(row) != 1 or not (row[0].text or "").startswith("\ue000"):
                continue
            table = rows[int(row[0].text.strip("\ue000"))]
            elements = []
            for line in table:
                element = ElementTree.Element("tr", {"class": "alt"} if line["alt"] else {})
                ElementTree.SubElement(element, "td").text = line["text"]
                elements.append(element)
            elements[-1].tail = row.tail
            body[index : index + 1] = elements
            filled += 1
            break
    if filled != len(rows):
        raise ValueError(f"{filled} of {len(rows)} row placeholders found in the letter")


# WeasyPrint 66-70 writes the advance of an empty glyph (a tab) to the PDF in
# Pango units where the PDF wants thousandths of an em (``draw_first_line``).
_EMPTY_GLYPH_BUG = "string += f'>{-width / font_size}<'"
_PANGO_PER_THOUSANDTH = 1000 / 1024


def _draw_tabs_as_laid_out() -> None:
    """Draw a tab as wide as Pango laid it out.

    WeasyPrint draws a tab 2.4 % wider than its layout (see ``_EMPTY_GLYPH_BUG``),
    so the text after it stands further right the wider the tab is: the licence
    year and net of a school with a short name would stand right of those of a
    long one. The wrapper scales the width of each empty glyph of a line with a
    tab by 1000/1024 before WeasyPrint draws the line, so the PDF moves exactly
    as far as the layout. Lines without a tab are drawn as before. Applied only
    while WeasyPrint's source still has the bug; should a release fix it, the
    wrapper stays out (tests/invoicing/test_pdf_layout.py checks the columns)."""
    import inspect

    from weasyprint.draw import text

    original = text.draw_first_line
    if getattr(original, "draws_tabs_as_laid_out", False):
        return
    try:
        # WeasyPrint's own function, also under ``_draw_text_lines_faster``.
        buggy = _EMPTY_GLYPH_BUG in inspect.getsource(inspect.unwrap(original))
    except (OSError, TypeError):
        buggy = False
    if not buggy:
        return
    pango, null, empty = text.pango, text.ffi.NULL, text.pango.PANGO_GLYPH_EMPTY

    def draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix):
        if "\t" in textbox.text and text_overflow != "ellipsis" and block_ellipsis == "none":
            # As ``draw_first_line`` asks for it, so that Pango keeps this layout.
            pango.pango_layout_set_single_paragraph_mode(textbox.pango_layout.layout, True)
            line, _index = textbox.pango_layout.get_first_line()
            run = line.runs[0]
            while run != null:
                glyphs = run.data.glyphs
                run = run.next
                for glyph in glyphs.glyphs[0 : glyphs.num_glyphs]:
                    if glyph.glyph == empty:
                        glyph.geometry.width = round(glyph.geometry.width * _PANGO_PER_THOUSANDTH)
        return original(stream, textbox, text_overflow, block_ellipsis, matrix)

    draw_first_line.draws_tabs_as_laid_out = True
    text.draw_first_line = draw_first_line


# WeasyPrint versions whose ``draw.text.draw_first_line`` ``_draw_first_line``
# repeats for plain text; on others WeasyPrint's own function draws every line.
_FAST_DRAWING_VERSIONS = frozenset({"70.0"})
# PangoGlyphInfo as WeasyPrint declares it to cffi: glyph, width, x and y offset,
# then the visual attributes (one word, not needed here).
_GLYPH_INFO = struct.Struct("=Iiii4x")


def _draw_text_lines_faster() -> None:
    """Draw a line of plain text as WeasyPrint 70 does, in about half its time.

    WeasyPrint's ``draw_first_line`` reads every glyph of a line field by field
    through cffi and formats its operators glyph by glyph (a sixth of the PDF's
    time: 24 ms of 142 for a 140-school letter). ``_draw_first_line`` reads a
    run's glyphs at once with ``struct`` and writes the very same PDF operators
    (13.5 ms; the rest is Pango laying the line out again, as WeasyPrint asks).
    It takes the lines that need none of WeasyPrint's special cases (ellipsis,
    glyphs missing from the font or raised or lowered, emoji or bitmap fonts)
    and hands any other line to WeasyPrint's function before it has written
    anything. Installed only for the WeasyPrint versions in
    ``_FAST_DRAWING_VERSIONS`` whose glyph records have the layout
    ``_GLYPH_INFO`` reads; tests/invoicing/test_pdf.py compares the PDFs of
    both, byte for byte."""
    import weasyprint
    from weasyprint.draw import text

    original = text.draw_first_line
    if getattr(original, "draws_lines_faster", False):
        return
    if weasyprint.__version__ not in _FAST_DRAWING_VERSIONS:
        return
    if text.ffi.sizeof("PangoGlyphInfo") != _GLYPH_INFO.size:
        return

    def draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix):
        drawn = _draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix)
        if drawn is None:
            return original(stream, textbox, text_overflow, block_ellipsis, matrix)
        return drawn

    draw_first_line.draws_lines_faster = True
    draw_first_line.__wrapped__ = original
    text.draw_first_line = draw_first_line


def _draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix) -> list | None:
    """WeasyPrint 70's ``draw_first_line`` for a line of plain text, or None
    (nothing written) for a line that needs one of its special cases.

    What WeasyPrint writes for a glyph (its id, x offset and kerning) depends
    only on the glyph record and the font's width of the glyph, which is set
    once: it is made once per font and size of a document (``_glyph_texts``)
    and only joined for later lines, the table's rows mostly repeating digits
    and letters. A glyph's first use also records its width and text in the
    font (``widths``, ``to_unicode``), as WeasyPrint does."""
    if text_overflow == "ellipsis" or block_ellipsis != "none":
        return None
    if not textbox.text.strip():
        return []
    if textbox.style["font_size"] < 1e-6:
        return []
    layout = textbox.pango_layout
    runs = _line_runs(stream, textbox, layout)
    if runs is None:
        return None

    stream.set_text_matrix(*matrix.values)
    string = ""
    for glyph_item, pango_font, new_font, font, font_size, texts, glyphs, known in runs:
        if new_font:
            if string:
                stream.show_text(string)
            string = ""
            stream.set_font_size(font.hash, font_size)
        if not known:
            _glyph_texts_add(stream, layout, glyph_item, pango_font, font, font_size, texts, glyphs)
        string = "".join([string, "<", *map(texts.__getitem__, glyphs)])
        if string[-1] == "<":
            string = string[:-1]
        else:
            string += ">"
    stream.show_text(string)
    return []


def _line_runs(stream, textbox, layout) -> list | None:
    """Every run of the layout's first line with its font and glyph records, or
    None when a run needs one of WeasyPrint's special cases (a bitmap, PNG, SVG
    or colour font; a raised or unknown glyph). Nothing is written yet."""
    from weasyprint.text.ffi import ffi, pango

    pango.pango_layout_set_single_paragraph_mode(layout.layout, True)
    first_line, _index = layout.get_first_line()
    unknown_flag = pango.PANGO_GLYPH_UNKNOWN_FLAG
    runs = []
    previous_pango_font = font = font_size = texts = None
    run = first_line.runs[0]
    while run != ffi.NULL:
        glyph_item = run.data
        run = run.next
        pango_font = glyph_item.item.analysis.font
        new_font = pango_font != previous_pango_font
        if new_font:
            previous_pango_font = pango_font
            font, font_size = stream.add_font(pango_font)
            if font.bitmap or font.png or font.svg or font.colr:
                return None
            if pango.pango_version() < 14802:
                font_size = textbox.style["font_size"]
            texts = _glyph_texts(font, font_size)
        glyph_string = glyph_item.glyphs
        glyphs = list(
            _GLYPH_INFO.iter_unpack(
                ffi.buffer(glyph_string.glyphs, glyph_string.num_glyphs * _GLYPH_INFO.size)
            )
        )
        known = all(map(texts.__contains__, glyphs))
        if not known:
            for glyph_id, _width, _x_offset, y_offset in glyphs:
                if y_offset or glyph_id & unknown_flag:
                    return None
        runs.append((glyph_item, pango_font, new_font, font, font_size, texts, glyphs, known))
    return runs


def _glyph_texts(font, font_size: float) -> dict:
    """What is written for each glyph record of ``font`` at ``font_size``."""
    by_size = font.__dict__.setdefault("_letter_glyph_texts", {})
    return by_size.setdefault(font_size, {})


def _glyph_texts_add(stream, layout, glyph_item, pango_font, font, font_size, texts, glyphs):
    """Make the texts of the glyphs of a run that ``texts`` lacks, in order, as
    WeasyPrint's ``draw_first_line`` does for every glyph."""
    from weasyprint.text.ffi import FROM_UNITS, ffi, pango

    empty = pango.PANGO_GLYPH_EMPTY
    clusters = ffi.unpack(glyph_item.glyphs.log_clusters, len(glyphs))
    item = glyph_item.item
    utf8_text = None
    last = len(glyphs) - 1
    for i, glyph in enumerate(glyphs):
        if glyph in texts:
            continue
        glyph_id, width, x_offset, _y_offset = glyph
        if glyph_id == empty:
            texts[glyph] = f">{-width / font_size}<"
            continue
        if glyph_id not in font.to_unicode:
            start = clusters[i]
            if item.analysis.level % 2:  # right to left
                end = item.length if i == 0 else clusters[i - 1]
            else:
                end = item.length if i == last else clusters[i + 1]
            utf8_text = utf8_text or layout.text.encode()
            font.to_unicode[glyph_id] = utf8_text[item.offset + start : item.offset + end].decode()
        text = ""
        offset = x_offset / font_size
        if offset:
            text += f">{-offset}<"
        text += f"{glyph_id:04x}"
        if glyph_id in font.widths:
            logical_width = font.widths[glyph_id]
        else:
            pango.pango_font_get_glyph_extents(
                pango_font, glyph_id, stream.ink_rect, stream.logical_rect
            )
            logical_width = font.widths[glyph_id] = round(
                stream.logical_rect.width * 1000 * FROM_UNITS / font_size
            )
        kerning = logical_width + offset - width * 1000 * FROM_UNITS / font_size
        if kerning:
            text += f">{int(kerning)}<"
        texts[glyph] = text


# pydyf (WeasyPrint's PDF writer) compresses every stream at zlib level 9: the
# fonts, the page contents and the embedded XML. Level 6, zlib's default, takes
# about a third of the time for this text-like data (140 schools: 17 -> 6 ms
# per PDF) and the PDF grows by about 2 %.
PDF_COMPRESS_LEVEL = 6


class _PdfZlib:
    """``zlib`` as pydyf sees it: its streams compressed at ``PDF_COMPRESS_LEVEL``."""

    def __getattr__(self, name: str):
        return getattr(zlib, name)

    @staticmethod
    def compressobj(level: int = PDF_COMPRESS_LEVEL, *args, **kwargs):
        return zlib.compressobj(PDF_COMPRESS_LEVEL, *args, **kwargs)


def _compress_pdf_streams_faster() -> None:
    import pydyf

    if not isinstance(pydyf.zlib, _PdfZlib):
        pydyf.zlib = _PdfZlib()


@functools.lru_cache(maxsize=8)
def _stylesheet(language: str | None):
    """The letter stylesheet, parsed once per process and language (it holds the
    translated "Seite X von Y"). WeasyPrint applies it with user origin, above its
    user-agent rules; the letter templates carry no CSS of their own."""
    import weasyprint

    from invoicing.pdf_fetcher import StaticOnlyFetcher, static_base_url

    return weasyprint.CSS(
        string=render_to_string("invoicing/pdf/_letter.css"),
        base_url=static_base_url(),
        url_fetcher=StaticOnlyFetcher(),
    )


_fonts = threading.local()


def _font_config():
    """One WeasyPrint font configuration per thread; it caches font metrics."""
    from weasyprint.text.fonts import FontConfiguration

    if not hasattr(_fonts, "config"):
        _fonts.config = FontConfiguration()
    return _fonts.config


# ZUGFeRD 2.x / Factur-X: the XMP metadata names the embedded file and its profile.
_FX_NAMESPACE = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
_XRECHNUNG_GUIDELINE = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_"
_RAM = "{urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100}"
_FACTURX_LEVELS = {
    "minimum": "MINIMUM",
    "basicwl": "BASIC WL",
    "basic": "BASIC",
    "en16931": "EN 16931",
    "extended": "EXTENDED",
}
_FX_PROPERTIES = {
    "DocumentFileName": "The name of the embedded XML document",
    "DocumentType": "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER",
    "Version": "The actual version of the standard applying to the embedded XML document",
    "ConformanceLevel": "The conformance level of the embedded XML document",
}


@dataclass(frozen=True)
class EInvoiceProfile:
    """How the XML is embedded: ``conformance_level`` is the XMP ``fx:ConformanceLevel``."""

    conformance_level: str
    filename: str
    version: str
    relationship: str


def einvoice_profile(xml: bytes) -> EInvoiceProfile:
    """The ZUGFeRD / Factur-X profile that matches the XML's guideline id (BT-24):
    XRechnung as ``XRECHNUNG`` in ``xrechnung.xml`` (ZUGFeRD 2.x), every Factur-X
    level (``EN 16931`` for ``urn:cen.eu:en16931:2017``) in ``factur-x.xml``.
    Checks the XML against the Factur-X XSD of that level; an unknown guideline
    id raises ``ValueError`` rather than declaring a profile the XML does not have."""
    import facturx
    from lxml import etree

    from invoicing.einvoice_xsd import xsd_errors

    root = etree.fromstring(xml)
    level = facturx.get_level(root, "factur-x")
    errors = xsd_errors(root, level)
    if errors:
        raise ValueError("; ".join(errors[:3]))
    guideline = root.findtext(f".//{_RAM}GuidelineSpecifiedDocumentContextParameter/{_RAM}ID")
    if guideline.startswith(_XRECHNUNG_GUIDELINE):
        version = guideline.removeprefix(_XRECHNUNG_GUIDELINE)
        return EInvoiceProfile("XRECHNUNG", "xrechnung.xml", version, "Alternative")
    if level not in _FACTURX_LEVELS:
        raise ValueError(f"no Factur-X profile for the guideline id {guideline}")
    return EInvoiceProfile(_FACTURX_LEVELS[level], "factur-x.xml", "1.0", "Data")


def _xmp_factur_x(profile: EInvoiceProfile) -> bytes:
    """The PDF/A extension schema of the ``fx`` properties and their values."""
    fields = "".join(
        '<rdf:li rdf:parseType="Resource">'
        f"<pdfaProperty:name>{name}</pdfaProperty:name>"
        "<pdfaProperty:valueType>Text</pdfaProperty:valueType>"
        "<pdfaProperty:category>external</pdfaProperty:category>"
        f"<pdfaProperty:description>{text}</pdfaProperty:description></rdf:li>"
        for name, text in _FX_PROPERTIES.items()
    )
    return (
        '<rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"'
        ' xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"'
        ' xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">'
        '<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">'
        "<pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>"
        f"<pdfaSchema:namespaceURI>{_FX_NAMESPACE}</pdfaSchema:namespaceURI>"
        "<pdfaSchema:prefix>fx</pdfaSchema:prefix>"
        f"<pdfaSchema:property><rdf:Seq>{fields}</rdf:Seq></pdfaSchema:property>"
        "</rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description>"
        f'<rdf:Description rdf:about="" xmlns:fx="{_FX_NAMESPACE}">'
        "<fx:DocumentType>INVOICE</fx:DocumentType>"
        f"<fx:DocumentFileName>{profile.filename}</fx:DocumentFileName>"
        f"<fx:Version>{profile.version}</fx:Version>"
        f"<fx:ConformanceLevel>{profile.conformance_level}</fx:ConformanceLevel>"
        "</rdf:Description>"
    ).encode()


def _add_factur_x_metadata(metadata, profile: EInvoiceProfile) -> None:
    """Put the ``fx`` descriptions into WeasyPrint's one XMP ``rdf:RDF`` element
    (``generate_rdf_metadata`` is the documented hook for extra XMP)."""
    generate = metadata.generate_rdf_metadata
    extra = _xmp_factur_x(profile)

    def with_factur_x(variant, version, conformance):
        rdf = generate(variant, version, conformance)
        if b"</rdf:RDF>" not in rdf:
            raise ValueError("unexpected XMP from WeasyPrint")
        return rdf.replace(b"</rdf:RDF>", extra + b"</rdf:RDF>")

    metadata.generate_rdf_metadata = with_factur_x


def _render(
    template: str, context: dict, xml: bytes, rows: list[list[dict]] | None = None
) -> bytes:
    """The letter as PDF/A-3b with ``xml`` embedded as ZUGFeRD / Factur-X, in
    one WeasyPrint pass (attachment and XMP written with the PDF); ``rows``
    for the placeholder rows of ``context`` (``_rows_as_slots``)."""
    import weasyprint

    from invoicing.pdf_fetcher import StaticOnlyFetcher, static_base_url

    profile = einvoice_profile(xml)
    # WeasyPrint writes the embedded file's dates with a "Z" (UTC) but, left to
    # itself, takes the local time: given in UTC, they are the true moment.
    embedded_at = timezone.now()
    attachment = weasyprint.Attachment(
        url="data:text/xml;base64," + base64.b64encode(xml).decode(),
        name=profile.filename,
        description=f"E-Rechnung ({profile.conformance_level})",
        relationship=profile.relationship,
        created=embedded_at,
        modified=embedded_at,
    )
    einvoice_format = (
        "XRechnung, EN 16931"
        if profile.conformance_level == "XRECHNUNG"
        else "ZUGFeRD / Factur-X, EN 16931"
    )
    html = render_to_string(template, {**context, "einvoice_format": einvoice_format})
    options = {"pdf_variant": "pdf/a-3b", "attachments": [attachment]}
    with fewer_gc_passes():
        document = _html_class()(
            string=html, base_url=static_base_url(), url_fetcher=StaticOnlyFetcher(), rows=rows
        ).render(stylesheets=[_stylesheet(get_language())], font_config=_font_config(), **options)
        _add_factur_x_metadata(document.metadata, profile)
        return document.write_pdf(finisher=_unique_associated_files, **options)


def _unique_associated_files(document, pdf) -> None:
    """WeasyPrint 70 lists an attachment twice in the catalog's ``/AF`` array
    (once from the name tree, once as a file specification); keep each once."""
    files = pdf.catalog.get("AF")
    if files:
        unique = list(dict.fromkeys(files))
        files.clear()
        files.extend(unique)


def render_invoice_pdf(invoice: Invoice, *, xml: bytes | None = None) -> bytes:
    """The PDF/A-3 of an issued invoice or cancellation invoice with its
    XRechnung XML embedded (ZUGFeRD / Factur-X): ``xml`` when the caller has
    written it already (``einvoice.invoice_xml`` of the same invoice)."""
    context, rows = _rows_as_slots(invoice_context(invoice))
    if xml is None:
        xml = document_xml(invoice_document(invoice))
    return _render("invoicing/pdf/invoice.html", context, xml, rows)


def render_refund_pdf(refund: Refund) -> bytes:
    """The PDF/A-3 of an issued refund document (Rechnungskorrektur / Erstattung)
    with its XRechnung credit note embedded."""
    context = refund_context(refund)
    xml = document_xml(refund_document(refund))
    return _render("invoicing/pdf/refund.html", context, xml)
