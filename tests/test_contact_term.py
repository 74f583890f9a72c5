"""One term for the school's contact person everywhere users read it:
„Ansprechpartner“ (DOMAIN.md glossary, the publisher's seed text). These checks
fail as soon as the other term comes back into a template, an e-mail, the
message catalogue, a user-facing string in the code or the Excel template. The
publisher's staff („Ihre Ansprechpartner im Verlag“) use the same word."""

import ast
import io
from pathlib import Path

import pytest
from django.conf import settings
from openpyxl import load_workbook

from licensing.anmeldeliste import read_list
from licensing.registration import registration_template
from tests.factories import (
    PriceFactory,
    ProductFactory,
    SchoolAuthorityFactory,
    SchoolFactory,
    SchoolTypeFactory,
)
from tests.licensing.listfiles import make_xlsx

OTHER_TERM = "ansprechperson"
APPS = ("config", "schools", "licensing", "invoicing", "portal")
BASE = Path(settings.BASE_DIR)


def _offending_lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [
        f"{path.relative_to(BASE)}:{number}"
        for number, line in enumerate(text.splitlines(), start=1)
        if OTHER_TERM in line.lower()
    ]


def test_templates_and_mails_use_one_term():
    folders = [BASE / "templates"] + [BASE / app / "templates" for app in APPS]
    files = [
        path
        for folder in folders
        if folder.is_dir()
        for path in folder.rglob("*")
        if path.suffix in (".html", ".txt", ".xml")
    ]
    assert len(files) > 50  # the templates were found
    assert [line for path in files for line in _offending_lines(path)] == []


def test_message_catalogue_uses_one_term():
    catalogues = list((BASE / "locale").rglob("*.po"))
    assert catalogues
    assert [line for path in catalogues for line in _offending_lines(path)] == []


def _user_strings(path: Path):
    """String constants of a module as users may read them (messages, labels,
    help texts), i.e. every string but docstrings; the reader's header aliases
    are normalised lower-case spellings (``ansprechpersonvorname``) and excluded
    by their form: no capital letter, no space."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and node.value != node.value.lower().replace(" ", "")
        ):
            yield node.lineno, node.value


def test_code_messages_and_admin_labels_use_one_term():
    modules = [path for app in APPS for path in (BASE / app).rglob("*.py")]
    offending = [
        f"{path.relative_to(BASE)}:{line}"
        for path in modules
        for line, text in _user_strings(path)
        if OTHER_TERM in text.lower()
    ]
    assert offending == []


def test_the_guard_finds_the_other_term(tmp_path):
    """The checks above are not blind: the forms the term takes are found."""
    module = tmp_path / "m.py"
    module.write_text('MESSAGE = _("Die Ansprechperson fehlt.")\nALIAS = "ansprechpersonvorname"\n')
    template = tmp_path / "t.html"
    template.write_text('{% translate "Ansprechpersonen" %}\n')
    assert [text for _line, text in _user_strings(module)] == ["Die Ansprechperson fehlt."]
    assert OTHER_TERM in template.read_text().lower()


@pytest.mark.django_db
def test_excel_template_uses_one_term():
    authority = SchoolAuthorityFactory()
    priced = SchoolTypeFactory(key="02", name="Grundschule")
    unpriced = SchoolTypeFactory(key="10", name="Berufskolleg")
    product = ProductFactory()
    PriceFactory(product=product, school_type=priced)
    SchoolFactory(authority=authority, school_type=priced)
    SchoolFactory(authority=authority, school_type=unpriced)
    workbook = load_workbook(
        io.BytesIO(registration_template(authority=authority, product=product))
    )

    texts = [
        str(cell.value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value
    ]
    for validation in workbook["Anmeldeliste"].data_validations.dataValidation:
        texts += [validation.prompt or "", validation.error or ""]
    assert len(workbook.sheetnames) == 3
    assert [text for text in texts if OTHER_TERM in text.lower()] == []
    headers = [cell.value for cell in workbook["Anmeldeliste"][4]]
    assert headers[4:] == [
        "Ansprechpartner Vorname",
        "Ansprechpartner Nachname",
        "Ansprechpartner E-Mail",
        "Ansprechpartner Telefon",
    ]


@pytest.mark.parametrize(
    "contact_headers",
    [
        ["Ansprechpartner Vorname", "Ansprechpartner Nachname", "Ansprechpartner E-Mail",
         "Ansprechpartner Telefon"],
        ["Vorname", "Nachname", "E-Mail", "Telefon"],  # templates before December 2026
        ["Ansprechperson Vorname", "Ansprechperson Nachname", "Ansprechperson E-Mail",
         "Ansprechperson Telefon"],
        ["Vorname Ansprechperson", "Nachname Ansprechperson", "E-Mail Ansprechperson",
         "Telefon Ansprechperson"],
    ],
)  # fmt: skip
def test_old_contact_headers_are_still_read(contact_headers):
    content = make_xlsx(
        [["100001", "Ada", "Lovelace", "ada@schule.example.org", "0221 1"]],
        header=["Schulnummer", *contact_headers],
    )

    parsed = read_list(content, "alt.xlsx")

    assert parsed.rows[0].values == {
        "school_number": "100001",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@schule.example.org",
        "phone": "0221 1",
    }
    assert list(parsed.headers.values()) == ["Schulnummer", *contact_headers]
