"""The rule check before the number (R9, R10): a draft whose e-invoice breaks a
rule is not issued and draws no number; the nightly run reports it with the rule
ids and the draft keeps them for the work queue. A good draft afterwards gets
the next number, so the series stays gapless."""

import datetime
import sys
import zoneinfo

import pytest
from django.core.exceptions import ValidationError

import invoicing
import invoicing.einvoice as real_einvoice
import invoicing.einvoice_rules as real_rules
from invoicing.cancellation import invoice_cancel_and_reissue
from invoicing.drafts import invoice_create_draft
from invoicing.issuing import invoice_issue, invoices_issue_due
from invoicing.models import DocumentCounter, Invoice, Refund, RuleCheckPass
from invoicing.precheck import draft_precheck
from invoicing.refunds import refund_issue
from invoicing.rule_check import DocumentRulesFailed
from invoicing.selectors import drafts_failing_issue
from tests.factories import SchoolAuthorityFactory
from tests.invoicing.conftest import make_licence_year
from tests.invoicing.factories import InvoiceFactory, RefundFactory, add_lines

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 8, 10)


@pytest.fixture(autouse=True)
def real_rule_check(fake_renderers, monkeypatch):
    """The real e-invoice writer and rule check (the PDF stays a fake)."""
    monkeypatch.setitem(sys.modules, "invoicing.einvoice", real_einvoice)
    monkeypatch.setitem(sys.modules, "invoicing.einvoice_rules", real_rules)
    monkeypatch.setattr(invoicing, "einvoice", real_einvoice, raising=False)
    monkeypatch.setattr(invoicing, "einvoice_rules", real_rules, raising=False)


def draft(authority=None, due=DAY) -> Invoice:
    year = make_licence_year(authority=authority or SchoolAuthorityFactory())
    invoice = invoice_create_draft(licence_year=year)
    Invoice.objects.filter(pk=invoice.pk).update(issue_due_on=due)
    invoice.refresh_from_db()
    return invoice


def counter() -> int:
    row = DocumentCounter.objects.filter(series="invoice", year=2026).first()
    return row.last_number if row else 0


def test_a_good_draft_passes_the_check_and_is_numbered(django_capture_on_commit_callbacks):
    invoice = draft()
    with django_capture_on_commit_callbacks(execute=True):
        issued = invoice_issue(invoice=invoice, on=DAY)
    assert issued.number == "RE-2026-00001"
    assert issued.issue_problems == ""
    assert real_rules.check_document(real_einvoice.invoice_xml(issued)) == []


def test_a_draft_breaking_a_rule_is_never_numbered(settings, django_capture_on_commit_callbacks):
    invoice = draft()
    settings.SELLER = {**settings.SELLER, "phone": ""}  # injected failing field: BT-42

    with pytest.raises(DocumentRulesFailed) as info:
        invoice_issue(invoice=invoice, on=DAY)

    assert info.value.rule_ids == ["BR-DE-6"]
    assert "BR-DE-6" in info.value.messages[0] and "nicht nummeriert" in info.value.messages[0]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number, invoice.issue_date) == ("draft", None, None)
    assert invoice.buyer_name == ""  # the snapshot was rolled back too
    assert "BR-DE-6" in invoice.issue_problems
    assert counter() == 0
    assert list(drafts_failing_issue()) == [invoice]

    settings.SELLER = {**settings.SELLER, "phone": "0531 708-0"}
    with django_capture_on_commit_callbacks(execute=True):
        issued = invoice_issue(invoice=invoice, on=DAY)
    assert issued.number == "RE-2026-00001"  # no gap
    invoice.refresh_from_db()
    assert invoice.issue_problems == ""
    assert list(drafts_failing_issue()) == []


def test_nightly_run_reports_the_failing_draft_with_rule_ids_and_issues_the_others(
    settings, django_capture_on_commit_callbacks
):
    good = draft(due=DAY - datetime.timedelta(days=1))
    # Its buyer's invoice e-mail address was removed after the draft was made.
    bad = draft(due=DAY)
    bad.authority.email = ""
    bad.authority.save()

    with django_capture_on_commit_callbacks(execute=True):
        result = invoices_issue_due(on=DAY)

    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.number == "RE-2026-00001"
    assert result.done == ["RE-2026-00001"]
    assert len(result.failed) == 1
    assert "E-Mail für Rechnungen" in result.failed[0]["error"]
    assert bad.number is None and bad.status == "draft"
    assert "E-Mail für Rechnungen" in bad.issue_problems
    assert counter() == 1


def test_nightly_run_names_the_rule_ids_of_a_document_failing_the_rules(
    settings, django_capture_on_commit_callbacks
):
    bad = draft()
    settings.SELLER = {**settings.SELLER, "email": ""}  # BT-43, BT-34

    with django_capture_on_commit_callbacks(execute=True):
        result = invoices_issue_due(on=DAY)

    assert result.done == []
    error = result.failed[0]["error"]
    assert error.startswith("DocumentRulesFailed:")
    assert "BR-DE-7" in error and "PEPPOL-EN16931-R020" in error
    bad.refresh_from_db()
    assert bad.number is None and "BR-DE-7" in bad.issue_problems
    assert counter() == 0


def test_incomplete_billing_data_is_refused_before_the_rules(django_capture_on_commit_callbacks):
    invoice = draft(authority=SchoolAuthorityFactory(postal_code=""))
    with pytest.raises(ValidationError, match="es fehlt: PLZ"):
        invoice_issue(invoice=invoice, on=DAY)
    invoice.refresh_from_db()
    assert invoice.number is None and "PLZ" in invoice.issue_problems
    assert counter() == 0


def test_buyer_without_leitweg_id_gets_an_en16931_invoice_with_its_order_reference(
    django_capture_on_commit_callbacks,
):
    authority = SchoolAuthorityFactory(leitweg_id="", has_no_leitweg_id=True)
    invoice = draft(authority=authority)
    invoice.order.order_reference = "Bestellung 2026-17"
    invoice.order.save()
    with django_capture_on_commit_callbacks(execute=True):
        issued = invoice_issue(invoice=invoice, on=DAY)
    xml = real_einvoice.invoice_xml(issued)
    assert issued.buyer_order_reference == "Bestellung 2026-17"
    assert b"<ram:ID>urn:cen.eu:en16931:2017</ram:ID>" in xml
    assert b"Bestellung 2026-17" in xml


def issued(authority=None) -> Invoice:
    invoice = draft(authority=authority)
    return invoice_issue(invoice=invoice, on=DAY)


def test_a_cancellation_breaking_a_rule_is_not_numbered_and_the_original_stays(
    monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        original = issued()
    # The cancellation copies the original's seller snapshot; inject the failing
    # field (no seller phone, BT-42) where the writer reads it.
    seller_data = real_einvoice.seller_data
    monkeypatch.setattr(
        real_einvoice, "seller_data", lambda snapshot: {**seller_data(snapshot), "phone": ""}
    )

    with pytest.raises(DocumentRulesFailed) as info:
        invoice_cancel_and_reissue(invoice=original, reason="Schulzahl falsch", on=DAY)

    assert info.value.rule_ids == ["BR-DE-6"]
    assert "Stornorechnung" in info.value.messages[0]
    original.refresh_from_db()
    assert original.status == Invoice.Status.ISSUED
    assert Invoice.objects.count() == 1
    assert counter() == 1


def test_a_legacy_invoice_without_buyer_post_code_can_be_cancelled(
    django_capture_on_commit_callbacks,
):
    # Issued before billing data was required: no post code (BR-DE-9), no e-mail.
    original = add_lines(
        InvoiceFactory(number="RE-2025-00007", buyer_postal_code="", buyer_email=""),
        [("100.00", "7.00")],
    )
    errors = real_rules.check_document(real_einvoice.invoice_xml(original))
    assert [e.split(":")[0] for e in errors] == ["BR-DE-9"]

    with django_capture_on_commit_callbacks(execute=True):
        cancellation, _new = invoice_cancel_and_reissue(
            invoice=original, reason="Anschrift fehlte", on=DAY
        )

    assert cancellation.number == "RE-2026-00001"
    assert cancellation.buyer_postal_code == original.authority.postal_code
    assert cancellation.buyer_email == original.authority.email
    assert cancellation.buyer_street == original.buyer_street  # kept as the original said
    assert real_rules.check_document(real_einvoice.invoice_xml(cancellation)) == []


def test_a_refund_breaking_a_rule_is_not_numbered(settings):
    refund = RefundFactory(status=Refund.Status.DRAFT, number=None, issue_date=None)
    settings.SELLER = {**settings.SELLER, "vat_id": "", "tax_number": ""}  # BR-CO-26

    with pytest.raises(DocumentRulesFailed) as info:
        refund_issue(refund=refund, on=DAY)

    assert "BR-CO-26/BR-S-2" in info.value.rule_ids
    refund.refresh_from_db()
    assert (refund.status, refund.number) == (Refund.Status.DRAFT, None)
    assert not DocumentCounter.objects.filter(series="refund", last_number__gt=0).exists()


def test_a_good_refund_is_numbered():
    refund = RefundFactory(status=Refund.Status.DRAFT, number=None, issue_date=None)
    issued_refund = refund_issue(refund=refund, on=DAY)
    assert issued_refund.number == "ER-2026-00001"


# --- The check ahead (issue 15): the workers check drafts the nights before ------


@pytest.fixture
def schematron_runs(monkeypatch) -> list[bytes]:
    """The documents CEN's schematron is run on from now on."""
    runs: list[bytes] = []
    real = real_rules.schematron.failures

    def counted(xml: bytes) -> list[str]:
        runs.append(xml)
        return real(xml)

    monkeypatch.setattr(real_rules.schematron, "failures", counted)
    return runs


def test_a_draft_checked_ahead_is_numbered_without_running_the_schematron_again(
    schematron_runs, django_capture_on_commit_callbacks
):
    invoice = draft()
    assert draft_precheck(invoice_id=invoice.pk, on=DAY) is True
    assert len(schematron_runs) == 1 and RuleCheckPass.objects.count() == 1
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number, invoice.buyer_name) == ("draft", None, "")

    with django_capture_on_commit_callbacks(execute=True):
        issued_invoice = invoice_issue(invoice=invoice, on=DAY)

    assert issued_invoice.number == "RE-2026-00001"
    assert len(schematron_runs) == 1  # the very same bytes passed ahead


def test_a_draft_changed_after_its_check_ahead_is_checked_in_full_and_never_numbered(
    schematron_runs,
):
    invoice = draft()
    assert draft_precheck(invoice_id=invoice.pk, on=DAY) is True
    # Only CEN's schematron knows the country codes (XSD and the product's own
    # rules pass "XX"): the change is caught because the full check runs again.
    invoice.authority.country = "XX"
    invoice.authority.save()

    with pytest.raises(DocumentRulesFailed) as info:
        invoice_issue(invoice=invoice, on=DAY)

    assert "FX-SCH-A-000568" in info.value.rule_ids
    assert len(schematron_runs) == 2
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number) == ("draft", None)
    assert "FX-SCH-A-000568" in invoice.issue_problems
    assert counter() == 0


def test_a_check_ahead_for_another_issue_day_does_not_count(
    schematron_runs, django_capture_on_commit_callbacks
):
    invoice = draft()
    assert draft_precheck(invoice_id=invoice.pk, on=DAY - datetime.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert invoice_issue(invoice=invoice, on=DAY).number == "RE-2026-00001"
    assert len(schematron_runs) == 2  # dates differ: checked in full at numbering


def test_a_draft_failing_the_check_ahead_is_listed_and_never_numbered(
    django_capture_on_commit_callbacks,
):
    invoice = draft(authority=SchoolAuthorityFactory(country="XX"))

    assert draft_precheck(invoice_id=invoice.pk, on=DAY) is False
    invoice.refresh_from_db()
    assert "FX-SCH-A-000568" in invoice.issue_problems
    assert list(drafts_failing_issue()) == [invoice]
    assert not RuleCheckPass.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        result = invoices_issue_due(on=DAY)
    assert result.done == [] and "FX-SCH-A-000568" in result.failed[0]["error"]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number) == ("draft", None)
    assert counter() == 0

    invoice.authority.country = "DE"  # corrected: the next check ahead clears the listing
    invoice.authority.save()
    assert draft_precheck(invoice_id=invoice.pk, on=DAY) is True
    assert list(drafts_failing_issue()) == []


def test_the_night_before_checks_the_drafts_due_and_the_issue_day_skips_the_schematron(
    schematron_runs, django_capture_on_commit_callbacks
):
    tomorrow = draft(due=DAY)
    draft(due=DAY + datetime.timedelta(days=5))  # not yet
    with django_capture_on_commit_callbacks(execute=True):
        invoices_issue_due(on=DAY - datetime.timedelta(days=1))  # no broker: checked here
    assert len(schematron_runs) == 1 and RuleCheckPass.objects.count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        result = invoices_issue_due(on=DAY)

    assert result.done == ["RE-2026-00001"] and result.failed == []
    tomorrow.refresh_from_db()
    assert tomorrow.number == "RE-2026-00001"
    assert len(schematron_runs) == 1


def test_nightly_run_forgets_rule_check_passes_older_than_a_month(db):
    from invoicing.rule_check import PASS_KEEP_DAYS
    from portal.nightly import run_nightly

    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    on = datetime.date(2027, 8, 8)
    first_kept = datetime.datetime(2027, 7, 9, 0, 0, tzinfo=berlin)  # on - 30 days, 00:00
    assert on - datetime.timedelta(days=PASS_KEEP_DAYS) == first_kept.date()
    stamps = {
        "a" * 64: first_kept - datetime.timedelta(microseconds=1),
        "b" * 64: first_kept,
        "c" * 64: datetime.datetime(2027, 8, 7, 23, 0, tzinfo=berlin),
    }
    for key, stamp in stamps.items():
        RuleCheckPass.objects.create(sha256=key)
        RuleCheckPass.objects.filter(sha256=key).update(checked_at=stamp)

    run = run_nightly(on=on)

    assert set(RuleCheckPass.objects.values_list("sha256", flat=True)) == {"b" * 64, "c" * 64}
    assert run.log["steps"]["rule_checks_pruned"] == {"count": 1, "done": ["a" * 64]}
