"""The tables of the check result and the preview, written in Python for speed
(licensing/templatetags/registration_tables.py): every problem by row and
column, every registered school, escaped like the template language escapes;
and the stored result, which ``to_dict`` writes without ``asdict``'s deep copy."""

import dataclasses
import json
import re
from html import unescape
from pathlib import Path

import pytest

from licensing.models import RegistrationUpload
from licensing.registration_result import (
    EntryRow,
    RefundNote,
    RegistrationResult,
    RowError,
    TypeFigure,
)
from tests.factories import SchoolFactory
from tests.licensing.listfiles import contact, make_xlsx, preview_address, without_csrf_tokens

pytestmark = pytest.mark.django_db

VALID_NUMBERS = ["100001", "100002", "100003", "200001", "200002"]


def table_rows(html: str, table_id: str) -> list[list[str]]:
    body = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    return [
        [unescape(cell) for cell in re.findall(r"<td>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>", 1)[1], re.S)
    ]


def test_every_problem_is_a_row_with_its_row_number_and_column(upload_list, directory):
    hostile = '<script>alert("x")</script>&@schule.de'
    rows = [contact(n) for n in VALID_NUMBERS]
    rows[1] = contact("100002", email=hostile)
    rows += [contact(f"9{i:05d}") for i in range(30)]  # 30 unknown numbers

    response = upload_list(make_xlsx(rows))

    html = response.content.decode()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;@schule.de" in html
    found = table_rows(html, "row-errors")
    assert found[0] == ["3", "E-Mail", f"„{hostile}“ ist keine gültige E-Mail-Adresse."]
    assert [row[:2] for row in found[1:]] == [[str(7 + i), "Schulnummer"] for i in range(30)]
    assert len(found) == len(response.context["result"].row_errors) == 31
    assert RegistrationUpload.objects.count() == 0


def test_preview_lists_every_school_with_its_contact(
    staff_client, upload_list, authority, directory, grundschule
):
    SchoolFactory(
        authority=authority,
        school_type=grundschule,
        school_number="100005",
        name="Grundschule <Nord> & Süd",
    )
    rows = [contact(n) for n in VALID_NUMBERS]
    rows.append(contact("100005", first="Anne-Marie", last="O'Neil", phone="0221 / 12-34"))
    response = upload_list(make_xlsx(rows))
    html = response.content.decode()  # the preview answers the upload
    stored = staff_client.get(preview_address(response)).content.decode()
    assert without_csrf_tokens(stored) == without_csrf_tokens(html)

    body = html.split("Angemeldete Schulen und Ansprechpartner<", 1)[1]
    found = [
        [unescape(cell) for cell in re.findall(r"<td>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>", 1)[1].split("</tbody>")[0])
    ]
    assert len(found) == 6
    assert found[-1] == [
        "7",
        "100005 Grundschule <Nord> & Süd",
        "Anne-Marie O'Neil",
        "p100005@schule.example.org",
        "0221 / 12-34",
    ]
    assert "Grundschule &lt;Nord&gt; &amp; Süd" in body
    assert "O&#x27;Neil" in body


def test_missing_schools_are_listed_escaped(upload_list, authority, directory, grundschule):
    SchoolFactory(
        authority=authority,
        school_type=grundschule,
        school_number="100006",
        name="Schule <am> Bach",
    )
    response = upload_list(make_xlsx([contact(n) for n in VALID_NUMBERS]))
    preview = response.client.get(preview_address(response)).content.decode()

    assert "<li>100004 Grundschule Am Park 4 (Grundschule)</li>" in preview
    assert "<li>100006 Schule &lt;am&gt; Bach (Grundschule)</li>" in preview


def test_stored_result_is_asdict_with_entries_and_row_errors_as_columns():
    result = RegistrationResult(
        row_errors=[RowError(3, "E-Mail", "„x“ ist keine gültige E-Mail-Adresse.")],
        list_errors=["Grundschule: 2 von 4"],
        entries=[EntryRow(2, 7, "100001", "GS", 1, "Anna", "Weiß", "a@b.de", "")],
        figures=[TypeFigure(1, "Grundschule", 2, 4, "100.00", "200.00")],
        missing_schools=[{"school_number": "1", "school_name": "S", "school_type": "GS"}],
        licensed_schools=[{"row": 2, "school_number": "1", "school_name": "S", "order_id": 9}],
        refunds=[RefundNote("1", "S", "2026", "150.00", "75.00", 180, 365)],
        total_price="200.00",
        assumed_start="2026-12-06",
        row_count=2,
    )

    stored = result.to_dict()

    as_rows = dataclasses.asdict(result)
    assert stored == {
        **as_rows,
        "row_errors": {
            "row": [3],
            "column": ["E-Mail"],
            "message": [as_rows["row_errors"][0]["message"]],
        },
        "entries": {
            "row": [2],
            "school_id": [7],
            "school_number": ["100001"],
            "school_name": ["GS"],
            "school_type_id": [1],
            "first_name": ["Anna"],
            "last_name": ["Weiß"],
            "email": ["a@b.de"],
            "phone": [""],
        },
    }
    assert RegistrationResult.from_dict(json.loads(json.dumps(stored))) == result
    # Results stored row by row (until December 2026) are read as well.
    assert RegistrationResult.from_dict(as_rows) == result
    stored["missing_schools"][0]["school_name"] = "changed"
    assert result.missing_schools[0]["school_name"] == "S"


def test_stored_columns_of_many_rows_come_back_in_order():
    entries = [
        EntryRow(row, row * 10, f"1{row:05d}", f"Schule {row}", row % 3, "A", "B", "a@b.de", "")
        for row in range(2, 502)
    ]
    errors = [RowError(row, "E-Mail", f"Fehler {row}") for row in range(600, 650)]
    result = RegistrationResult(entries=entries, row_errors=errors, row_count=550)

    back = RegistrationResult.from_dict(json.loads(json.dumps(result.to_dict())))

    assert back.entries == entries
    assert back.row_errors == errors


def test_summary_of_a_checked_list_totals_every_registered_school():
    from decimal import Decimal

    from config.totals import compute_totals
    from licensing.models import Product
    from licensing.order_summary import summary_of_result

    prices = {1: "123.45", 2: "99.99", 3: "0.07"}
    types = [1] * 7 + [2] * 3 + [3] * 11 + [4] * 2  # type 4: no price
    entries = [
        EntryRow(row, row, str(row), "S", type_id, "A", "B", "a@b.de", "")
        for row, type_id in enumerate(types, start=2)
    ]
    figures = [TypeFigure(t, f"Typ {t}", types.count(t), 20, prices.get(t)) for t in (1, 2, 3, 4)]
    product = Product(vat_rate=Decimal("19.00"))

    summary = summary_of_result(
        result=RegistrationResult(entries=entries, figures=figures), product=product
    )

    class Line:
        def __init__(self, net):
            self.net_amount, self.vat_rate = Decimal(net), product.vat_rate

    per_school = compute_totals([Line(prices[t]) for t in types if t in prices])
    assert summary.totals == per_school
    assert summary.totals.net == Decimal("1164.89")  # 7 × 123.45 + 3 × 99.99 + 11 × 0.07


def test_figure_rows_are_what_the_template_loop_wrote():
    from django.template import Context, Template

    from licensing.templatetags.registration_tables import figure_rows

    figures = [
        TypeFigure(1, "Grundschule", 0, 4, "100.00", "0.00"),  # none registered
        TypeFigure(2, 'Gymnasium <G8> & "Ganztag"', 3, 4, "1234.5", "3703.50"),  # passed
        TypeFigure(3, "Realschule", 2, 4, "99.99", "199.98"),  # not more than half
        TypeFigure(4, "Förderschule", 1, 1, None, None),  # no price
        TypeFigure(5, "Berufskolleg", 1250, 2400, "12000.00", "15000000.00"),  # thousands
    ]
    # The loop the preview template had before ``figure_rows`` wrote its rows.
    loop = (
        "{% load i18n l10n %}"
        + (Path(__file__).parent / "fixtures" / "figures_loop.html").read_text()
    )
    context = Context({"result": RegistrationResult(figures=figures)})

    assert f"    {figure_rows(figures)}\n" == Template(loop).render(context)
    assert "1.250/2.400" in figure_rows(figures)  # shown to people: localised
    # Read by the browser: plain numbers (max="2.400" would be 2.4 schools).
    assert 'max="2400" low="1201" high="2400" optimum="2400" value="1250"' in figure_rows(figures)
    assert "Gymnasium &lt;G8&gt; &amp; &quot;Ganztag&quot;: 3 von 4" in figure_rows(figures)


def test_entry_rows_escape_each_value_as_the_template_language_does():
    from django.template import Context, Template

    from licensing.templatetags.registration_tables import entry_rows

    names = ['Gymnasium "Am Turm"', "Schule <Nord> & Süd", "O'Neil", "Plain", "x\x00<y>"]
    entries = [
        EntryRow(row, row, f"1{row:05d}", name, 1, name[:3], "B&B", f"a{row}@b.de", "")
        for row, name in enumerate(names, start=2)
    ]
    loop = Template(
        "{% for e in entries %}<tr><td>{{ e.row }}</td><td>{{ e.school_number }} "
        "{{ e.school_name }}</td><td>{{ e.first_name }} {{ e.last_name }}</td>"
        "<td>{{ e.email }}</td><td>{{ e.phone }}</td></tr>{% if not forloop.last %}\n"
        "{% endif %}{% endfor %}"
    )

    # A value with the separator the column is joined with is escaped on its own;
    # the others in one pass: the same text either way.
    for some in (entries, entries[:4], entries[4:], []):
        assert entry_rows(some) == loop.render(Context({"entries": some}))
