"""TEMP: minimal stand-in so the invoicing benchmark runs on this branch. The einvoice
branch's invoicing/einvoice.py (XRechnung CII) replaces this file at merge."""

from django.utils.html import escape


def invoice_xml(invoice) -> bytes:
    return f'<?xml version="1.0"?><invoice number="{escape(invoice.number)}"/>'.encode()


def refund_xml(refund) -> bytes:
    return f'<?xml version="1.0"?><refund number="{escape(refund.number)}"/>'.encode()
