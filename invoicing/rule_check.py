"""The rule check before a number is drawn (R9, R10): the e-invoice of a
document about to be issued (invoice, cancellation invoice, refund) is written
with a provisional number and checked (``invoicing.einvoice_rules``); a failing
document raises and is not numbered, so the gapless series never sees it.

CEN's schematron is the expensive part (0.1-0.3 s per invoice). A content that
passed every rule is remembered by its ``content_key`` (``RuleCheckPass``): the
nights before the issue day the workers check the drafts due soon with the
date they will be issued on (``issuing.drafts_precheck``), and numbering skips
the schematron for exactly those bytes. XSD and the product's own rules run at
numbering every time; a draft whose content changed since is checked in full."""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from config.steps import StepResult
from invoicing.models import Invoice, NumberSeries, Refund, RuleCheckPass
from invoicing.numbering import PREFIXES

PROVISIONAL_SEQUENCE = "PRUEFUNG"
# A pass is useful until its draft is numbered: drafts are checked at most
# ``issuing.PRECHECK_DAYS`` ahead, so a month covers late and repeated runs.
PASS_KEEP_DAYS = 30


def rule_ids(errors: list[str]) -> list[str]:
    """The rule ids of the findings (``"RULE: text"``), each once, in order."""
    return list(dict.fromkeys(error.split(":", 1)[0] for error in errors))


class DocumentRulesFailed(ValidationError):
    """The document breaks e-invoice rules; ``errors`` holds the findings."""

    def __init__(self, *, label: str, errors: list[str]) -> None:
        self.errors = errors
        self.rule_ids = rule_ids(errors)
        super().__init__(
            _(
                "%(document)s verletzt Regeln der E-Rechnung (%(rules)s) und wurde nicht "
                "nummeriert: %(details)s"
            )
            % {
                "document": label,
                "rules": ", ".join(self.rule_ids),
                "details": "; ".join(errors[:10]),
            }
        )


def invoice_rule_errors(invoice: Invoice, *, series: str) -> list[str]:
    """The findings of the rule check on ``invoice`` as it would be issued (its
    snapshot filled in, its number not yet drawn)."""
    from invoicing import einvoice

    number = invoice.number
    if not number:
        invoice.number = f"{PREFIXES[series]}-{invoice.issue_date.year}-{PROVISIONAL_SEQUENCE}"
    try:
        xml = einvoice.invoice_xml(invoice)
    finally:
        invoice.number = number
    return rule_errors(xml)


def rule_errors(xml: bytes) -> list[str]:
    """The findings of every rule on ``xml``; CEN's schematron is skipped when
    these very bytes passed every rule before, and a full pass is remembered."""
    from invoicing import einvoice_rules

    key = einvoice_rules.content_key(xml)
    passed_before = RuleCheckPass.objects.filter(sha256=key).exists()
    errors = einvoice_rules.check_document(xml, with_schematron=not passed_before)
    if not errors and not passed_before:
        RuleCheckPass.objects.bulk_create([RuleCheckPass(sha256=key)], ignore_conflicts=True)
    return errors


def document_rules_check(invoice: Invoice, *, series: str) -> None:
    """Raise ``DocumentRulesFailed`` unless ``invoice`` passes every rule. Call it
    after the snapshot and before ``number_next``."""
    errors = invoice_rule_errors(invoice, series=series)
    if errors:
        label = (
            _("Der Entwurf der Stornorechnung")
            if invoice.kind == Invoice.Kind.CANCELLATION
            else _("Der Rechnungsentwurf %(id)s") % {"id": invoice.pk}
        )
        raise DocumentRulesFailed(label=label, errors=errors)


def refund_rules_check(refund: Refund) -> None:
    """Raise ``DocumentRulesFailed`` unless the refund document (a credit note to
    the school) passes every rule; call it before ``number_next``."""
    from invoicing import einvoice

    refund.number = (
        f"{PREFIXES[NumberSeries.REFUND]}-{refund.issue_date.year}-{PROVISIONAL_SEQUENCE}"
    )
    try:
        errors = rule_errors(einvoice.refund_xml(refund))
    finally:
        refund.number = None
    if errors:
        label = _("Die Erstattung an %(school)s") % {"school": refund.recipient_name}
        raise DocumentRulesFailed(label=label, errors=errors)


def rule_check_passes_prune(*, on: datetime.date) -> StepResult:
    """Forget the passes recorded more than ``PASS_KEEP_DAYS`` days before ``on``
    (nightly step): their drafts are numbered by then. A content checked again
    later only costs the full check once more."""
    day = on - datetime.timedelta(days=PASS_KEEP_DAYS)
    cutoff = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    stale = RuleCheckPass.objects.filter(checked_at__lt=cutoff)
    keys = list(stale.values_list("sha256", flat=True))
    stale.delete()
    return StepResult(done=keys)
