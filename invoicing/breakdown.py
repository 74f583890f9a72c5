"""Per-school cost breakdown of an invoice as .xlsx, so the buyer can split the cost
among its schools (R9)."""

from io import BytesIO

from django.utils.translation import gettext as _

from config.spreadsheet import write_text
from config.totals import allocate_vat
from invoicing.models import Invoice

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EURO = '#,##0.00 "€"'


def breakdown_xlsx(*, invoice: Invoice) -> bytes:
    # openpyxl (~20 MB, ~0.25 s to import) is loaded when a sheet is made, not in
    # every web process at start (as in licensing/anmeldeliste.py).
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Kosten je Schule")
    bold = Font(bold=True)
    title = _("Kostenaufstellung je Schule zu %(kind)s %(number)s vom %(date)s") % {
        "kind": invoice.get_kind_display(),
        "number": invoice.number,
        "date": invoice.issue_date.strftime("%d.%m.%Y"),
    }
    write_text(sheet.cell(row=1, column=1), title)
    sheet.cell(row=1, column=1).font = bold
    write_text(sheet.cell(row=2, column=1), invoice.buyer_name)
    headers = [
        _("Pos."),
        _("Schulnummer"),
        _("Schulname"),
        _("Produkt"),
        _("Nutzungsjahr von"),
        _("Nutzungsjahr bis"),
        _("Netto (€)"),
        _("USt-Satz (%)"),
        _("USt (€)"),
        _("Brutto (€)"),
    ]
    header_row = 4
    for column, header in enumerate(headers, start=1):
        write_text(sheet.cell(row=header_row, column=column), header)
        sheet.cell(row=header_row, column=column).font = bold
    row = header_row
    lines = list(invoice.lines.order_by("position"))
    for line, vat in zip(lines, allocate_vat(lines), strict=True):
        row += 1
        sheet.cell(row=row, column=1, value=line.position)
        write_text(sheet.cell(row=row, column=2), line.school_number)
        write_text(sheet.cell(row=row, column=3), line.school_name)
        write_text(sheet.cell(row=row, column=4), line.product_name)
        sheet.cell(row=row, column=5, value=line.period_start).number_format = "DD.MM.YYYY"
        sheet.cell(row=row, column=6, value=line.period_end).number_format = "DD.MM.YYYY"
        for column, amount in ((7, line.net_amount), (9, vat), (10, line.net_amount + vat)):
            sheet.cell(row=row, column=column, value=amount).number_format = EURO
        sheet.cell(row=row, column=8, value=line.vat_rate).number_format = "0.00"
    row += 2
    write_text(sheet.cell(row=row, column=3), _("Summe laut Rechnung"))
    sheet.cell(row=row, column=3).font = bold
    for column, amount in (
        (7, invoice.net_total),
        (9, invoice.vat_total),
        (10, invoice.gross_total),
    ):
        cell = sheet.cell(row=row, column=column, value=amount)
        cell.number_format = EURO
        cell.font = bold
    row += 2
    write_text(
        sheet.cell(row=row, column=1),
        _(
            "Die Umsatzsteuer der Rechnung ist je Steuersatz nach dem Verfahren des größten "
            "Restes auf die Schulen verteilt: Jede Schule erhält ihren genauen Anteil auf "
            "den Cent abgerundet, die verbleibenden Cents erhalten die Schulen mit dem "
            "größten Rest (bei gleichem Rest die frühere Position). So ergeben die Beträge "
            "je Schule zusammen genau die Rechnungsbeträge."
        ),
    )
    for column, width in zip("ABCDEFGHIJ", (6, 14, 48, 32, 16, 16, 14, 12, 12, 14), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    output = BytesIO()
    workbook.save(output)
    return output.getvalue()
