"""ResourceSlot: exact arithmetic, absent-is-zero comparisons, canonical JSON, immutability."""

from __future__ import annotations

import operator
from decimal import Decimal

import pytest

from sokovan.common.errors import InvalidResourceValueError
from sokovan.common.resource_slot import ResourceSlot


def slot(**amounts: str | int) -> ResourceSlot:
    """Build from keyword amounts; "cuda_shares" stands for "cuda.shares"."""
    return ResourceSlot({name.replace("_", "."): value for name, value in amounts.items()})


def test_tenths_sum_exactly() -> None:
    total = ResourceSlot()
    for _ in range(10_000):
        total += slot(cuda_shares="0.1")
    # 10 000 × 0.1 = 1000 exactly; a float sum would be 1000.0000000001588
    assert total == slot(cuda_shares=1000)
    assert slot(cpu="0.1") + slot(cpu="0.2") == slot(cpu="0.3")


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        pytest.param(slot(cpu=1), slot(mem=2), slot(cpu=1, mem=2), id="disjoint-keys-union"),
        pytest.param(slot(cpu="1.5"), slot(cpu="2.25"), slot(cpu="3.75"), id="1.5+2.25=3.75"),
        pytest.param(slot(cpu=1), ResourceSlot(), slot(cpu=1), id="empty-is-identity"),
        pytest.param(slot(cpu=1), slot(cpu=-1), slot(cpu=0), id="1+(-1)=0"),
    ],
)
def test_add(left: ResourceSlot, right: ResourceSlot, expected: ResourceSlot) -> None:
    assert left + right == expected


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        pytest.param(slot(cpu=4, mem=8), slot(cpu=1), slot(cpu=3, mem=8), id="4-1=3;mem-0=mem"),
        pytest.param(slot(cpu=1), slot(mem=2), slot(cpu=1, mem=-2), id="absent-minus-2=-2"),
        pytest.param(slot(cpu="0.3"), slot(cpu="0.1"), slot(cpu="0.2"), id="0.3-0.1=0.2"),
    ],
)
def test_sub(left: ResourceSlot, right: ResourceSlot, expected: ResourceSlot) -> None:
    assert left - right == expected


@pytest.mark.parametrize(
    ("value", "factor", "expected"),
    [
        pytest.param(slot(cpu="0.5", mem=4), 3, slot(cpu="1.5", mem=12), id="int-factor"),
        pytest.param(slot(cpu=2), Decimal("0.1"), slot(cpu="0.2"), id="2*0.1=0.2"),
        pytest.param(slot(cpu=2), 0, slot(cpu=0), id="times-zero"),
        pytest.param(ResourceSlot(), 7, ResourceSlot(), id="empty"),
    ],
)
def test_mul(value: ResourceSlot, factor: int | Decimal, expected: ResourceSlot) -> None:
    assert value * factor == expected


def test_amount_is_zero_when_absent_and_getitem_follows_the_mapping() -> None:
    value = slot(cpu="1.5")
    assert value.amount("cpu") == Decimal("1.5")
    assert value.amount("mem") == 0
    assert value["cpu"] == Decimal("1.5")
    with pytest.raises(KeyError):
        value["mem"]


@pytest.mark.parametrize(
    ("left", "right"),
    [
        pytest.param(slot(cpu=1, mem=0), slot(cpu=1), id="explicit-zero"),
        pytest.param(slot(cpu="2.50"), slot(cpu="2.5"), id="trailing-zero"),
        pytest.param(slot(mem="1E+3"), slot(mem=1000), id="exponent"),
        pytest.param(slot(cpu="-0"), ResourceSlot(), id="negative-zero"),
        pytest.param(ResourceSlot({"cpu": Decimal("0.50")}), slot(cpu="0.5"), id="decimal-input"),
    ],
)
def test_equal_slots_hash_alike(left: ResourceSlot, right: ResourceSlot) -> None:
    assert left == right
    assert hash(left) == hash(right)
    assert len({left, right}) == 1


@pytest.mark.parametrize(
    ("left", "right"),
    [
        pytest.param(slot(cpu=1), slot(cpu=2), id="different-amount"),
        pytest.param(slot(cpu=1), slot(cpu=1, mem=1), id="extra-nonzero-slot"),
    ],
)
def test_unequal_slots(left: ResourceSlot, right: ResourceSlot) -> None:
    assert left != right


def test_a_slot_never_equals_a_plain_dict() -> None:
    assert slot(cpu=1) != {"cpu": Decimal(1)}


def test_is_immutable() -> None:
    value = slot(cpu=1)
    with pytest.raises(TypeError):
        value["cpu"] = Decimal(2)  # type: ignore[index]
    with pytest.raises(AttributeError):
        value.extra = 1  # type: ignore[attr-defined]
    value + slot(cpu=1)  # arithmetic builds a new value ...
    assert value == slot(cpu=1)  # ... and leaves the operands alone


def test_constructor_copies_its_input() -> None:
    source: dict[str, str | int] = {"cpu": 1}
    value = ResourceSlot(source)
    source["cpu"] = 5
    assert value == slot(cpu=1)


CAPACITY = slot(cpu=4, mem=16, cuda_shares="1.0")


@pytest.mark.parametrize(
    ("request_", "fits", "shortfall"),
    [
        pytest.param(slot(cpu=4, mem=16), True, ResourceSlot(), id="exactly-full"),
        pytest.param(slot(cpu="4.5"), False, slot(cpu="0.5"), id="4.5-4=0.5-short"),
        pytest.param(slot(cuda_device=1), False, slot(cuda_device=1), id="slot-capacity-lacks"),
        pytest.param(slot(cuda_device=0), True, ResourceSlot(), id="zero-of-missing-slot"),
        pytest.param(ResourceSlot(), True, ResourceSlot(), id="empty-request"),
        pytest.param(
            slot(cpu=5, mem=20, cuda_shares="0.5"),
            False,
            slot(cpu=1, mem=4),  # 5-4=1, 20-16=4; 0.5 ≤ 1.0 is not short
            id="two-slots-short",
        ),
    ],
)
def test_fits_in_and_shortfall(request_: ResourceSlot, fits: bool, shortfall: ResourceSlot) -> None:
    assert request_.fits_in(CAPACITY) is fits
    assert (request_ <= CAPACITY) is fits
    assert operator.ge(CAPACITY, request_) is fits  # __ge__ mirrors fits_in
    assert request_.shortfall(CAPACITY) == shortfall
    assert (len(request_.shortfall(CAPACITY)) == 0) is fits


def test_unused_slots_fit_an_overcommitted_capacity() -> None:
    # remaining = capacity - occupied is negative in cuda.device after an agent lost a GPU;
    # a CPU-only request still fits, whether it spells cuda.device as 0 or leaves it out.
    remaining = slot(cpu=2, cuda_device=-1)
    for request_ in (slot(cpu=1), slot(cpu=1, cuda_device=0)):
        assert request_.fits_in(remaining)
        assert request_.shortfall(remaining) == ResourceSlot()
    assert not slot(cuda_device=1).fits_in(remaining)
    assert slot(cuda_device=1).shortfall(remaining) == slot(cuda_device=2)  # 1 - (-1) = 2


@pytest.mark.parametrize(
    ("request_", "share"),
    [
        pytest.param(slot(cpu=1, mem=8), Decimal("0.5"), id="max(1/4,8/16)=0.5"),
        pytest.param(slot(cpu=3, mem=4), Decimal("0.75"), id="max(3/4,4/16)=0.75"),
        pytest.param(slot(cuda_shares="0.25"), Decimal("0.25"), id="0.25/1.0"),
        pytest.param(slot(tpu_device=3), Decimal(0), id="capacity-lacks-slot-ignored"),
        pytest.param(ResourceSlot(), Decimal(0), id="empty"),
        pytest.param(slot(cpu=8), Decimal(2), id="over-capacity-8/4=2"),
    ],
)
def test_dominant_share(request_: ResourceSlot, share: Decimal) -> None:
    assert request_.dominant_share(CAPACITY) == share


def test_dominant_share_ignores_zero_capacity_and_explicit_zero_requests() -> None:
    capacity = slot(cpu=4, cuda_device=0, mem=16)
    assert slot(cpu=2, cuda_device=1).dominant_share(capacity) == Decimal("0.5")
    # equal requests, equal shares, even for a (meaningless) negative request
    assert slot(cpu=-2, mem=0).dominant_share(capacity) == slot(cpu=-2).dominant_share(capacity)


def test_zero_queries() -> None:
    assert ResourceSlot().is_zero()
    assert slot(cpu=0, mem=0).is_zero()
    assert not slot(cpu=0, mem=1).is_zero()
    assert slot(cpu=0, mem=1, cuda_shares="0.5").nonzero_slots() == {"mem", "cuda.shares"}


@pytest.mark.parametrize(
    ("value", "json"),
    [
        pytest.param(slot(mem=1, cpu=2), {"cpu": "2", "mem": "1"}, id="sorted-keys"),
        pytest.param(slot(cpu="2.50"), {"cpu": "2.5"}, id="trailing-zero-stripped"),
        pytest.param(slot(mem="1E+3"), {"mem": "1000"}, id="no-exponent"),
        pytest.param(slot(cpu="0.000"), {"cpu": "0"}, id="zero"),
        pytest.param(slot(cpu="-0"), {"cpu": "0"}, id="negative-zero"),
        pytest.param(slot(cpu="100"), {"cpu": "100"}, id="integer-kept-whole"),
        pytest.param(slot(cpu="1E-7"), {"cpu": "0.0000001"}, id="small-without-exponent"),
        pytest.param(slot(cpu=-3), {"cpu": "-3"}, id="negative"),
        pytest.param(
            slot(cpu="1.00000000000000000000000000000000001"),
            {"cpu": "1.00000000000000000000000000000000001"},
            id="more-digits-than-context-precision",
        ),
        pytest.param(
            ResourceSlot({"cpu": 0.1}),  # type: ignore[dict-item]
            {"cpu": "0.1"},
            id="float-read-as-its-repr",
        ),
    ],
)
def test_to_json_is_canonical(value: ResourceSlot, json: dict[str, str]) -> None:
    assert value.to_json() == json
    assert list(value.to_json()) == sorted(json)
    assert ResourceSlot.from_json(value.to_json()) == value


def test_to_json_hands_out_a_copy_each_time() -> None:
    slots = ResourceSlot({"cpu": "1.50", "mem": 1024})
    first = slots.to_json()
    first["cpu"] = "99"

    assert slots.to_json() == {"cpu": "1.5", "mem": "1024"}
    assert ResourceSlot.from_json({"cpu": "2"}).to_json() == {"cpu": "2"}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(None, ResourceSlot(), id="null"),
        pytest.param({}, ResourceSlot(), id="empty"),
        pytest.param({"cpu": "1.50", "mem": 1024}, slot(cpu="1.5", mem=1024), id="str-and-int"),
    ],
)
def test_from_json(data: dict[str, str | int] | None, expected: ResourceSlot) -> None:
    assert ResourceSlot.from_json(data) == expected


def test_repr_shows_the_canonical_json() -> None:
    assert repr(slot(cpu="2.50")) == "ResourceSlot({'cpu': '2.5'})"


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param("NaN", id="nan-string"),
        pytest.param("sNaN", id="signalling-nan"),
        pytest.param("Infinity", id="inf-string"),
        pytest.param(float("nan"), id="nan-float"),
        pytest.param(float("-inf"), id="inf-float"),
        pytest.param(Decimal("Infinity"), id="inf-decimal"),
        pytest.param("2g", id="unit-in-constructor"),
        pytest.param("", id="empty-string"),
        pytest.param(True, id="bool"),
        pytest.param(None, id="none"),
        pytest.param([1], id="list"),
    ],
)
def test_constructor_rejects_non_finite_and_non_numeric(bad: object) -> None:
    with pytest.raises(InvalidResourceValueError):
        ResourceSlot({"cpu": bad})  # type: ignore[dict-item]
