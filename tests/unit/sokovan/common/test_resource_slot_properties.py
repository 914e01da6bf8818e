"""Algebraic properties of ResourceSlot, checked with Hypothesis.

Amounts are integers scaled by 10**-3 with at most 10 digits, far inside Decimal's 28-digit
context, so every sum and difference below is exact and the properties hold with `==`.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from sokovan.common.resource_slot import ResourceSlot

# Same examples on every run, nothing written to an example database: CI stays reproducible.
DETERMINISTIC = settings(max_examples=200, deadline=None, derandomize=True, database=None)

SLOT_NAMES = ("cpu", "mem", "cuda.shares", "tpu.device")
MILLI = Decimal("0.001")


def amounts(min_milli: int) -> st.SearchStrategy[Decimal]:
    return st.integers(min_value=min_milli, max_value=10**9).map(lambda n: n * MILLI)


def slots(min_milli: int = -(10**9)) -> st.SearchStrategy[ResourceSlot]:
    return st.dictionaries(st.sampled_from(SLOT_NAMES), amounts(min_milli)).map(ResourceSlot)


any_slots = slots()
non_negative = slots(min_milli=0)
positive_capacity = st.dictionaries(
    st.sampled_from(SLOT_NAMES), amounts(min_milli=1), min_size=1
).map(ResourceSlot)


@st.composite
def respelled(draw: st.DrawFn, value: ResourceSlot) -> ResourceSlot:
    """An equal slot spelled differently: extra trailing zeros, explicit zeros added or dropped."""
    spelled: dict[str, Decimal] = {}
    for name in SLOT_NAMES:
        amount = value.amount(name)
        if amount == 0 and not draw(st.booleans()):
            continue  # drop (or never add) a zero key
        places = draw(st.integers(min_value=3, max_value=8))
        spelled[name] = amount.quantize(Decimal(1).scaleb(-places))
    return ResourceSlot(spelled)


@DETERMINISTIC
@given(any_slots, any_slots, any_slots)
def test_addition_commutes_and_associates(
    a: ResourceSlot, b: ResourceSlot, c: ResourceSlot
) -> None:
    assert a + b == b + a
    assert (a + b) + c == a + (b + c)


@DETERMINISTIC
@given(any_slots, any_slots)
def test_subtraction_undoes_addition(a: ResourceSlot, b: ResourceSlot) -> None:
    assert (a + b) - b == a
    assert (a - a).is_zero()


@DETERMINISTIC
@given(any_slots, st.integers(min_value=0, max_value=50))
def test_multiplication_is_repeated_addition(a: ResourceSlot, factor: int) -> None:
    total = ResourceSlot()
    for _ in range(factor):
        total += a
    assert a * factor == total


@DETERMINISTIC
@given(any_slots, non_negative)
def test_a_request_fits_in_itself_plus_more(a: ResourceSlot, extra: ResourceSlot) -> None:
    assert a.fits_in(a + extra)


@DETERMINISTIC
@given(any_slots, any_slots)
def test_fits_exactly_when_there_is_no_shortfall_and_le_agrees(
    a: ResourceSlot, c: ResourceSlot
) -> None:
    shortfall = a.shortfall(c)
    assert a.fits_in(c) is shortfall.is_zero()
    assert all(amount > 0 for amount in shortfall.values())
    # The shortfall is exactly what has to go: taking it away makes the request fit.
    assert (a - shortfall).fits_in(c)
    assert (a <= c) is a.fits_in(c)
    assert (c >= a) is a.fits_in(c)


@DETERMINISTIC
@given(any_slots)
def test_json_round_trip_is_identity(a: ResourceSlot) -> None:
    back = ResourceSlot.from_json(a.to_json())
    assert back == a
    assert set(back) == set(a)  # explicit zero keys survive too
    assert back.to_json() == a.to_json()
    assert list(a.to_json()) == sorted(a)


@DETERMINISTIC
@given(st.data(), any_slots)
def test_equal_spellings_compare_and_hash_alike(data: st.DataObject, a: ResourceSlot) -> None:
    b = data.draw(respelled(a))
    assert a == b
    assert hash(a) == hash(b)
    # Serialisations differ only by explicit zero keys, never by how an amount was spelled.
    assert (a.to_json() == b.to_json()) is (set(a) == set(b))


@DETERMINISTIC
@given(st.data(), any_slots, any_slots)
def test_equal_slots_answer_every_comparison_alike(
    data: st.DataObject, a: ResourceSlot, c: ResourceSlot
) -> None:
    b = data.draw(respelled(a))
    assert a.fits_in(c) is b.fits_in(c)
    assert c.fits_in(a) is c.fits_in(b)
    assert a.shortfall(c) == b.shortfall(c)
    assert c.shortfall(a) == c.shortfall(b)
    assert a.dominant_share(c) == b.dominant_share(c)
    assert c.dominant_share(a) == c.dominant_share(b)
    assert a.nonzero_slots() == b.nonzero_slots()


@DETERMINISTIC
@given(any_slots, any_slots)
def test_json_is_equal_exactly_for_equal_slots_with_equal_keys(
    a: ResourceSlot, b: ResourceSlot
) -> None:
    # Equal slots may differ in explicit zero keys, so equal JSON needs equal keys as well.
    assert (a.to_json() == b.to_json()) is (a == b and set(a) == set(b))
    if a == b:
        assert hash(a) == hash(b)


@DETERMINISTIC
@given(non_negative, positive_capacity)
def test_dominant_share_is_the_largest_share(a: ResourceSlot, capacity: ResourceSlot) -> None:
    expected = max(a.amount(name) / capacity[name] for name in capacity)
    assert a.dominant_share(capacity) == expected


@DETERMINISTIC
@given(non_negative, non_negative, positive_capacity)
def test_dominant_share_grows_with_the_request(
    a: ResourceSlot, more: ResourceSlot, capacity: ResourceSlot
) -> None:
    assert a.dominant_share(capacity) <= (a + more).dominant_share(capacity)


@DETERMINISTIC
@given(non_negative, positive_capacity)
def test_covered_request_fits_iff_share_at_most_one(
    a: ResourceSlot, capacity: ResourceSlot
) -> None:
    covered = ResourceSlot({name: a.amount(name) for name in capacity})
    assert covered.fits_in(capacity) is (covered.dominant_share(capacity) <= 1)
