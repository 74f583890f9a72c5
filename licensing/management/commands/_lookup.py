"""Look-ups shared by the registration list commands, with German errors."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from licensing.models import Product
from schools.models import SchoolAuthority


def lookup_authority(customer_number: str) -> SchoolAuthority:
    authority = SchoolAuthority.objects.filter(customer_number=customer_number.strip()).first()
    if authority is None:
        raise CommandError(
            _("Es gibt keinen Schulträger mit der Kundennummer %(number)s.")
            % {"number": customer_number}
        )
    return authority


def lookup_product(code: str) -> Product:
    product = Product.objects.filter(code=code.strip()).first()
    if product is None:
        raise CommandError(_("Es gibt kein Produkt mit dem Code %(code)s.") % {"code": code})
    if not product.is_active:
        raise CommandError(_("Das Produkt %(code)s ist zurzeit nicht bestellbar.") % {"code": code})
    return product
