"""Submitting a checked list: access per authority, double submission, replacing
the draft, constant queries, and the two management commands."""

import io
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from licensing.anmeldeliste import read_list
from licensing.models import Licence, Order, OrderSchool, Price, RegistrationUpload
from licensing.registration import registration_validate
from licensing.services import order_submit
from tests.factories import SchoolFactory
from tests.licensing.listfiles import contact, make_xlsx, preview_address

pytestmark = pytest.mark.django_db

VALID = [contact(n) for n in ["100001", "100002", "100003", "200001", "200002"]]
ACCEPT = {"accept_terms": "on"}


@pytest.fixture
def draft(upload_list, directory):
    response = upload_list(make_xlsx(VALID))
    assert preview_address(response)
    return RegistrationUpload.objects.get()


def test_other_authority_cannot_upload_see_or_submit(
    other_client, other_authority, authority, product, draft, upload_list
):
    urls = [
        reverse("licensing:order_upload", args=[authority.pk, product.code]),
        reverse("licensing:order_template", args=[authority.pk, product.code]),
        reverse("licensing:order_preview", args=[authority.pk, draft.pk]),
        # Their own authority id with our draft's id.
        reverse("licensing:order_preview", args=[other_authority.pk, draft.pk]),
    ]
    for url in urls:
        assert other_client.get(url).status_code == 404, url
    assert upload_list(make_xlsx(VALID), client=other_client).status_code == 404
    for authority_id in (authority.pk, other_authority.pk):
        response = other_client.post(
            reverse("licensing:order_submit", args=[authority_id, draft.pk])
        )
        assert response.status_code == 404
    assert Order.objects.count() == 0
    assert RegistrationUpload.objects.count() == 1


def test_other_authority_cannot_see_the_order(
    staff_client, other_client, other_authority, authority, draft
):
    staff_client.post(reverse("licensing:order_submit", args=[authority.pk, draft.pk]), ACCEPT)
    order = Order.objects.get()
    for authority_id in (authority.pk, other_authority.pk):
        url = reverse("licensing:order_submitted", args=[authority_id, order.pk])
        response = other_client.get(url)
        assert response.status_code == 404
    assert (
        "Mathe digital"
        not in other_client.get(
            reverse("portal:dashboard", args=[other_authority.pk])
        ).content.decode()
    )


@pytest.mark.parametrize("data", [{}, {"accept_terms": ""}])
def test_no_binding_order_without_the_terms_acknowledged(staff_client, authority, draft, data):
    url = reverse("licensing:order_submit", args=[authority.pk, draft.pk])
    response = staff_client.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Bitte bestätigen Sie, dass Sie die Bedingungen gelesen haben" in html
    assert 'aria-invalid="true"' in html
    assert Order.objects.count() == 0 and Licence.objects.count() == 0
    draft.refresh_from_db()
    assert draft.is_draft
    assert staff_client.post(url, ACCEPT).status_code == 302
    assert Order.objects.count() == 1


def test_preview_and_mail_show_vat_gross_and_terms(
    staff_client, authority, draft, product, settings, django_capture_on_commit_callbacks
):
    settings.INVOICE_PAYMENT_DAYS = 21
    settings.INVOICE_ISSUE_DELAY_DAYS = 10
    settings.RENEWAL_NOTICE_DAYS = 35
    # 3 Grundschulen x 100 + 2 Gymnasien x 250 = 800 net; 7 % VAT = 56.
    preview = staff_client.get(reverse("licensing:order_preview", args=[authority.pk, draft.pk]))
    html = preview.content.decode()
    for text in (
        "300,00 €",
        "500,00 €",
        "zzgl. Umsatzsteuer 7 %",
        "56,00 €",
        "856,00 €",
        "innerhalb von 21 Tagen",
        "10 Tage nach der Einrichtung",
        "35 Tage vor der Verlängerung",
        "Ich habe die Bedingungen gelesen und bestelle verbindlich",
    ):
        assert text in html, text
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(reverse("licensing:order_submit", args=[authority.pk, draft.pk]), ACCEPT)
    order = Order.objects.get()
    buyer_mail = mail.outbox[0]
    html_mail = buyer_mail.alternatives[0][0]
    link = f"{settings.PORTAL_URL}{reverse('orders:detail', args=[authority.pk, order.pk])}"
    for body in (buyer_mail.body, html_mail):
        for text in ("856,00 €", "zzgl. Umsatzsteuer 7 %", "innerhalb von 21 Tagen", link):
            assert text in body, text
        assert "Franziska Dorbert" in body and "Daniel Rieger" in body
        assert "Support für Schulen" not in body


def test_double_submission_creates_nothing_twice(
    staff_client, authority, draft, django_capture_on_commit_callbacks
):
    url = reverse("licensing:order_submit", args=[authority.pk, draft.pk])
    with django_capture_on_commit_callbacks(execute=True):
        first = staff_client.post(url, ACCEPT)
        second = staff_client.post(url, ACCEPT)  # double click / back button / second tab
    order = Order.objects.get()
    target = reverse("licensing:order_submitted", args=[authority.pk, order.pk])
    assert first["Location"] == second["Location"] == target
    assert OrderSchool.objects.count() == 5
    assert Licence.objects.count() == 5
    assert len(mail.outbox) == 2  # one confirmation, one publisher note
    # The service itself, called again, returns the same order.
    assert order_submit(upload=draft) == order
    assert Order.objects.count() == 1
    # The preview of a submitted list leads to the order.
    preview = staff_client.get(reverse("licensing:order_preview", args=[authority.pk, draft.pk]))
    assert preview["Location"] == target


def test_upload_again_replaces_the_draft(
    upload_list, directory, staff_client, authority, django_capture_on_commit_callbacks
):
    upload_list(make_xlsx(VALID))
    first = RegistrationUpload.objects.get()
    storage, first_name = first.file.storage, first.file.name
    assert storage.exists(first_name)

    with django_capture_on_commit_callbacks(execute=True):
        upload_list(make_xlsx(VALID[:4] + [contact("100004"), VALID[4]]), name="neu.xlsx")

    second = RegistrationUpload.objects.get(is_draft=True)
    assert second.pk != first.pk
    assert second.original_filename == "neu.xlsx"
    assert not storage.exists(first_name)
    assert not second.file.name.endswith("neu.xlsx")  # random name in private storage
    # A colleague's open preview of the replaced list says so and leads to the
    # product page; ordering from it is refused and creates nothing.
    old_preview = staff_client.get(
        reverse("licensing:order_preview", args=[authority.pk, first.pk]), follow=True
    )
    assert old_preview.redirect_chain[-1][0] == reverse(
        "licensing:order_upload", args=[authority.pk, "mathe-digital"]
    )
    assert "durch eine neuer hochgeladene Liste ersetzt" in old_preview.content.decode()
    old_submit = staff_client.post(
        reverse("licensing:order_submit", args=[authority.pk, first.pk]), ACCEPT, follow=True
    )
    assert "durch eine neuer hochgeladene Liste ersetzt" in old_submit.content.decode()
    assert Order.objects.count() == 0


def test_list_that_became_invalid_is_not_ordered(staff_client, authority, draft, directory):
    directory["100002"].is_active = False
    directory["100002"].save()

    response = staff_client.post(
        reverse("licensing:order_submit", args=[authority.pk, draft.pk]), ACCEPT
    )

    assert Order.objects.count() == 0
    assert response["Location"] == reverse(
        "licensing:order_upload", args=[authority.pk, "mathe-digital"]
    )
    page = staff_client.get(response["Location"]).content.decode()
    assert "Zeile 3, Spalte Schulnummer: Die Schule 100002 ist im Schulverzeichnis als " in page


def test_validation_queries_do_not_grow_with_rows(authority, product, directory, grundschule):
    for i in range(200):
        SchoolFactory(authority=authority, school_type=grundschule, school_number=f"{500000 + i}")
    small = read_list(make_xlsx(VALID + [contact("999999")]))
    large = read_list(
        make_xlsx(VALID + [contact(f"{500000 + i}") for i in range(200)] + [contact("999999")])
    )
    with CaptureQueriesContext(connection) as small_queries:
        registration_validate(parsed=small, authority=authority, product=product)
    with CaptureQueriesContext(connection) as large_queries:
        result = registration_validate(parsed=large, authority=authority, product=product)
    assert len(result.entries) == 205
    assert len(large.rows) == 206
    assert len(small_queries) == len(large_queries)


def test_numbers_not_the_authoritys_are_told_apart_after_the_last_rows_in_one_query(
    authority, product, directory
):
    """The rows arrive from the reader in frames of 256 (``registration_check``): a
    number of another authority's school in the first frame and one not in the
    directory in the last are told apart once all rows are there, with one query
    for both, as for a list of a few rows."""
    from licensing.services import registration_check

    def check(rows):
        with CaptureQueriesContext(connection) as queries:
            result = registration_check(
                data=make_xlsx(rows), filename="liste.xlsx", authority=authority, product=product
            )
        return result, len(queries)

    filler = [contact(f"{100001 + i % 3}") for i in range(600)]  # duplicates: row errors
    long_result, long_queries = check([contact("400001"), *filler, contact("999999")])
    short_result, short_queries = check([contact("400001"), contact("999999")])

    for result, last_row in ((long_result, 603), (short_result, 3)):
        number_errors = [e for e in result.messages if "Schulverzeichnis" in e]
        assert number_errors[0] == (
            "Zeile 2, Spalte Schulnummer: Die Schule 400001 gehört im Schulverzeichnis nicht "
            "zu Ihrem Schulträger."
        )
        assert number_errors[-1] == (
            f"Zeile {last_row}, Spalte Schulnummer: Die Schulnummer 999999 steht nicht im "
            "Schulverzeichnis. Bitte prüfen Sie die Nummer."
        )
    assert long_result.row_count == 602
    assert long_queries == short_queries


def test_upload_page_query_count(upload_list, directory, django_assert_num_queries):
    content = make_xlsx(VALID + [contact("100004")])
    # session, user, authority, product; savepoint; while the reader reads: the
    # authority's schools, running licences, prices, individual licences and the
    # old draft (locked); then insert, release; the session saved for the idle
    # timeout (savepoint, update, release). The same for 6 rows as for 10,000 (see
    # the test above).
    with django_assert_num_queries(15):
        response = upload_list(content)
    assert preview_address(response)


def test_product_page_shows_prices_per_type_and_individual_comparison(
    staff_client, authority, product, directory
):
    response = staff_client.get(reverse("licensing:order_products", args=[authority.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    overview = response.context["products"][0][1]
    lines = {
        line.name: (line.schools, line.bulk_total, line.individual_total) for line in overview.lines
    }
    assert lines == {
        "Grundschule": (4, 400, 600),
        "Gymnasium": (2, 500, 800),
    }
    assert overview.bulk_total == 900
    assert "900,00 €" in html and "1.400,00 €" in html


def test_export_command_writes_the_template(tmp_path, authority, product, directory):
    out = tmp_path / "liste.xlsx"
    stdout = io.StringIO()
    call_command(
        "export_anmeldeliste",
        "--authority", authority.customer_number,
        "--product", "mathe-digital",
        "--out", str(out),
        stdout=stdout,
    )  # fmt: skip
    sheet = load_workbook(out)["Anmeldeliste"]
    assert sheet["A5"].value == "100001"
    assert "(6 Schulen)" in stdout.getvalue()


def test_export_command_counts_the_not_orderable_schools_apart(
    tmp_path, authority, product, directory, gymnasium
):
    Price.objects.filter(product=product, school_type=gymnasium).delete()
    stdout = io.StringIO()
    call_command(
        "export_anmeldeliste",
        "--authority", authority.customer_number,
        "--product", "mathe-digital",
        "--out", str(tmp_path / "liste.xlsx"),
        stdout=stdout,
    )  # fmt: skip
    assert "(4 Schulen; 2 nicht bestellbar, im Blatt „Nicht bestellbar“)" in stdout.getvalue()


def run_import(path: Path, authority, *extra):
    stdout = io.StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command(
            "import_anmeldeliste", str(path),
            "--authority", authority.customer_number,
            "--product", "mathe-digital",
            *extra,
            stdout=stdout,
        )  # fmt: skip
        raise SystemExit(0)
    return exc.value.code, stdout.getvalue().splitlines()


def test_import_command_prints_every_problem_and_exits_1(tmp_path, authority, product, directory):
    path = tmp_path / "liste.xlsx"
    path.write_bytes(make_xlsx([contact("100001", email="kaputt"), *VALID[1:]]))

    code, lines = run_import(path, authority, "--submit")

    assert code == 1
    assert lines == [
        "Zeile 2, Spalte E-Mail: „kaputt“ ist keine gültige E-Mail-Adresse.",
        "Grundschule: 2 von 4 Schulen angemeldet. Nötig sind mehr als die Hälfte, also "
        "mindestens 3.",
        "Mehr als die Hälfte je Schulform (angemeldet / gesamt / nötig):",
        "  Grundschule: 2 / 4 / 3 – nicht erfüllt",
        "  Gymnasium: 2 / 2 / 2 – erfüllt",
        "2 Fehler; es wurde nichts gespeichert.",
    ]
    assert Order.objects.count() == RegistrationUpload.objects.count() == 0


def test_import_command_file_error_exits_1(tmp_path, authority, product, directory):
    path = tmp_path / "liste.pdf"
    path.write_bytes(b"%PDF-1.4")
    code, lines = run_import(path, authority)
    assert code == 1
    assert lines[0].startswith("Die Datei ist keine Tabelle.")


def test_import_command_valid_list_and_submit(
    tmp_path, authority, product, directory, django_capture_on_commit_callbacks
):
    path = tmp_path / "liste.xlsx"
    path.write_bytes(make_xlsx(VALID))

    code, lines = run_import(path, authority)
    assert code == 0
    assert lines[-1] == "Die Liste ist gültig: 5 Schulen, Jahrespreis 800.00 € netto."
    assert Order.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        code, lines = run_import(path, authority, "--submit")
    order = Order.objects.get()
    assert code == 0
    assert lines[-1] == f"Bestellung Nr. {order.pk} angelegt (Status: eingegangen)."
    assert order.status == Order.Status.SUBMITTED
    assert order.licences.count() == 5
    assert [m.to for m in mail.outbox] == [["vertrieb@example.org"]]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--authority", "00000", "--product", "mathe-digital"],
            "Es gibt keinen Schulträger mit der Kundennummer 00000.",
        ),
        (
            ["--authority", "AUTH", "--product", "gibt-es-nicht"],
            "Es gibt kein Produkt mit dem Code gibt-es-nicht.",
        ),
    ],
)
def test_commands_unknown_authority_or_product(tmp_path, authority, product, options, message):
    options = [authority.customer_number if o == "AUTH" else o for o in options]
    with pytest.raises(CommandError, match=message):
        call_command("export_anmeldeliste", *options, "--out", str(tmp_path / "x.xlsx"))
    with pytest.raises(CommandError, match=message):
        call_command("import_anmeldeliste", str(tmp_path / "x.xlsx"), *options)


def test_template_keeps_user_text_out_of_formulas(staff_client, authority, product, directory):
    authority.name = '=HYPERLINK("http://böse.example","klick")'
    authority.save()
    directory["100001"].name = "+49 Grundschule"
    directory["100001"].save()
    directory["100002"].name = "@Schule"
    directory["100002"].save()

    response = staff_client.get(
        reverse("licensing:order_template", args=[authority.pk, product.code])
    )
    sheet = load_workbook(io.BytesIO(response.content))["Anmeldeliste"]

    assert sheet["A2"].data_type == "s"
    assert sheet["A2"].value.startswith("Schulträger: =HYPERLINK")
    for cell in (sheet["B5"], sheet["B6"]):
        assert cell.data_type == "s"
        assert cell.quotePrefix
    assert "<f>" not in _sheet_xml(response.content)


def _sheet_xml(content: bytes) -> str:
    import zipfile

    return zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()
