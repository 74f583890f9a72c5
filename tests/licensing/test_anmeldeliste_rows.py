"""Row errors of DOMAIN R3 and the more-than-half rule R1, through the upload page:
exact German messages naming row and column; nothing is written."""

import datetime
from decimal import Decimal

import pytest

from licensing.models import Licence, Order, OrderSchool, Price, RegistrationUpload
from tests.factories import (
    IndividualLicenceFactory,
    LicenceFactory,
    OrderFactory,
    ProductFactory,
)
from tests.licensing.listfiles import contact, make_xlsx, preview_address

pytestmark = pytest.mark.django_db

VALID = [
    contact("100001", "Grundschule Am Park 1", "Grundschule"),
    contact("100002"),
    contact("100003"),
    contact("200001", "Humboldt-Gymnasium 1", "Gymnasium"),
    contact("200002"),
]


def email_of_length(length: int) -> str:
    """A valid address (labels of at most 63 characters) of exactly ``length``."""
    local = "a" * 64
    rest = length - len(local) - 1 - len(".de")
    labels = []
    while rest > 0:
        label = min(63, rest)
        labels.append("b" * label)
        rest -= label + 1
    domain = ".".join(labels) + ".de"
    email = f"{local}@{domain}"
    assert len(email) == length, len(email)
    return email


def assert_nothing_written():
    assert Order.objects.count() == 0
    assert OrderSchool.objects.count() == 0
    assert Licence.objects.count() == 0
    assert RegistrationUpload.objects.count() == 0


def errors_of(response):
    assert response.status_code == 200
    result = response.context["result"]
    assert not result.is_valid
    html = response.content.decode()
    assert "Es wurde nichts bestellt." in html
    assert "Verbindlich bestellen" not in html
    return result.messages


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            contact("999999"),
            "Zeile 3, Spalte Schulnummer: Die Schulnummer 999999 steht nicht im "
            "Schulverzeichnis. Bitte prüfen Sie die Nummer.",
        ),
        (
            contact("400001"),
            "Zeile 3, Spalte Schulnummer: Die Schule 400001 gehört im Schulverzeichnis nicht "
            "zu Ihrem Schulträger.",
        ),
        (
            contact("100009"),
            "Zeile 3, Spalte Schulnummer: Die Schule 100009 ist im Schulverzeichnis als "
            "geschlossen eingetragen und kann nicht angemeldet werden.",
        ),
        (
            contact("", "Grundschule Am Park 4"),
            "Zeile 3, Spalte Schulnummer: Die Schulnummer fehlt.",
        ),
        (
            contact("100004", school_type="Gymnasium"),
            "Zeile 3, Spalte Schulform: Die Schulform „Gymnasium“ passt nicht zum "
            "Schulverzeichnis: Die Schule 100004 hat dort die Schulform Grundschule.",
        ),
        (
            contact("100004", name="Städtisches Berufskolleg Nord"),
            "Zeile 3, Spalte Schulname: Der Schulname „Städtisches Berufskolleg Nord“ passt "
            "nicht zur Schulnummer 100004 (im Schulverzeichnis: Grundschule Am Park 4). Bitte "
            "prüfen Sie die Schulnummer.",
        ),
        (
            contact("100004", first=""),
            "Zeile 3, Spalte Vorname: Der Vorname des Ansprechpartners fehlt.",
        ),
        (
            contact("100004", last=" "),
            "Zeile 3, Spalte Nachname: Der Nachname des Ansprechpartners fehlt.",
        ),
        (
            contact("100004", first="x" * 101),
            "Zeile 3, Spalte Vorname: Der Eintrag ist zu lang (höchstens 100 Zeichen).",
        ),
        (
            ["100004", "Grundschule Am Park 4", "Grundschule", "", " ", "", ""],
            "Zeile 3, Spalte Vorname: Zu dieser Schule fehlen die Angaben zum Ansprechpartner. "
            "Bitte tragen Sie Vorname, Nachname und E-Mail-Adresse ein oder löschen Sie die "
            "Zeile, wenn die Schule nicht teilnehmen soll.",
        ),
        (
            ["100004", "", "", "Max", "Muster", "", ""],
            "Zeile 3, Spalte E-Mail: Die E-Mail-Adresse des Ansprechpartners fehlt.",
        ),
        (
            contact("100004", email="max.muster(at)schule.de"),
            "Zeile 3, Spalte E-Mail: „max.muster(at)schule.de“ ist keine gültige E-Mail-Adresse.",
        ),
        (
            contact("100004", email=email_of_length(255)),
            "Zeile 3, Spalte E-Mail: Die E-Mail-Adresse ist zu lang (höchstens 254 Zeichen).",
        ),
        (
            contact("100004", phone="bitte anrufen"),
            "Zeile 3, Spalte Telefon: „bitte anrufen“ ist keine Telefonnummer (erlaubt sind "
            "Ziffern, Leerzeichen und + ( ) / -, höchstens 50 Zeichen).",
        ),
    ],
    ids=[
        "unknown",
        "other-authority",
        "closed",
        "number-missing",
        "type-differs",
        "name-differs",
        "first-name-missing",
        "last-name-missing",
        "too-long",
        "no-contact-at-all",
        "email-missing",
        "email-invalid",
        "email-too-long",
        "phone-invalid",
    ],
)
def test_row_error_names_row_and_column(upload_list, directory, row, expected):
    # Row 2 is a valid school, row 3 the faulty one.
    content = make_xlsx([contact("100001"), row, *VALID[1:]])

    messages = errors_of(upload_list(content))

    assert messages == [expected]
    assert_nothing_written()


def test_row_with_some_contact_data_gets_the_specific_errors(upload_list, directory):
    content = make_xlsx(
        [contact("100001"), ["100004", "", "", "", "", "", "0221 1234"], *VALID[1:]]
    )

    messages = errors_of(upload_list(content))

    assert messages == [
        "Zeile 3, Spalte Vorname: Der Vorname des Ansprechpartners fehlt.",
        "Zeile 3, Spalte Nachname: Der Nachname des Ansprechpartners fehlt.",
        "Zeile 3, Spalte E-Mail: Die E-Mail-Adresse des Ansprechpartners fehlt.",
    ]


def test_email_of_the_column_limit_is_accepted_and_ordered(upload_list, directory):
    from licensing.services import order_submit

    email = email_of_length(254)
    assert OrderSchool._meta.get_field("contact_email").max_length == 254
    content = make_xlsx([contact("100001", email=email), *VALID[1:]])

    assert preview_address(upload_list(content))
    upload = RegistrationUpload.objects.get()
    assert upload.is_valid
    order_submit(upload=upload)

    assert OrderSchool.objects.filter(contact_email=email).count() == 1


def test_duplicate_school_names_both_rows(upload_list, directory):
    content = make_xlsx([*VALID, contact("100002", email="zweite@schule.example.org")])

    messages = errors_of(upload_list(content))

    assert messages == [
        "Zeile 7, Spalte Schulnummer: Die Schule 100002 steht doppelt in der Liste "
        "(auch in Zeile 3)."
    ]
    assert_nothing_written()


def test_all_errors_are_listed_at_once_in_row_and_column_order(upload_list, directory):
    content = make_xlsx(
        [
            contact("100001", email="kaputt"),
            contact("999999", first=""),
            *VALID[1:],
        ]
    )

    messages = errors_of(upload_list(content))

    assert messages == [
        "Zeile 2, Spalte E-Mail: „kaputt“ ist keine gültige E-Mail-Adresse.",
        "Zeile 3, Spalte Schulnummer: Die Schulnummer 999999 steht nicht im Schulverzeichnis. "
        "Bitte prüfen Sie die Nummer.",
        "Zeile 3, Spalte Vorname: Der Vorname des Ansprechpartners fehlt.",
        # The faulty Grundschule 100001 no longer counts: 2 of 4.
        "Grundschule: 2 von 4 Schulen angemeldet. Nötig sind mehr als die Hälfte, also "
        "mindestens 3.",
    ]
    assert_nothing_written()


def test_columns_are_named_as_the_user_wrote_them(upload_list, directory):
    header = ["Ansprechpartner E-Mail", "NACHNAME", "vor name", "Schul-Nr.", "Bemerkung"]
    rows = [
        [f"p{n}@schule.example.org" if n != "100002" else "", "Muster", "Max", n, "x"]
        for n in ["100001", "100002", "100003", "100004", "200001", "200002"]
    ]
    messages = errors_of(upload_list(make_xlsx(rows, header=header)))

    assert messages == [
        "Zeile 3, Spalte Ansprechpartner E-Mail: Die E-Mail-Adresse des Ansprechpartners fehlt."
    ]


def test_school_with_running_bulk_licence_is_reported(upload_list, authority, product, directory):
    order = OrderFactory(authority=authority, product=product, status=Order.Status.CONFIRMED)
    LicenceFactory(
        order=order, school=directory["100002"], product=product, status=Licence.Status.ACTIVE
    )

    response = upload_list(make_xlsx([*VALID, contact("100004")]))

    messages = errors_of(response)
    assert messages == [
        f"Zeile 3, Spalte Schulnummer: Die Schule 100002 hat für dieses Produkt bereits eine "
        f"laufende Großkunden-Lizenz (Bestellung Nr. {order.pk}). Bitte entfernen Sie die Zeile."
    ]
    assert response.context["result"].licensed_schools == [
        {
            "row": 3,
            "school_number": "100002",
            "school_name": "Grundschule Am Park 2",
            "order_id": order.pk,
        }
    ]
    assert Order.objects.count() == 1  # only the existing one


@pytest.mark.parametrize(
    ("status", "order_status"),
    [
        (Licence.Status.PENDING, Order.Status.SUBMITTED),
        (Licence.Status.ACTIVE, Order.Status.CONFIRMED),
        (Licence.Status.CANCELLED, Order.Status.CONFIRMED),
    ],
)
def test_every_running_licence_state_is_reported(
    upload_list, authority, product, directory, status, order_status
):
    order = OrderFactory(authority=authority, product=product, status=order_status)
    LicenceFactory(order=order, school=directory["100002"], product=product, status=status)

    messages = errors_of(upload_list(make_xlsx([*VALID, contact("100004")])))

    assert messages == [
        f"Zeile 3, Spalte Schulnummer: Die Schule 100002 hat für dieses Produkt bereits eine "
        f"laufende Großkunden-Lizenz (Bestellung Nr. {order.pk}). Bitte entfernen Sie die Zeile."
    ]


@pytest.mark.parametrize(
    ("status", "order_status"),
    [
        (Licence.Status.EXPIRED, Order.Status.ENDED),
        (Licence.Status.SUPERSEDED, Order.Status.CONFIRMED),
        (Licence.Status.REJECTED, Order.Status.REJECTED),
    ],
)
def test_a_licence_that_no_longer_runs_does_not_block_the_school(
    upload_list, authority, product, directory, status, order_status
):
    order = OrderFactory(authority=authority, product=product, status=order_status)
    LicenceFactory(order=order, school=directory["100002"], product=product, status=status)

    response = upload_list(make_xlsx([*VALID, contact("100004")]))

    assert preview_address(response)  # checked without errors: the draft's preview


def test_a_running_licence_of_another_product_does_not_block_the_school(
    upload_list, authority, product, directory
):
    other = ProductFactory(code="anderes-produkt")
    order = OrderFactory(authority=authority, product=other, status=Order.Status.CONFIRMED)
    LicenceFactory(
        order=order, school=directory["100002"], product=other, status=Licence.Status.ACTIVE
    )

    assert preview_address(upload_list(make_xlsx([*VALID, contact("100004")])))


@pytest.mark.parametrize(
    ("gs_rows", "gym_rows", "expected"),
    [
        (
            ["100001", "100002"],
            ["200001", "200002"],
            ["Grundschule: 2 von 4 Schulen angemeldet. Nötig sind mehr als die Hälfte, also "
             "mindestens 3."],
        ),
        (["100001", "100002", "100003"], ["200001", "200002"], []),
        (
            ["100001", "100002", "100003"],
            ["200001"],
            ["Gymnasium: 1 von 2 Schulen angemeldet. Nötig sind mehr als die Hälfte, also "
             "mindestens 2."],
        ),
        # A type that is not ordered at all is not checked.
        (["100001", "100002", "100003"], [], []),
    ],
    ids=["gs-exactly-half", "half-plus-one", "gym-exactly-half", "type-not-ordered"],
)  # fmt: skip
def test_more_than_half_per_school_type(upload_list, directory, gs_rows, gym_rows, expected):
    response = upload_list(make_xlsx([contact(n) for n in gs_rows + gym_rows]))

    if expected:
        assert errors_of(response) == expected
        assert_nothing_written()
    else:
        assert preview_address(response)
        assert RegistrationUpload.objects.get().is_valid
    # The page shows the figure as registered / total / needed.


def test_figures_show_registered_total_needed(upload_list, directory):
    response = upload_list(make_xlsx([contact("100001"), contact("100002")]))

    figures = {
        f.name: (f.registered, f.total, f.needed, f.passed)
        for f in response.context["result"].figures
    }
    assert figures == {"Grundschule": (2, 4, 3, False), "Gymnasium": (0, 2, 2, False)}
    html = response.content.decode()
    assert 'max="4" low="3" high="4" optimum="4" value="2"' in html
    assert "nicht erfüllt" in html


def test_missing_schools_and_refunds_are_shown(
    staff_client, upload_list, authority, product, directory
):
    today = datetime.date.today()
    IndividualLicenceFactory(
        school=directory["100001"],
        product=product,
        start_date=today - datetime.timedelta(days=65),
        end_date=today - datetime.timedelta(days=65) + datetime.timedelta(days=364),
        paid_amount=Decimal("160.50"),
    )
    IndividualLicenceFactory(
        school=directory["100002"],
        product=product,
        start_date=today - datetime.timedelta(days=330),
        end_date=today + datetime.timedelta(days=34),
        paid_amount=Decimal("160.50"),
    )
    response = upload_list(make_xlsx(VALID[:3] + VALID[3:]))
    preview = staff_client.get(preview_address(response))
    result = preview.context["result"]

    assert [s["school_number"] for s in result.missing_schools] == ["100004"]
    first, second = result.refunds
    assert first.school_number == "100001"
    assert (first.amount, first.remaining_days, first.term_days) == ("131.92", 300, 365)
    assert second.school_number == "100002"
    assert second.amount is None
    html = preview.content.decode()
    assert "131,92 € (300 von 365 Tagen)" in html
    assert "keine (3 Monate oder weniger)" in html
    assert "beginnt; maßgeblich" in html and today.strftime("%d.%m.%Y") in html


def test_type_without_price_names_its_rows(upload_list, directory, product, gymnasium):
    Price.objects.filter(product=product, school_type=gymnasium).delete()

    messages = errors_of(upload_list(make_xlsx(VALID)))

    assert messages == [
        f"Zeile {row}, Spalte {column}: Die Schule {number} hat die Schulform Gymnasium; diese "
        "Schulform ist für dieses Produkt nicht bestellbar (es gibt keinen Preis dafür). Bitte "
        "löschen Sie die Zeile oder wenden Sie sich an Ihre Ansprechpartner im Verlag."
        for row, column, number in ((5, "Schulform", "200001"), (6, "Schulform", "200002"))
    ]
    assert_nothing_written()
