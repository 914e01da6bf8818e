"""Exact integer images of slot amounts, for the index keys that hot loops compare and sort.

Comparing and sorting tuples of `Decimal`s costs several times more than tuples of `int`s,
and the free-capacity indexes do little else. Each slot gets a unit of 10^-k (k the most
fractional digits of the amounts seen for it), so every amount is a whole number of units:
`units = amount × 10^k`, exactly, with no rounding anywhere. Agents' `Decimal` amounts stay
the authority; units only order them, and are never turned back into amounts.

An amount finer than its slot's unit (0.25 on agents measured in halves) has no exact image:
`of` refuses it, `cover` makes the unit finer, and every image taken with the old unit is then
stale. A search bound needs no such care: free ≥ need holds exactly when free's units are at
least the ceiling of need's (`at_least`).
"""

from __future__ import annotations

from decimal import Decimal


class FinerThanUnit(ValueError):
    """An amount that is not a whole number of its slot's current unit."""

    def __init__(self, slot: str, amount: Decimal) -> None:
        super().__init__(f"{amount} {slot} is finer than the slot's unit")
        self.slot = slot
        self.amount = amount


class SlotUnits:
    """Per slot, the unit and memos of the images taken so far (amounts repeat a lot)."""

    __slots__ = ("_ceilings", "_exact", "_scale")

    def __init__(self) -> None:
        #: Units per 1 of each slot (a power of ten); a slot never covered has 1.
        self._scale: dict[str, int] = {}
        self._exact: dict[str, dict[Decimal, int]] = {}
        self._ceilings: dict[str, dict[Decimal, int]] = {}

    def cover(self, slot: str, amount: Decimal) -> bool:
        """Make `amount` a whole number of units of `slot`; True when the unit had to change."""
        table = self.table(slot)
        if amount in table:
            return False
        numerator, denominator = amount.as_integer_ratio()
        scale = self._scale.get(slot, 1)
        changed = scale % denominator != 0
        if changed:
            # The denominator is 2^a × 5^b, so some power of ten is a multiple of it.
            while scale % denominator:
                scale *= 10
            self._scale[slot] = scale
            table = self._exact[slot] = {}
            self._ceilings.pop(slot, None)
        table[amount] = numerator * (scale // denominator)
        return changed

    def table(self, slot: str) -> dict[Decimal, int]:
        """The memo of exact images of `slot`, amount → units; `of` adds to it."""
        table = self._exact.get(slot)
        if table is None:
            table = self._exact[slot] = {}
        return table

    def of(self, slot: str, amount: Decimal) -> int:
        """`amount` in units of `slot`; raises `FinerThanUnit` when that is not whole."""
        table = self.table(slot)
        units = table.get(amount)
        if units is None:
            numerator, denominator = amount.as_integer_ratio()
            units, remainder = divmod(numerator * self._scale.get(slot, 1), denominator)
            if remainder:
                raise FinerThanUnit(slot, amount)
            table[amount] = units
        return units

    def at_least(self, slot: str, amount: Decimal) -> int:
        """The fewest units of `slot` that make at least `amount`."""
        ceilings = self._ceilings.get(slot)
        if ceilings is None:
            ceilings = self._ceilings[slot] = {}
        units = ceilings.get(amount)
        if units is None:
            numerator, denominator = amount.as_integer_ratio()
            units = ceilings[amount] = -(-numerator * self._scale.get(slot, 1) // denominator)
        return units
