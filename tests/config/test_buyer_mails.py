"""Every e-mail to a buyer (an authority) names its contacts at the publisher;
e-mails to schools keep the school hotline instead."""

from pathlib import Path

import pytest
from django.template.loader import render_to_string

ROOT = Path(__file__).resolve().parents[2] / "templates"
BUYER_MAILS = [
    "invoicing/emails/cancellation_issued",
    "invoicing/emails/invoice_issued",
    "invoicing/emails/payment_reminder",
    "invoicing/emails/payment_reminder_second",
    "licensing/emails/cancellation",
    "licensing/emails/confirmation",
    "licensing/emails/order_submitted",
    "licensing/emails/rejection",
    "licensing/emails/renewal_notice",
    "licensing/emails/withdrawal",
    "schools/emails/invitation",
]
SCHOOL_MAILS = ["licensing/emails/activation", "invoicing/emails/refund_issued"]


@pytest.mark.parametrize("name", BUYER_MAILS)
def test_buyer_mail_names_the_publisher_contacts(name):
    for suffix in (".txt", ".html"):
        path = ROOT / f"{name}{suffix}"
        if path.exists():
            text = path.read_text()
            assert f'include "includes/publisher_contacts{suffix}"' in text, path
            assert "Support für Schulen" not in text, path


@pytest.mark.parametrize("name", SCHOOL_MAILS)
def test_school_mail_keeps_the_school_hotline(name):
    text = (ROOT / f"{name}.txt").read_text()
    assert "publisher_contacts" not in text
    if name == "licensing/emails/activation":
        assert "support.phone" in text


def test_every_mail_template_is_classified():
    names = {
        str(path.relative_to(ROOT)).removesuffix(path.suffix)
        for path in ROOT.glob("*/emails/*.txt")
        if not path.name.startswith("_") and not path.stem.endswith("_subject")
    }
    staff = {"licensing/emails/order_submitted_publisher"}
    assert names == set(BUYER_MAILS) | set(SCHOOL_MAILS) | staff


def test_contacts_partial_renders_names_phones_and_addresses(settings):
    settings.PUBLISHER_CONTACTS = [
        {"name": "Franziska Dorbert", "phone": "0531 1", "email": "fd@example.org"},
        {"name": "Daniel Rieger", "phone": "", "email": "dr@example.org"},
    ]
    context = {"publisher_contacts": settings.PUBLISHER_CONTACTS}
    text = render_to_string("includes/publisher_contacts.txt", context)
    assert "Ihre Ansprechpartner im Verlag:" in text
    assert "- Franziska Dorbert, Telefon 0531 1, fd@example.org" in text
    assert "- Daniel Rieger, dr@example.org" in text
    html = render_to_string("includes/publisher_contacts.html", context)
    assert '<a href="mailto:fd@example.org">fd@example.org</a>' in html
