"""Refunds paid out: the notice e-mail with the signed link, the school's account
page (expired, tampered and foreign links refused, IBAN check digits, nothing
written on bad input), the SEPA file (valid pain.001, sum of the refunds), paid
out with a date, and refunds still without an account after 30 days."""

import datetime
import importlib
import os
from decimal import Decimal as D

import pytest
import sepaxml
import xmlschema
from auditlog.models import LogEntry
from django.core import mail, signing
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from lxml import etree

from invoicing.documents import document_read
from invoicing.models import Refund, RefundPayout, RefundTransfer
from invoicing.payout_links import refund_account_token
from invoicing.payout_models import iban_mask
from invoicing.payouts import (
    refund_account_save,
    refund_transfer_create,
    refund_transfer_mark_paid,
    refund_transfer_withdraw,
)
from invoicing.pdf import refund_context
from invoicing.refunds import refund_create_for_superseded
from invoicing.selectors import refunds_due_for_transfer, refunds_without_account
from invoicing.sending import refund_notice_send
from tests.factories import IndividualLicenceFactory, OrderSchoolFactory

BULK_START = datetime.date(2026, 8, 1)  # 160,50 € × 153/365 → 67,28 €
ISSUED_ON = datetime.date(2026, 8, 3)
GOOD_IBAN = "DE89 3704 0044 0532 0130 00"
OTHER_IBAN = "NL91ABNA0417164300"
PAIN_XSD = os.path.join(os.path.dirname(sepaxml.__file__), "schemas", "pain.001.001.09.xsd")
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}


def make_refund(capture, *, contact=True, paid=D("160.50")) -> Refund:
    licence = IndividualLicenceFactory(paid_amount=paid)
    if contact:
        OrderSchoolFactory(
            school=licence.school,
            order__product=licence.product,
            order__authority=licence.school.authority,
            contact_email=f"kontakt-{licence.school.school_number}@schule.example.org",
        )
    with capture(execute=True):
        refund = refund_create_for_superseded(
            individual_licence=licence, bulk_start=BULK_START, on=ISSUED_ON
        )
    return Refund.objects.get(pk=refund.pk)


@pytest.fixture
def refund(db, django_capture_on_commit_callbacks):
    return make_refund(django_capture_on_commit_callbacks)


def link(refund, token=None):
    token = token or refund_account_token(refund=refund)
    return reverse("invoicing:refund_account", args=[refund.pk, token])


def payout_of(refund) -> RefundPayout:
    return RefundPayout.objects.get(refund=refund)


# --- Notice -----------------------------------------------------------------------


@pytest.mark.django_db
def test_notice_mails_the_documents_and_the_link_to_the_contact_person_once(refund):
    [notice] = mail.outbox
    contact = f"kontakt-{refund.school.school_number}@schule.example.org"
    assert notice.to == [contact]
    assert (
        notice.subject
        == f"Erstattung {refund.number} für {refund.recipient_name}: bitte Konto angeben"
    )
    assert "Für die restliche Laufzeit erstatten wir 67,28 €" in notice.body
    assert f"die Einzellizenz für {refund.recipient_name} aus Rechnung" in notice.body
    assert f"http://testserver{link(refund)}".split("/konto/")[0] in notice.body.replace(
        "http://127.0.0.1:8000", "http://testserver"
    )
    assert [name for name, _content, _type in notice.attachments] == [
        f"{refund.number}.pdf",
        f"{refund.number}.xml",
    ]
    assert notice.attachments[0][1] == document_read(refund.pdf)
    assert payout_of(refund).notice_sent_to == contact

    assert refund_notice_send(refund_id=refund.pk) is False
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_notice_goes_to_the_school_address_without_a_contact_person(
    django_capture_on_commit_callbacks,
):
    refund = make_refund(django_capture_on_commit_callbacks, contact=False)
    refund.school.email = "sekretariat@schule.example.org"
    refund.school.save()
    RefundPayout.objects.filter(refund=refund).delete()

    assert refund_notice_send(refund_id=refund.pk) is True
    assert mail.outbox[-1].to == ["sekretariat@schule.example.org"]


@pytest.mark.django_db
def test_link_in_the_notice_opens_the_account_page(client, refund):
    [notice] = mail.outbox
    url = next(word for word in notice.body.split() if "/konto/" in word)
    path = url.removeprefix("http://127.0.0.1:8000")

    response = client.get(path)

    assert response.status_code == 200
    assert f"Konto für die Erstattung {refund.number}" in response.content.decode()
    # No article before the school's name ("der Städtische …" would be wrong German).
    assert f"Für {escape(refund.recipient_name)} erstatten wir 67,28 €" in response.content.decode()


# --- Account page -------------------------------------------------------------------


@pytest.mark.django_db
def test_school_saves_its_account_once_with_the_bic_derived(client, refund):
    response = client.post(link(refund), {"account_holder": " Stadt  Köln ", "iban": GOOD_IBAN})

    assert response.status_code == 200
    content = response.content.decode()
    assert "IBAN DE89 •••• •••• •••• ••30 00" in content  # only the last four shown
    assert "0532" not in content
    payout = payout_of(refund)
    assert (payout.account_holder, payout.iban, payout.bic, payout.bank_name) == (
        "Stadt Köln",
        "DE89370400440532013000",
        "COBADEFFXXX",
        "Commerzbank",
    )
    assert payout.account_entered_via == RefundPayout.EnteredVia.LINK

    again = client.post(link(refund), {"account_holder": "Betrüger", "iban": OTHER_IBAN})
    assert again.status_code == 403
    assert "bereits ein Konto angegeben" in again.content.decode()
    assert payout_of(refund).iban == "DE89370400440532013000"
    assert client.get(link(refund)).status_code == 403


@pytest.mark.django_db
@pytest.mark.django_db
def test_audit_trail_records_the_account_with_the_iban_masked(client, refund):
    client.post(link(refund), {"account_holder": "Stadt Köln", "iban": GOOD_IBAN})

    payout = payout_of(refund)
    entry = LogEntry.objects.get_for_object(payout).latest("timestamp")
    assert entry.changes_dict["iban"] == ["", "DE89 •••• •••• •••• ••30 00"]
    assert entry.changes_dict["account_holder"] == ["", "Stadt Köln"]
    stored = " ".join(e.changes_text + str(e.changes) for e in LogEntry.objects.all())
    assert "0532" not in stored and "370400" not in stored


@pytest.mark.parametrize(
    ("iban", "masked"),
    [
        ("", ""),
        ("DE89370400440532013000", "DE89 •••• •••• •••• ••30 00"),
        ("DE89 3704 0044 0532 0130 00", "DE89 •••• •••• •••• ••30 00"),
        ("NL91ABNA0417164300", "NL91 •••• •••• ••43 00"),
    ],
)
def test_iban_mask_keeps_country_check_digits_and_last_four(iban, masked):
    assert iban_mask(iban) == masked


@pytest.mark.parametrize(
    ("holder", "iban", "message"),
    [
        ("Stadt Köln", "DE88 3704 0044 0532 0130 00", "Die Prüfziffern der IBAN stimmen nicht."),
        ("Stadt Köln", "DE89 3704 0044 0532 0130 0", "Die IBAN hat nicht die richtige Länge."),
        ("Stadt Köln", "XX89 3704 0044 0532 0130 00", "gültigen Ländercode"),
        ("Stadt Köln", "", "Bitte geben Sie die IBAN an."),
        ("   ", GOOD_IBAN, "Bitte geben Sie den Kontoinhaber an."),
    ],
)
def test_bad_input_gets_a_german_message_and_writes_nothing(client, refund, holder, iban, message):
    response = client.post(link(refund), {"account_holder": holder, "iban": iban})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert payout_of(refund).iban == ""
    assert payout_of(refund).account_holder == ""


@pytest.mark.django_db
def test_tampered_link_is_refused(client, refund):
    token = refund_account_token(refund=refund)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    response = client.post(
        link(refund, tampered), {"account_holder": "Stadt Köln", "iban": GOOD_IBAN}
    )

    assert response.status_code == 403
    assert "Dieser Link ist ungültig." in response.content.decode()
    assert payout_of(refund).iban == ""


@pytest.mark.django_db
def test_link_of_one_refund_is_not_usable_for_another(
    client, refund, django_capture_on_commit_callbacks
):
    other = make_refund(django_capture_on_commit_callbacks)
    token_of_first = refund_account_token(refund=refund)
    foreign_salt = signing.dumps({"refund": other.pk}, salt="accounts.invitation")

    for token in (token_of_first, foreign_salt):
        response = client.post(
            link(other, token), {"account_holder": "Stadt Köln", "iban": GOOD_IBAN}
        )
        assert response.status_code == 403
        assert "Dieser Link ist ungültig." in response.content.decode()
    assert payout_of(other).iban == ""
    assert payout_of(refund).iban == ""


@pytest.mark.django_db
@pytest.mark.parametrize(("age_minutes", "accepted"), [(-1, True), (1, False)])
def test_link_expires_after_the_configured_days(
    client, refund, settings, monkeypatch, age_minutes, accepted
):
    settings.REFUND_ACCOUNT_LINK_DAYS = 60
    age = datetime.timedelta(days=60, minutes=age_minutes).total_seconds()
    made = signing.TimestampSigner.timestamp
    monkeypatch.setattr(
        signing.TimestampSigner,
        "timestamp",
        lambda self: signing.b62_encode(int(signing.time.time() - age)),
    )
    token = refund_account_token(refund=refund)
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", made)

    response = client.post(link(refund, token), {"account_holder": "Stadt Köln", "iban": GOOD_IBAN})

    if accepted:
        assert response.status_code == 200
        assert payout_of(refund).iban == "DE89370400440532013000"
    else:
        assert response.status_code == 403
        assert "Dieser Link ist abgelaufen." in response.content.decode()
        assert payout_of(refund).iban == ""


@pytest.mark.django_db
def test_paid_out_refund_takes_no_account(client, refund):
    Refund.objects.filter(pk=refund.pk).update(
        status=Refund.Status.PAID_OUT, paid_out_at=datetime.date(2026, 9, 1)
    )

    response = client.get(link(refund))

    assert response.status_code == 403
    assert "nicht zur Auszahlung offen" in response.content.decode()


# --- SEPA file ----------------------------------------------------------------------


def with_account(capture, iban=GOOD_IBAN, holder="Stadt Köln – Schulamt", paid=D("160.50")):
    refund = make_refund(capture, paid=paid)
    refund_account_save(refund=refund, holder=holder, iban=iban)
    return refund


@pytest.mark.django_db
def test_pain001_is_valid_against_the_xsd_and_sums_the_due_refunds(
    settings, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    first = with_account(capture)
    second = with_account(capture, iban=OTHER_IBAN, holder="Gemeinde Süd", paid=D("2000.00"))
    assert second.gross_amount == D("838.36")  # 2.000,00 € × 153 / 365
    make_refund(capture)  # no account: not in the file
    paid = with_account(capture)
    Refund.objects.filter(pk=paid.pk).update(
        status=Refund.Status.PAID_OUT, paid_out_at=datetime.date(2026, 8, 20)
    )

    transfer = refund_transfer_create(execution_date=datetime.date(2026, 9, 1))

    content = document_read(transfer.file)
    xmlschema.XMLSchema(PAIN_XSD).validate(content.decode())
    root = etree.fromstring(content)
    assert root.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS) == "905.64"
    assert root.findtext(".//p:GrpHdr/p:NbOfTxs", namespaces=NS) == "2"
    assert (transfer.count, transfer.total) == (2, D("905.64"))
    transactions = {
        tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS): (
            tx.findtext("p:Amt/p:InstdAmt", namespaces=NS),
            tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS),
        )
        for tx in root.iterfind(".//p:CdtTrfTxInf", namespaces=NS)
    }
    assert transactions == {
        first.number: ("67.28", "DE89370400440532013000"),
        second.number: ("838.36", "NL91ABNA0417164300"),
    }
    assert root.findtext(".//p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == "".join(
        settings.SELLER["iban"].split()
    )
    assert root.findtext(".//p:ReqdExctnDt/p:Dt", namespaces=NS) == "2026-09-01"
    assert not refunds_due_for_transfer().exists()
    with pytest.raises(ValidationError, match="Keine Erstattung ist zur Auszahlung fällig"):
        refund_transfer_create(execution_date=datetime.date(2026, 9, 1))


@pytest.mark.django_db
def test_transfer_marks_its_refunds_paid_out_with_the_date_once(
    django_capture_on_commit_callbacks,
):
    refund = with_account(django_capture_on_commit_callbacks)
    transfer = refund_transfer_create(execution_date=datetime.date(2026, 9, 1))
    with pytest.raises(ValidationError, match="schon in einer Überweisungsdatei"):
        refund_account_save(refund=refund, holder="X", iban=OTHER_IBAN, staff=True)

    refund_transfer_mark_paid(transfer=transfer, paid_out_on=datetime.date(2026, 9, 2))

    refund.refresh_from_db()
    assert (refund.status, refund.paid_out_at) == (
        Refund.Status.PAID_OUT,
        datetime.date(2026, 9, 2),
    )
    assert RefundTransfer.objects.get().paid_out_on == datetime.date(2026, 9, 2)
    with pytest.raises(ValidationError, match="schon als ausgezahlt erfasst"):
        refund_transfer_mark_paid(transfer=transfer, paid_out_on=datetime.date(2026, 9, 3))


@pytest.mark.django_db
def test_staff_may_correct_an_account_the_link_may_not(refund):
    refund_account_save(refund=refund, holder="Stadt Köln", iban=GOOD_IBAN)
    with pytest.raises(ValidationError, match="bereits ein Konto angegeben"):
        refund_account_save(refund=refund, holder="Stadt Köln", iban=OTHER_IBAN)

    payout = refund_account_save(refund=refund, holder="Stadt Köln", iban=OTHER_IBAN, staff=True)

    assert (payout.iban, payout.account_entered_via) == (OTHER_IBAN, RefundPayout.EnteredVia.STAFF)


# --- Work queue and letter ------------------------------------------------------------


@pytest.mark.django_db
def test_refund_without_account_is_listed_from_day_30(refund, django_capture_on_commit_callbacks):
    answered = make_refund(django_capture_on_commit_callbacks)
    refund_account_save(refund=answered, holder="Stadt Köln", iban=GOOD_IBAN)

    assert list(refunds_without_account(on=ISSUED_ON + datetime.timedelta(days=29))) == []
    assert list(refunds_without_account(on=ISSUED_ON + datetime.timedelta(days=30))) == [refund]


@pytest.mark.django_db
def test_refund_letter_names_the_account_when_known_else_asks_for_it(refund):
    asking = render_to_string("invoicing/pdf/refund.html", refund_context(refund))
    assert "über den Link in der E-Mail zu diesem Schreiben an" in asking

    refund_account_save(refund=refund, holder="Stadt Köln", iban=GOOD_IBAN)
    naming = render_to_string("invoicing/pdf/refund.html", refund_context(refund))

    assert (
        "Den Betrag von 67,28 € überweisen wir auf das Konto Stadt Köln, "
        "IBAN DE89 •••• •••• •••• ••30 00." in " ".join(naming.split())
    )


# --- Admin ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_buchhaltung_enters_an_account_makes_the_file_and_marks_it_paid(publisher_client, refund):
    changelist = reverse("admin:invoicing_refund_changelist")
    publisher_client.post(
        changelist,
        {
            "action": "enter_account",
            "_selected_action": [refund.pk],
            "apply": "1",
            "account_holder": "Stadt Köln",
            "iban": GOOD_IBAN,
        },
    )
    assert payout_of(refund).account_entered_via == RefundPayout.EnteredVia.STAFF

    add = reverse("admin:invoicing_refundtransfer_add")
    page = publisher_client.get(add).content.decode()
    assert refund.number in page and "67,28" in page
    response = publisher_client.post(add, {"execution_date": "01.09.2026"})
    transfer = RefundTransfer.objects.get()
    assert response.status_code == 302
    download = publisher_client.get(
        reverse("admin:invoicing_refundtransfer_file", args=[transfer.pk])
    )
    assert download.content == document_read(transfer.file)
    assert b"<IBAN>DE89370400440532013000</IBAN>" in download.content

    marked = publisher_client.post(
        reverse("admin:invoicing_refundtransfer_changelist"),
        {
            "action": "mark_paid",
            "_selected_action": [transfer.pk],
            "apply": "1",
            "paid_out_on": "02.09.2026",
        },
        follow=True,
    )
    assert "1 Erstattung als ausgezahlt am 02.09.2026 erfasst." in marked.content.decode()
    refund.refresh_from_db()
    assert (refund.status, refund.paid_out_at) == (
        Refund.Status.PAID_OUT,
        datetime.date(2026, 9, 2),
    )


@pytest.mark.django_db
def test_staff_without_the_payout_permission_cannot_make_a_file(client, refund):
    from tests.factories import UserFactory

    clerk = UserFactory(username="lesen", is_staff=True)
    client.force_login(clerk)

    response = client.get(reverse("admin:invoicing_refundtransfer_add"))

    assert response.status_code in (302, 403)
    assert not RefundTransfer.objects.exists()


@pytest.mark.django_db
def test_migration_masks_ibans_already_in_the_audit_trail(refund):
    from django.apps import apps

    mask_existing = importlib.import_module(
        "invoicing.migrations.0011_mask_ibans_in_audit_trail"
    ).mask_existing
    payout = payout_of(refund)
    entry = LogEntry.objects.log_create(
        payout,
        force_log=True,
        action=LogEntry.Action.UPDATE,
        changes={"iban": ["", "DE89370400440532013000"], "account_holder": ["", "Stadt Köln"]},
    )

    mask_existing(apps, None)
    mask_existing(apps, None)  # twice: masked stays masked

    entry.refresh_from_db()
    assert entry.changes["iban"] == ["", "DE89 •••• •••• •••• ••30 00"]
    assert entry.changes["account_holder"] == ["", "Stadt Köln"]


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "allowed"), [("Buchhaltung", True), ("Lesen", False)])
def test_only_staff_who_pay_out_get_the_sepa_file(
    client, role, allowed, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import Group

    from tests.factories import UserFactory

    refund = with_account(django_capture_on_commit_callbacks)
    transfer = refund_transfer_create(execution_date=datetime.date(2026, 9, 1), by=None)
    clerk = UserFactory(is_staff=True)
    clerk.groups.add(Group.objects.get(name=role))
    client.force_login(clerk)

    download = client.get(reverse("admin:invoicing_refundtransfer_file", args=[transfer.pk]))
    detail = client.get(reverse("admin:invoicing_refundtransfer_change", args=[transfer.pk]))

    assert download.status_code == (200 if allowed else 403)
    assert (b"<IBAN>DE89370400440532013000</IBAN>" in download.content) is allowed
    assert detail.status_code == 200
    assert ("pain.001 herunterladen" in detail.content.decode()) is allowed
    assert refund.number in detail.content.decode()


# --- A file the bank rejected -------------------------------------------------------


@pytest.mark.django_db
def test_withdrawn_file_makes_its_refunds_due_again_with_a_corrected_account(
    django_capture_on_commit_callbacks,
):
    refund = with_account(django_capture_on_commit_callbacks, iban=OTHER_IBAN)
    transfer = refund_transfer_create(execution_date=datetime.date(2026, 9, 1))
    assert list(refunds_due_for_transfer()) == []

    withdrawn = refund_transfer_withdraw(transfer=transfer, reason="  Bank:  Konto erloschen ")

    assert withdrawn.withdrawn_reason == "Bank: Konto erloschen"
    assert withdrawn.withdrawn_refunds == refund.number
    assert withdrawn.withdrawn_at is not None
    assert list(refunds_due_for_transfer()) == [refund]
    refund_account_save(refund=refund, holder="Stadt Köln", iban=GOOD_IBAN, staff=True)
    second = refund_transfer_create(execution_date=datetime.date(2026, 9, 8))
    assert b"<IBAN>DE89370400440532013000</IBAN>" in document_read(second.file)
    assert document_read(transfer.file) != document_read(second.file)  # the old file stays
    with pytest.raises(ValidationError, match="zurückgenommen und wurde nicht ausgeführt"):
        refund_transfer_mark_paid(transfer=transfer, paid_out_on=datetime.date(2026, 9, 2))
    refund.refresh_from_db()
    assert refund.status == Refund.Status.ISSUED


@pytest.mark.django_db
def test_withdrawing_needs_a_reason_and_refuses_paid_or_withdrawn_files(
    django_capture_on_commit_callbacks,
):
    with_account(django_capture_on_commit_callbacks)
    transfer = refund_transfer_create(execution_date=datetime.date(2026, 9, 1))

    with pytest.raises(ValidationError, match="warum die Datei zurückgenommen wird"):
        refund_transfer_withdraw(transfer=transfer, reason="   ")
    transfer.refresh_from_db()
    assert transfer.withdrawn_at is None and list(refunds_due_for_transfer()) == []

    refund_transfer_withdraw(transfer=transfer, reason="abgelehnt")
    with pytest.raises(ValidationError, match="schon zurückgenommen"):
        refund_transfer_withdraw(transfer=transfer, reason="noch einmal")

    with_account(django_capture_on_commit_callbacks)
    paid = refund_transfer_create(execution_date=datetime.date(2026, 9, 8))
    refund_transfer_mark_paid(transfer=paid, paid_out_on=datetime.date(2026, 9, 9))
    with pytest.raises(ValidationError, match="als ausgezahlt erfasst"):
        refund_transfer_withdraw(transfer=paid, reason="zu spät")
    assert paid.payouts.count() == 2


@pytest.mark.django_db
def test_buchhaltung_withdraws_a_rejected_file_in_the_admin(
    publisher_client, django_capture_on_commit_callbacks
):
    refund = with_account(django_capture_on_commit_callbacks)
    transfer = refund_transfer_create(execution_date=datetime.date(2026, 9, 1))
    changelist = reverse("admin:invoicing_refundtransfer_changelist")
    data = {"action": "withdraw", "_selected_action": [transfer.pk]}

    page = publisher_client.post(changelist, data).content.decode()
    assert "Grund" in page and transfer.message_id in page
    response = publisher_client.post(
        changelist, {**data, "apply": "1", "reason": "Bank: IBAN ungültig"}, follow=True
    )

    assert "1 Erstattung ist wieder zur Auszahlung fällig" in response.content.decode()
    assert list(refunds_due_for_transfer()) == [refund]
