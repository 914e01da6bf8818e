"""Exact resource arithmetic.

A `ResourceSlot` maps slot names ("cpu", "mem", "cuda.shares", …) to exact `Decimal`
amounts. Binary floating point is never used: 0.1 + 0.2 must equal 0.3 when summing GPU
shares across thousands of kernels, or an agent ends up "full" by rounding error.

A slot that is absent counts as zero, so slots with different key sets can be added,
subtracted and compared. Names are checked against a `SlotTypes` registry only at the edges
(`ResourceSlot.parse`), where user input enters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from sokovan.common.errors import InvalidResourceValueError, UnknownSlotTypeError

SlotAmount = Decimal | int | str


class SlotKind(StrEnum):
    COUNT = "count"  #: a number of units, fractions allowed ("1.5" cpu, "0.5" cuda.shares)
    BYTES = "bytes"  #: a whole number of bytes; accepts binary units ("4g", "512m")


@dataclass(frozen=True, slots=True)
class SlotTypes:
    """The slot names an installation knows and how to read their amounts."""

    kinds: Mapping[str, SlotKind] = field(default_factory=dict)

    def kind_of(self, slot: str) -> SlotKind:
        try:
            return self.kinds[slot]
        except KeyError:
            known = ", ".join(sorted(self.kinds)) or "(none)"
            raise UnknownSlotTypeError(
                f"unknown resource slot {slot!r}; known slots are: {known}"
            ) from None


DEFAULT_SLOT_TYPES = SlotTypes(
    {
        "cpu": SlotKind.COUNT,
        "mem": SlotKind.BYTES,
        "cuda.device": SlotKind.COUNT,
        "cuda.shares": SlotKind.COUNT,
        "rocm.device": SlotKind.COUNT,
        "tpu.device": SlotKind.COUNT,
    }
)

_BINARY_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgtpe]?)(?:i?b)?\s*$", re.IGNORECASE)
_UNIT_POWER = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4, "p": 5, "e": 6}
_PLAIN_DECIMAL = re.compile(r"^\s*\d+(?:\.\d+)?\s*$")


def parse_slot_amount(raw: object, kind: SlotKind) -> Decimal:
    """Parse one user-supplied amount; never returns a negative, NaN or infinite value."""
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        raise InvalidResourceValueError(f"resource amount must be a number or string, not {raw!r}")
    text = str(raw)
    if kind is SlotKind.BYTES:
        match = _BINARY_SIZE.match(text)
        if match is None:
            raise InvalidResourceValueError(
                f"invalid size {text!r}: use a whole number of bytes or a binary unit, "
                "e.g. '512m', '4g', '1.5GiB'"
            )
        multiplier = Decimal(1024) ** _UNIT_POWER[match.group(2).lower()]
        amount = Decimal(match.group(1)) * multiplier
        if amount != amount.to_integral_value():
            raise InvalidResourceValueError(f"invalid size {text!r}: not a whole number of bytes")
        return amount.quantize(Decimal(1))
    if not _PLAIN_DECIMAL.match(text):
        raise InvalidResourceValueError(
            f"invalid amount {text!r}: use a non-negative decimal number such as '2' or '0.5'"
        )
    return Decimal(text.strip())


def _to_decimal(value: SlotAmount) -> Decimal:
    if isinstance(value, bool):
        raise InvalidResourceValueError(f"resource amount must be numeric, not {value!r}")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise InvalidResourceValueError(f"invalid resource amount {value!r}") from None
    if not amount.is_finite():
        raise InvalidResourceValueError(f"resource amount must be finite, not {value!r}")
    return amount


def _canonical(amount: Decimal) -> str:
    """'2.50' → '2.5', '1E+3' → '1000': one spelling per value, for stable serialisation."""
    return format(amount.normalize(), "f") if amount else "0"


class ResourceSlot(Mapping[str, Decimal]):
    """An immutable mapping of slot name to exact amount; absent slots count as zero."""

    __slots__ = ("_amounts",)

    def __init__(self, amounts: Mapping[str, SlotAmount] | None = None) -> None:
        self._amounts: dict[str, Decimal] = {
            slot: _to_decimal(value) for slot, value in (amounts or {}).items()
        }

    @classmethod
    def parse(
        cls, raw: Mapping[str, object], slot_types: SlotTypes = DEFAULT_SLOT_TYPES
    ) -> ResourceSlot:
        """Build from user input: known slot names only, amounts in their unit syntax."""
        return cls(
            {
                slot: parse_slot_amount(value, slot_types.kind_of(slot))
                for slot, value in raw.items()
            }
        )

    @classmethod
    def from_json(cls, data: Mapping[str, str | int] | None) -> ResourceSlot:
        return cls(data or {})

    def to_json(self) -> dict[str, str]:
        """Sorted keys and canonical decimal strings: equal slots serialise identically."""
        return {slot: _canonical(self._amounts[slot]) for slot in sorted(self._amounts)}

    # Mapping protocol -------------------------------------------------------------------
    def __getitem__(self, slot: str) -> Decimal:
        return self._amounts[slot]

    def __iter__(self) -> Iterator[str]:
        return iter(self._amounts)

    def __len__(self) -> int:
        return len(self._amounts)

    def amount(self, slot: str) -> Decimal:
        """The amount of `slot`, zero when absent."""
        return self._amounts.get(slot, Decimal(0))

    # Arithmetic -------------------------------------------------------------------------
    def __add__(self, other: ResourceSlot) -> ResourceSlot:
        return ResourceSlot(
            {slot: self.amount(slot) + other.amount(slot) for slot in self._keys_with(other)}
        )

    def __sub__(self, other: ResourceSlot) -> ResourceSlot:
        return ResourceSlot(
            {slot: self.amount(slot) - other.amount(slot) for slot in self._keys_with(other)}
        )

    def __mul__(self, factor: int | Decimal) -> ResourceSlot:
        return ResourceSlot({slot: amount * factor for slot, amount in self._amounts.items()})

    def _keys_with(self, other: ResourceSlot) -> list[str]:
        return list(dict.fromkeys([*self._amounts, *other._amounts]))

    # Comparison -------------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ResourceSlot):
            return NotImplemented
        return all(self.amount(slot) == other.amount(slot) for slot in self._keys_with(other))

    def __hash__(self) -> int:
        return hash(frozenset((slot, amt) for slot, amt in self._amounts.items() if amt))

    def fits_in(self, capacity: ResourceSlot) -> bool:
        """True when every slot of this request is at most the same slot of `capacity`."""
        return all(amount <= capacity.amount(slot) for slot, amount in self._amounts.items())

    def __le__(self, other: ResourceSlot) -> bool:
        return self.fits_in(other)

    def __ge__(self, other: ResourceSlot) -> bool:
        return other.fits_in(self)

    def shortfall(self, capacity: ResourceSlot) -> ResourceSlot:
        """Per slot, how much this request exceeds `capacity`; empty when it fits."""
        return ResourceSlot(
            {
                slot: amount - capacity.amount(slot)
                for slot, amount in self._amounts.items()
                if amount > capacity.amount(slot)
            }
        )

    def is_zero(self) -> bool:
        return not any(self._amounts.values())

    def nonzero_slots(self) -> frozenset[str]:
        return frozenset(slot for slot, amount in self._amounts.items() if amount)

    def dominant_share(self, capacity: ResourceSlot) -> Decimal:
        """max over slots of amount ÷ capacity (slots the capacity lacks are ignored)."""
        shares = [
            amount / capacity.amount(slot)
            for slot, amount in self._amounts.items()
            if capacity.amount(slot) > 0
        ]
        return max(shares, default=Decimal(0))

    def __repr__(self) -> str:
        return f"ResourceSlot({self.to_json()!r})"
