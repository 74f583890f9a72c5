"""Impressum (§ 5 DDG) and Datenschutzerklärung (Art. 13 DSGVO), filled from settings."""

from django.conf import settings
from django.shortcuts import render


def _context() -> dict:
    return {
        "seller": settings.SELLER,
        "dpo": settings.DATA_PROTECTION_OFFICER,
        "supervisory_authority": settings.PRIVACY_SUPERVISORY_AUTHORITY,
        "hosting_provider": settings.HOSTING_PROVIDER,
        "contact_retention_days": settings.CONTACT_RETENTION_DAYS,
        "invoice_retention_years": settings.INVOICE_RETENTION_YEARS,
        "session_minutes": settings.SESSION_COOKIE_AGE // 60,
    }


def impressum(request):
    return render(request, "legal/impressum.html", _context())


def datenschutz(request):
    return render(request, "legal/datenschutz.html", _context())
