"""The rows of the invoice PDF's lines table as preformatted text, one table cell
per school: ``number name<TAB>licence year  [rate]  net``.

WeasyPrint's time grows with every box: a table cell costs about as much as the
text in it, so a school's row is one cell whose text ``white-space: pre`` keeps
as written. The tab stop (``tab-size``, one per table) starts the right-hand
part where it ends flush with the table's right edge (a tab is drawn exactly as
wide as laid out: ``pdf._draw_tabs_as_laid_out``); rates and amounts are
right-aligned within it by no-break spaces: in the letter font (Liberation
Sans) a digit is exactly two no-break spaces wide and "." and "," one. Names
are wrapped here, by the font's advance widths, before they reach the tab stop;
the continuation lines are indented under the name.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

NBSP = "\u00a0"
# The letter font and the fallback the stylesheet names, regular and bold.
_FONT_FILES = {
    False: (
        Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"),
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    ),
    True: (
        Path("/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"),
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ),
}
# A character the font lacks (drawn from a fallback font) or no font file at all:
# a generous width, so that names wrap early rather than run past the tab stop.
_DEFAULT_EM = 1.0

# The lines table (``_letter.css``): 7.5 pt text, 165 mm wide, 1 mm cell padding.
LINES_EM_MM = 7.5 * 25.4 / 72
LINES_CONTENT_MM = 165 - 2
COLUMN_GAP_EM = 2.0  # between licence year, rate and net
NAME_GAP_MM = 3.0  # at least between a name and the licence year


class _Widths(dict):
    """Advance width in em per character; characters the font lacks get the default."""

    def __missing__(self, char: str) -> float:
        return _DEFAULT_EM


@functools.cache
def advance_widths(bold: bool = False) -> _Widths:
    """Advance width in em per character of the letter font (the fallback font
    when it is missing)."""
    from fontTools.ttLib import TTFont

    for path in _FONT_FILES[bold]:
        try:
            font = TTFont(path, lazy=True)
        except OSError:
            continue
        metrics, per_em = font["hmtx"], font["head"].unitsPerEm
        return _Widths(
            (chr(code), metrics[glyph][0] / per_em) for code, glyph in font.getBestCmap().items()
        )
    return _Widths()


def text_em(text: str, bold: bool = False) -> float:
    return sum(map(advance_widths(bold).__getitem__, text))


def spaces(em: float, bold: bool = False) -> str:
    """No-break spaces as close to ``em`` as they come (at least one)."""
    return NBSP * max(1, round(em / advance_widths(bold)[NBSP]))


def wrap(text: str, width_em: float) -> list[str]:
    """``text`` in lines of at most ``width_em`` (a word longer than that stands
    on a line of its own and is cut between characters)."""
    lines: list[str] = []
    current, current_em = "", 0.0
    space_em = text_em(" ")
    for word in text.split(" "):
        word_em = text_em(word)
        if current and current_em + space_em + word_em <= width_em:
            current, current_em = f"{current} {word}", current_em + space_em + word_em
            continue
        if current:
            lines.append(current)
        while word_em > width_em:
            fits = (n for n in range(len(word) - 1, 1, -1) if text_em(word[:n]) <= width_em)
            cut = next(fits, 1)
            lines.append(word[:cut])
            word = word[cut:]
            word_em = text_em(word)
        current, current_em = word, word_em
    lines.append(current)
    return lines


@dataclass(frozen=True)
class Column:
    """A right-hand column: its heading and one value per row, right-aligned."""

    heading: str
    values: list[str]
    align_right: bool = True


@dataclass(frozen=True)
class Rows:
    """The table's heading and rows as cell texts, and its tab stop in mm."""

    heading: str
    rows: list[str]
    tab_mm: str


def _cells(column: Column) -> tuple[list[str], float]:
    """The column's values padded to its widest one, and that width in em."""
    width = max(text_em(value) for value in column.values)
    padded = []
    for value in column.values:
        missing = width - text_em(value)
        pad = spaces(missing) if missing > 0.1 else ""
        padded.append(pad + value if column.align_right else value + pad)
    return padded, width


def _right_parts(columns: list[Column]) -> tuple[list[str], str, float]:
    """Each row's right-hand part, the heading's, and the rows' width in em."""
    gap = spaces(COLUMN_GAP_EM)
    cells, widths = zip(*(_cells(column) for column in columns), strict=True)
    parts = [gap.join(row) for row in zip(*cells, strict=True)]
    width = max(text_em(part) for part in parts)
    heading, at = "", 0.0  # ``at``: where the heading's text ends, in the rows' em
    edge = 0.0
    for index, (column, column_width) in enumerate(zip(columns, widths, strict=True)):
        start = edge + (text_em(gap) if index else 0)
        edge = start + column_width
        label = text_em(column.heading, bold=True)
        target = edge - label if column.align_right else start
        heading += (spaces(target - at, bold=True) if index else "") + column.heading
        at = max(target, at) + label
    return parts, heading, width


def lines_rows(heading: str, schools: list[tuple[str, str]], columns: list[Column]) -> Rows:
    """The cell texts of the lines table: ``schools`` (number, name) left, the
    name wrapped and indented under itself, ``columns`` right-aligned at the
    table's right edge after a tab."""
    parts, right_heading, right_em = _right_parts(columns)
    tab_mm = LINES_CONTENT_MM - right_em * LINES_EM_MM
    name_em = (tab_mm - NAME_GAP_MM) / LINES_EM_MM
    rows = []
    for (number, name), part in zip(schools, parts, strict=True):
        indent_em = text_em(number + " ")
        first, *rest = wrap(name, name_em - indent_em)
        first = f"{number} {first}"
        indent = spaces(indent_em)
        rows.append(f"{first}\t{part}" + "".join(f"\n{indent}{line}" for line in rest))
    return Rows(f"{heading}\t{right_heading}", rows, f"{tab_mm:.2f}")


# The information block (``_letter.css``): 8.5 pt, labels and values 2 mm apart.
INFO_EM_MM = 8.5 * 25.4 / 72
INFO_GAP_MM = 2.0


def info_lines(info: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], str]:
    """The information block's lines as (label and the tab that ends it, value),
    and the tab stop in mm: right of the longest label."""
    tab_em = max(text_em(label) for label, _value in info) + INFO_GAP_MM / INFO_EM_MM
    return [(f"{label}\t", value) for label, value in info], f"{tab_em * INFO_EM_MM:.2f}"
