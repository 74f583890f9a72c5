"""TEMP: minimal stand-in so the invoicing benchmark runs on this branch. The einvoice
branch's invoicing/pdf.py (Factur-X PDF/A-3 layout) replaces this file at merge."""

from django.utils.html import escape


def _render(title: str, rows: list[str]) -> bytes:
    import weasyprint

    html = f"<h1>{escape(title)}</h1>" + "".join(f"<p>{escape(r)}</p>" for r in rows)
    return weasyprint.HTML(string=html).write_pdf()


def render_invoice_pdf(invoice) -> bytes:
    rows = [
        f"{line.school_number} {line.school_name} {line.net_amount}" for line in invoice.lines.all()
    ]
    return _render(f"{invoice.get_kind_display()} {invoice.number}", rows)


def render_refund_pdf(refund) -> bytes:
    return _render(f"Erstattung {refund.number}", [str(refund.gross_amount)])
