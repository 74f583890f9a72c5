"""EN 16931 totals: VAT is computed on the sum of the line net amounts per VAT
rate and rounded half up to the cent (BR-CO-17), never per line. For the
per-school breakdown each rate's VAT is then shared out over the lines in whole
cents (largest remainder), so that the lines add up to the invoice exactly."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Protocol

from config.money import CENT, money


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


def allocate_vat(lines: Sequence[HasNetAndRate]) -> list[Decimal]:
    """Each line's share of its rate's VAT (``compute_totals``), in cents, in the
    order of ``lines``: per rate the shares add up exactly to the rate's VAT.

    Largest remainder method: every line gets its exact share (net x rate)
    rounded down to the cent; the cents still missing to the rate's VAT go one
    each to the lines with the largest remainders, on a tie to the earlier line.
    A rate whose net total is negative (a cancellation invoice) is shared out as
    its positive mirror, so that it negates the original exactly."""
    totals = compute_totals(lines)
    shares: list[Decimal] = [Decimal("0.00")] * len(lines)
    for group in totals.groups:
        indices = [
            i for i, line in enumerate(lines) if Decimal(line.vat_rate).quantize(CENT) == group.rate
        ]
        sign = Decimal(-1) if group.net < 0 else Decimal(1)
        exact = {i: sign * Decimal(lines[i].net_amount) * group.rate / 100 for i in indices}
        floors = {i: value.quantize(CENT, rounding=ROUND_FLOOR) for i, value in exact.items()}
        missing = int((sign * group.vat - sum(floors.values(), Decimal(0))) / CENT)
        by_remainder = sorted(indices, key=lambda i: (-(exact[i] - floors[i]), i))
        extra = set(by_remainder[:missing])
        for i in indices:
            shares[i] = sign * (floors[i] + (CENT if i in extra else 0))
    return shares
