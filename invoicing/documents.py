"""Storing the rendered PDF and XML of an issued document, once, with their SHA-256."""

import hashlib

from django.core.files.base import ContentFile
from django.db import models

CONTENT_TYPES = {"pdf": "application/pdf", "xml": "application/xml"}


def sha256_hex(content: bytes) -> str:
    """The SHA-256 of ``content`` as 64 hex digits."""
    return hashlib.sha256(content).hexdigest()


def documents_store(*, document: models.Model, pdf: bytes, xml: bytes) -> None:
    """Write the files to the private storage and put name and hash on ``document``
    (the caller saves it). The stored bytes are the ones sent and exported."""
    document.pdf.save(f"{document.number}.pdf", ContentFile(pdf), save=False)
    document.xml.save(f"{document.number}.xml", ContentFile(xml), save=False)
    document.pdf_sha256 = sha256_hex(pdf)
    document.xml_sha256 = sha256_hex(xml)


def document_read(field) -> bytes:
    """The stored bytes of a document file, unchanged."""
    with field.storage.open(field.name, "rb") as handle:
        return handle.read()


def download_name(document: models.Model, extension: str) -> str:
    """The file name a stored document is downloaded and attached as."""
    return f"{document.number}.{extension}"
