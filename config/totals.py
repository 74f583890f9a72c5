"""EN 16931 totals: VAT is computed on the sum of the line net amounts per VAT
rate and rounded half up to the cent (BR-CO-17), never per line. Invoicing's
documents and licensing's order summary (shown before the binding order) both use
it, so the gross the buyer sees equals the later invoice's gross."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from config.money import money


class HasNetAndRate(Protocol):
    net_amount: Decimal
    vat_rate: Decimal


@dataclass(frozen=True)
class VatGroup:
    rate: Decimal
    net: Decimal
    vat: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat


@dataclass(frozen=True)
class Totals:
    groups: list[VatGroup]
    net: Decimal
    vat: Decimal
    gross: Decimal


def compute_totals(lines: Iterable[HasNetAndRate]) -> Totals:
    """Per-rate breakdown (ascending rate) and document totals of invoice lines."""
    nets: dict[Decimal, Decimal] = {}
    for line in lines:
        rate = Decimal(line.vat_rate).quantize(Decimal("0.01"))
        nets[rate] = nets.get(rate, Decimal("0")) + Decimal(line.net_amount)
    groups = [
        VatGroup(rate=rate, net=money(net), vat=money(net * rate / 100))
        for rate, net in sorted(nets.items())
    ]
    net = sum((g.net for g in groups), Decimal("0.00"))
    vat = sum((g.vat for g in groups), Decimal("0.00"))
    return Totals(groups=groups, net=net, vat=vat, gross=net + vat)
