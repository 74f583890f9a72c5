"""Where things sit in the invoice PDF: a long invoice stays short and never
splits a school's row across pages; DIN 5008 form B positions (address window,
one-line return address, information block, fold and punch marks), read from
pdftotext's word boxes and from the rendered first page."""

import re
import subprocess
from html import unescape

import pytest

from invoicing.models import Invoice, InvoiceLine
from invoicing.pdf import render_invoice_pdf
from tests.invoicing.factories import InvoiceFactory, add_lines, as_draft

pytestmark = pytest.mark.django_db

MM = 72 / 25.4  # PDF points per millimetre
LONG_PRODUCT = "Westermann Unterrichtsmanager Digital – Schullizenz Sekundarstufe I und II"


def school_name(n: int, long_every: int = 5) -> str:
    """Realistic directory names, every ``long_every``-th one long enough to wrap,
    each ending in a word found nowhere else."""
    if n % long_every == 0:
        return (
            "Städtische Gemeinschaftshauptschule und Realschule im Schulzentrum "
            f"An der Alten Ziegelei – Sekundarschule des Kreises Abschluss{n}"
        )
    return f"Städt. Gemeinschaftsgrundschule Am Park Abschluss{n}"


def schools_invoice(count: int, long_every: int = 5):
    return add_lines(
        InvoiceFactory(),
        [("100.00", "7.00")] * count,
        product=LONG_PRODUCT,
        names=[school_name(n, long_every) for n in range(1, count + 1)],
    )


def assert_each_row_on_one_page(pages: list[str], count: int) -> None:
    for n in range(1, count + 1):
        number = f" {190000 + n} "
        with_number = [index for index, page in enumerate(pages) if number in page]
        with_name_end = [index for index, page in enumerate(pages) if f"Abschluss{n} " in page]
        assert len(with_number) == 1, n
        assert with_name_end == with_number, f"school {n}: row split across pages"


def page_texts(pdf: bytes, tmp_path) -> list[str]:
    path = tmp_path / "long.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return [re.sub(r"\s+", " ", page) for page in text.split("\f")[:-1]]


def words(pdf: bytes, tmp_path, page: int = 1) -> list[tuple[str, float, float, float, float]]:
    """(word, x_min, y_min, x_max, y_max) in millimetres from the top left corner."""
    path = tmp_path / "boxes.pdf"
    path.write_bytes(pdf)
    html = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
    return [
        (unescape(word), *(float(value) / MM for value in box))
        for *box, word in re.findall(pattern, html)
    ]


def find(boxes, word: str, below_mm: float = 0):
    return next(box for box in boxes if box[0] == word and box[2] >= below_mm)


def test_260_schools_fit_six_pages_each_row_on_one_page(tmp_path):
    pages = page_texts(render_invoice_pdf(schools_invoice(260)), tmp_path)

    assert len(pages) <= 6
    assert_each_row_on_one_page(pages, 260)
    # The product stands in the heading, not in every row.
    assert sum(page.count("Schullizenz Sekundarstufe") for page in pages) <= 2


def test_a_wrapping_school_name_never_splits_its_row_across_pages(tmp_path):
    # Every name wraps onto a second line, so every page break falls inside such a row.
    pages = page_texts(render_invoice_pdf(schools_invoice(90, long_every=1)), tmp_path)

    assert len(pages) >= 3
    assert_each_row_on_one_page(pages, 90)


def test_return_address_is_one_line_inside_the_window_even_for_a_long_seller(tmp_path, settings):
    seller = dict(settings.SELLER, name="Westermann Bildungsmedien Verlag GmbH & Co. KG")
    pdf = render_invoice_pdf(add_lines(InvoiceFactory(seller=seller), [("100.00", "7.00")]))
    boxes = words(pdf, tmp_path)

    # The return line: the seller's name, street and town on one line above the
    # recipient, within the 85 mm of the address field that starts 20 mm from the left.
    first = find(boxes, "Westermann", below_mm=45)
    last = find(boxes, "Braunschweig", below_mm=45)
    assert first[2] == pytest.approx(last[2], abs=0.2)
    assert first[1] == pytest.approx(20, abs=0.5)
    assert last[3] <= 105
    assert 45 + 10 < first[2] < 45 + 17.7


def test_address_window_and_information_block_follow_din_5008_form_b(tmp_path):
    pdf = render_invoice_pdf(add_lines(InvoiceFactory(), [("100.00", "7.00")]))
    boxes = words(pdf, tmp_path)

    # Recipient in the address zone: 45 + 17.7 mm from the top, 20 mm from the left.
    recipient = find(boxes, "Musterstadt", below_mm=45)
    city = find(boxes, "Köln", below_mm=45)
    assert find(boxes, "Stadt", below_mm=45)[1] == pytest.approx(20, abs=0.5)
    assert 62.7 <= recipient[2] < city[4] <= 90
    # Information block: 125 mm from the left edge, first line 50 mm from the top.
    label = find(boxes, "Rechnungsnummer")
    assert label[1] == pytest.approx(125, abs=0.5)
    assert 50 <= label[2] < 52
    assert find(boxes, "Leistungszeitraum")[1] == pytest.approx(125, abs=0.5)
    # The values in one column, just right of the longest label.
    values = [find(boxes, value)[1] for value in ("10.08.2026", "05315000-SCHULAMT1-82")]
    assert values[0] == pytest.approx(values[1], abs=0.2)
    assert 0 < values[0] - find(boxes, "Leistungszeitraum")[3] < 4


def dark_rows_at_left_edge(pdf: bytes, tmp_path, page: int) -> list[float]:
    """Heights (mm from the top) of rows with ink in the left 15 mm of ``page``."""
    path = tmp_path / "marks.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-f",
            str(page),
            "-l",
            str(page),
            "-r",
            "100",
            "-gray",
            str(path),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    image = next(tmp_path.glob("page*.pgm")).read_bytes()
    _magic, size, _depth, pixels = image.split(b"\n", 3)
    width, height = map(int, size.split())
    per_mm = 100 / 25.4
    rows = []
    for y in range(height):
        row = pixels[y * width : y * width + int(15 * per_mm)]
        if min(row) < 200:
            rows.append(y / per_mm)
    for leftover in tmp_path.glob("page*.pgm"):
        leftover.unlink()
    return rows


def test_fold_and_punch_marks_on_the_first_page_only(tmp_path):
    pdf = render_invoice_pdf(add_lines(InvoiceFactory(), [("100.00", "7.00")] * 80))
    marks = dark_rows_at_left_edge(pdf, tmp_path, page=1)

    for expected in (105, 148.5, 210):
        assert any(abs(row - expected) < 0.6 for row in marks), expected
    assert all(min(abs(row - mark) for mark in (105, 148.5, 210)) < 0.6 for row in marks)
    assert dark_rows_at_left_edge(pdf, tmp_path, page=2) == []


def test_school_names_align_whatever_the_length_of_the_school_number(tmp_path):
    invoice = InvoiceFactory()
    add_lines(invoice, [("100.00", "7.00")] * 3, names=["Alpha", "Beta", "Gamma"])
    # Directory numbers of other states are shorter; the lines are a snapshot,
    # so change them the way the factory writes them: while a draft.
    with as_draft(invoice):
        InvoiceLine.objects.filter(invoice=invoice, position=2).update(school_number="4711")
    boxes = words(render_invoice_pdf(Invoice.objects.get(pk=invoice.pk)), tmp_path)

    starts = [find(boxes, name)[1] for name in ("Alpha", "Beta", "Gamma")]
    assert max(starts) - min(starts) < 0.3
    assert find(boxes, "4711")[1] > find(boxes, "190001")[1] + 2


def test_licence_year_and_net_stand_in_columns_beside_short_and_wrapping_names(tmp_path):
    # Rows are preformatted text with a tab (pdf_rows.py): whatever the name's
    # length, the licence year starts and the net ends at the same place, flush
    # with the table's right edge, and a long name wraps before the licence year.
    invoice = add_lines(
        InvoiceFactory(),
        [("100.00", "7.00"), ("1234.50", "7.00"), ("9.95", "7.00")],
        names=[
            "Alpha",
            "Städtische Gemeinschaftshauptschule und Realschule im Schulzentrum An der Alten "
            "Ziegelei – Sekundarschule des Kreises Abschluss",
            "Städt. Gemeinschaftsgrundschule Am Park",
        ],
    )
    boxes = words(render_invoice_pdf(invoice), tmp_path)

    years = [box for box in boxes if box[0] == "01.08.26–31.07.27"]
    euros = [box for box in boxes if box[0] == "€" and box[2] > find(boxes, "Netto")[2]][:3]
    heading = find(boxes, "Nutzungsjahr", below_mm=find(boxes, "Netto")[2] - 1)
    assert len(years) == 3
    assert max(box[1] for box in years) - min(box[1] for box in years) < 0.2
    assert heading[1] == pytest.approx(years[0][1], abs=0.3)
    assert max(box[3] for box in euros) - min(box[3] for box in euros) < 0.2
    assert find(boxes, "Netto")[3] == pytest.approx(euros[0][3], abs=0.5)
    assert euros[0][3] == pytest.approx(210 - 20 - 1, abs=0.5)  # right margin, cell padding
    # The long name: its first line ends left of the licence year, the rest below it.
    long_row = find(boxes, "Städtische")
    first_line = [box for box in boxes if abs(box[2] - long_row[2]) < 0.5]
    assert max(box[3] for box in first_line if box[1] < years[0][1] - 1) < years[0][1] - 2
    assert find(boxes, "Abschluss")[2] > long_row[2] + 1
    assert find(boxes, "Abschluss")[1] > long_row[1]  # indented under the name


def test_footer_columns_stand_straight_and_a_long_entry_wraps_inside_its_column(tmp_path, settings):
    # The footer is preformatted text with tabs (pdf_rows.footer_text): each column
    # starts at the same place on every line, 38 % and 68 % across the 165 mm, and
    # an entry too long for its column wraps within it instead of running on.
    register = "Amtsgericht Braunschweig HRB 1234 – Sitz der Gesellschaft: Braunschweig"
    seller = dict(settings.SELLER, register=register)
    pdf = render_invoice_pdf(add_lines(InvoiceFactory(seller=seller), [("100.00", "7.00")]))
    footer = [box for box in words(pdf, tmp_path) if box[2] > 255]
    second_at, third_at = 25 + 165 * 0.38, 25 + 165 * 0.68

    def line_starts(low, high):
        starts = {}
        for box in footer:
            if low <= box[1] < high:
                key = round(box[2], 1)
                starts[key] = min(starts.get(key, box[1]), box[1])
        return list(starts.values())

    second, third = line_starts(second_at - 2, third_at - 2), line_starts(third_at - 2, 200)
    assert len(second) == 4  # the register on two lines, tax number, VAT id
    assert len(third) == 3
    assert max(second) - min(second) < 0.1
    assert max(third) - min(third) < 0.1
    assert second[0] == pytest.approx(second_at, abs=0.4)
    assert third[0] == pytest.approx(third_at, abs=0.1)
    assert max(box[3] for box in footer if box[1] < third_at - 2) < third_at - 2
