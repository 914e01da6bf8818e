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
from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
from dataclasses import dataclass, field
from decimal import Context, Decimal, DecimalException, Inexact, InvalidOperation, Overflow
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

# A number, then an optional binary prefix spelled "g", "gi", "gb" or "gib" (any case), or a
# bare "b" for bytes. "ib" without a prefix is not a unit and is refused.
_BINARY_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:([kmgtpe])i?)?b?\s*$", re.IGNORECASE)
_UNIT_POWER = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4, "p": 5, "e": 6}
_PLAIN_DECIMAL = re.compile(r"^\s*\d+(?:\.\d+)?\s*$")
# Byte counts are whole numbers of at most 28 digits; anything that would need rounding to get
# there is refused rather than silently changed.
_EXACT_BYTES = Context(prec=28, traps=[Inexact, InvalidOperation, Overflow])


def parse_slot_amount(raw: object, kind: SlotKind) -> Decimal:
    """Parse one user-supplied amount; never returns a negative, NaN or infinite value.

    Strings use the slot kind's syntax ("1.5" for counts, "4g" / "512MiB" for bytes). Numbers
    (int, Decimal, float read as its shortest repr) are taken by value, whatever their exponent.
    Bytes must come out whole. Anything else raises `InvalidResourceValueError`.
    """
    if isinstance(raw, str):
        amount = _parse_size(raw) if kind is SlotKind.BYTES else _parse_count(raw)
    else:
        amount = _to_decimal(raw)
        if amount < 0:
            raise InvalidResourceValueError(f"resource amount must not be negative, not {raw!r}")
    return _whole_bytes(amount, raw) if kind is SlotKind.BYTES else amount


def _parse_count(text: str) -> Decimal:
    if not _PLAIN_DECIMAL.match(text):
        raise InvalidResourceValueError(
            f"invalid amount {text!r}: use a non-negative decimal number such as '2' or '0.5'"
        )
    return Decimal(text.strip())


def _parse_size(text: str) -> Decimal:
    match = _BINARY_SIZE.match(text)
    if match is None:
        raise InvalidResourceValueError(
            f"invalid size {text!r}: use a whole number of bytes or a binary unit, "
            "e.g. '512m', '4g', '1.5GiB'"
        )
    number, unit = match.groups()
    try:
        return _EXACT_BYTES.multiply(Decimal(number), 1024 ** _UNIT_POWER[(unit or "").lower()])
    except DecimalException:
        raise InvalidResourceValueError(f"invalid size {text!r}: too large") from None


def _whole_bytes(amount: Decimal, raw: object) -> Decimal:
    if amount != amount.to_integral_value():
        raise InvalidResourceValueError(f"invalid size {raw!r}: not a whole number of bytes")
    try:
        return amount.quantize(Decimal(1), context=_EXACT_BYTES)
    except DecimalException:
        raise InvalidResourceValueError(f"invalid size {raw!r}: too large") from None


def _to_decimal(value: object) -> Decimal:
    """The exact, finite amount `value` denotes.

    A float is read as its shortest repr, so 0.1 becomes Decimal("0.1") rather than the binary
    approximation 0.1000000000000000055…; bools, None and containers are refused.
    """
    # Exact types first: this runs for every amount read from the database (strings) or
    # computed (Decimals); bool, a subclass of int, takes the checked path below.
    if type(value) is Decimal:
        amount = value
    elif type(value) is str or type(value) is int:
        amount = _decimal_or_refuse(value)
    elif isinstance(value, bool) or not isinstance(value, Decimal | int | float | str):
        raise InvalidResourceValueError(f"resource amount must be numeric, not {value!r}")
    else:
        amount = _decimal_or_refuse(repr(value) if isinstance(value, float) else value)
    if not amount.is_finite():
        raise InvalidResourceValueError(f"resource amount must be finite, not {value!r}")
    return amount


def _decimal_or_refuse(value: Decimal | int | str) -> Decimal:
    try:
        return Decimal(value)
    except InvalidOperation:
        raise InvalidResourceValueError(f"invalid resource amount {value!r}") from None


def _canonical(amount: Decimal) -> str:
    """'2.50' → '2.5', '1E+3' → '1000': one spelling per value, for stable serialisation."""
    if not amount:
        return "0"
    # Fixed-point notation writes every digit the amount has and never rounds; stripping the
    # zeros after the point then leaves one spelling per value.
    text = format(amount, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


_ZERO = Decimal(0)


class ResourceSlot(Mapping[str, Decimal]):
    """An immutable mapping of slot name to exact amount; absent slots count as zero.

    Scheduling does slot arithmetic for every decision, so the hot operations work on the
    private dict directly: results of arithmetic are built without re-validating amounts that
    are Decimals already (`_of`), and the read-only views come from the dict rather than from
    the `Mapping` mixins, which would go through `__getitem__` once per slot.
    """

    __slots__ = ("_amounts", "_json")

    def __init__(self, amounts: Mapping[str, SlotAmount] | None = None) -> None:
        if type(amounts) is ResourceSlot:
            self._amounts: dict[str, Decimal] = amounts._amounts
        else:
            self._amounts = {slot: _to_decimal(value) for slot, value in (amounts or {}).items()}
        # `to_json`, once computed: the same slots are written or sent many times.
        self._json: dict[str, str] | None = None

    @classmethod
    def _of(cls, amounts: dict[str, Decimal]) -> ResourceSlot:
        """Wrap `amounts` (finite Decimals, owned by the result from now on) unchecked."""
        slot = object.__new__(cls)
        slot._amounts = amounts
        slot._json = None
        return slot

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
        """Slots as `to_json` wrote them; the result and any error are the constructor's.

        Every row read converts one of these, so what `to_json` writes (a dict of decimal
        strings) is converted here directly, without the constructor's per-value dispatch;
        anything else (ints, bad or non-finite amounts, other mappings) takes the constructor.
        """
        if type(data) is dict:
            amounts: dict[str, Decimal] = {}
            for slot, value in data.items():
                if type(value) is not str:
                    break
                try:
                    amount = Decimal(value)
                except InvalidOperation:
                    break
                if not amount.is_finite():
                    break
                amounts[slot] = amount
            else:
                return cls._of(amounts)
        return cls(data or {})

    def to_json(self) -> dict[str, str]:
        """Sorted keys and canonical decimal strings: equal slots serialise identically."""
        if self._json is None:
            self._json = {slot: _canonical(self._amounts[slot]) for slot in sorted(self._amounts)}
        return dict(self._json)  # the caller's own: the memo must not change

    # Mapping protocol -------------------------------------------------------------------
    def __getitem__(self, slot: str) -> Decimal:
        return self._amounts[slot]

    def __iter__(self) -> Iterator[str]:
        return iter(self._amounts)

    def __len__(self) -> int:
        return len(self._amounts)

    def __contains__(self, slot: object) -> bool:
        return slot in self._amounts

    def keys(self) -> KeysView[str]:
        return self._amounts.keys()

    def values(self) -> ValuesView[Decimal]:
        return self._amounts.values()

    def items(self) -> ItemsView[str, Decimal]:
        return self._amounts.items()

    def amount(self, slot: str) -> Decimal:
        """The amount of `slot`, zero when absent."""
        return self._amounts.get(slot, _ZERO)

    # Arithmetic -------------------------------------------------------------------------
    def __add__(self, other: ResourceSlot) -> ResourceSlot:
        if not other._amounts:
            return self
        if not self._amounts:
            return other
        total = self._amounts.copy()
        for slot, amount in other._amounts.items():
            have = total.get(slot)
            total[slot] = amount if have is None else have + amount
        return ResourceSlot._of(total)

    def __sub__(self, other: ResourceSlot) -> ResourceSlot:
        if not other._amounts:
            return self
        rest = self._amounts.copy()
        for slot, amount in other._amounts.items():
            rest[slot] = rest.get(slot, _ZERO) - amount
        return ResourceSlot._of(rest)

    def __mul__(self, factor: int | Decimal) -> ResourceSlot:
        return ResourceSlot({slot: amount * factor for slot, amount in self._amounts.items()})

    # Comparison -------------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        # The exact-type test first: isinstance against an ABC-derived class is slow, and
        # slots are compared in every placement.
        if type(other) is not ResourceSlot and not isinstance(other, ResourceSlot):
            return NotImplemented
        mine, theirs = self._amounts, other._amounts
        return all(mine.get(slot, _ZERO) == amount for slot, amount in theirs.items()) and all(
            theirs.get(slot, _ZERO) == amount for slot, amount in mine.items()
        )

    def __hash__(self) -> int:
        return hash(frozenset((slot, amt) for slot, amt in self._amounts.items() if amt))

    def fits_in(self, capacity: ResourceSlot) -> bool:
        """True when every slot this request uses is at most the same slot of `capacity`.

        Slots the request does not use (absent or zero: equal slots answer alike) always fit,
        even where `capacity` is negative, as an overcommitted remainder can be.
        """
        room = capacity._amounts
        for slot, amount in self._amounts.items():
            if amount and amount > room.get(slot, _ZERO):
                return False
        return True

    def __le__(self, other: ResourceSlot) -> bool:
        return self.fits_in(other)

    def __ge__(self, other: ResourceSlot) -> bool:
        return other.fits_in(self)

    def shortfall(self, capacity: ResourceSlot) -> ResourceSlot:
        """Per slot, how much this request exceeds `capacity`; empty exactly when it fits."""
        return ResourceSlot._of(
            {
                slot: amount - capacity.amount(slot)
                for slot, amount in self._used()
                if amount > capacity.amount(slot)
            }
        )

    def is_zero(self) -> bool:
        return not any(self._amounts.values())

    def nonzero_slots(self) -> frozenset[str]:
        return frozenset(slot for slot, _ in self._used())

    def _used(self) -> Iterator[tuple[str, Decimal]]:
        """The (slot, amount) pairs with a non-zero amount: what the comparisons look at."""
        return ((slot, amount) for slot, amount in self._amounts.items() if amount)

    def dominant_share(self, capacity: ResourceSlot) -> Decimal:
        """max over used slots of amount ÷ capacity; slots without positive capacity are ignored.

        Zero when no used slot has capacity.
        """
        shares = [
            amount / capacity.amount(slot)
            for slot, amount in self._used()
            if capacity.amount(slot) > 0
        ]
        return max(shares, default=Decimal(0))

    def __repr__(self) -> str:
        return f"ResourceSlot({self.to_json()!r})"
