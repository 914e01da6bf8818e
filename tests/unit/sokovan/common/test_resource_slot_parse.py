"""ResourceSlot.parse: user input against the default SlotTypes, with unit syntax per kind."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sokovan.common.errors import InvalidResourceValueError, UnknownSlotTypeError
from sokovan.common.resource_slot import (
    DEFAULT_SLOT_TYPES,
    ResourceSlot,
    SlotKind,
    SlotTypes,
    parse_slot_amount,
)

GIB = 2**30
MIB = 2**20


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("4g", 4 * GIB, id="4g"),
        pytest.param("4G", 4 * GIB, id="upper-case"),
        pytest.param("512m", 512 * MIB, id="512m"),
        pytest.param("1.5GiB", 3 * 2**29, id="1.5GiB=1.5*2**30"),
        pytest.param("2Gi", 2 * GIB, id="kubernetes-Gi"),
        pytest.param("8gb", 8 * GIB, id="gb-is-binary"),
        pytest.param("0.5k", 512, id="0.5k=512"),
        pytest.param("1t", 2**40, id="1t"),
        pytest.param("1e", 2**60, id="1e=exbibyte"),
        pytest.param("1024", 1024, id="plain-bytes"),
        pytest.param("100b", 100, id="bare-b"),
        pytest.param(" 2 G ", 2 * GIB, id="whitespace-around-and-between"),
        pytest.param("0", 0, id="zero"),
        pytest.param(4096, 4096, id="int"),
        pytest.param(Decimal("4E+3"), 4000, id="decimal-with-exponent"),
        pytest.param(Decimal("1024.000"), 1024, id="decimal-whole"),
        pytest.param(1e16, 10**16, id="float-repr-with-exponent"),
    ],
)
def test_bytes_amounts(raw: object, expected: int) -> None:
    parsed = ResourceSlot.parse({"mem": raw})
    assert parsed == ResourceSlot({"mem": expected})
    assert parsed["mem"].as_tuple().exponent == 0  # stored as a whole number


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("1.5", id="fractional-bytes"),
        pytest.param("0.3k", id="0.3k=307.2"),
        pytest.param(Decimal("0.5"), id="fractional-decimal"),
        pytest.param("-1g", id="negative"),
        pytest.param(-1, id="negative-int"),
        pytest.param("4x", id="unknown-unit"),
        pytest.param("100ib", id="ib-without-prefix"),
        pytest.param("g", id="unit-only"),
        pytest.param("", id="empty"),
        pytest.param("1e3", id="scientific-string"),
        pytest.param("4 g b", id="split-unit"),
        pytest.param("9" * 29, id="more-than-28-digits"),
        pytest.param(10**40, id="huge-int"),
        pytest.param("NaN", id="nan"),
        pytest.param(float("inf"), id="inf"),
    ],
)
def test_bytes_rejects(raw: object) -> None:
    with pytest.raises(InvalidResourceValueError):
        ResourceSlot.parse({"mem": raw})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("1.5", "1.5", id="fraction-string"),
        pytest.param("2", "2", id="integer-string"),
        pytest.param(" 2 ", "2", id="whitespace"),
        pytest.param(3, "3", id="int"),
        pytest.param(Decimal("0.5"), "0.5", id="decimal"),
        pytest.param(Decimal("1E+1"), "10", id="decimal-with-exponent"),
        pytest.param(Decimal("1E-7"), "0.0000001", id="small-decimal"),
        pytest.param(0.1, "0.1", id="float-as-typed-not-binary"),
        pytest.param("0", "0", id="zero"),
    ],
)
def test_count_amounts(raw: object, expected: str) -> None:
    assert ResourceSlot.parse({"cpu": raw}) == ResourceSlot({"cpu": expected})


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("2g", id="unit-on-count"),
        pytest.param("-1", id="negative-string"),
        pytest.param(-1, id="negative-int"),
        pytest.param(Decimal("-0.5"), id="negative-decimal"),
        pytest.param("NaN", id="nan-string"),
        pytest.param(float("nan"), id="nan-float"),
        pytest.param("inf", id="inf-string"),
        pytest.param(float("inf"), id="inf-float"),
        pytest.param(Decimal("Infinity"), id="inf-decimal"),
        pytest.param(True, id="bool"),
        pytest.param(None, id="none"),
        pytest.param([1], id="list"),
        pytest.param({"n": 1}, id="dict"),
        pytest.param("1e3", id="scientific-string"),
        pytest.param(".5", id="no-leading-digit"),
        pytest.param("", id="empty"),
    ],
)
def test_count_rejects(raw: object) -> None:
    with pytest.raises(InvalidResourceValueError):
        ResourceSlot.parse({"cpu": raw})


def test_parse_reads_every_slot_by_its_kind() -> None:
    parsed = ResourceSlot.parse({"cpu": "2", "mem": "4g", "cuda.shares": "0.5"})
    assert parsed == ResourceSlot({"cpu": 2, "mem": 4 * GIB, "cuda.shares": "0.5"})


def test_unknown_slot_names_the_known_slots() -> None:
    with pytest.raises(UnknownSlotTypeError) as caught:
        ResourceSlot.parse({"cpu": "1", "gpu": "1"})
    message = str(caught.value)
    assert "'gpu'" in message
    for known in DEFAULT_SLOT_TYPES.kinds:
        assert known in message
    assert caught.value.http_status == 400


def test_an_empty_registry_says_so() -> None:
    with pytest.raises(UnknownSlotTypeError, match=r"\(none\)"):
        ResourceSlot.parse({"cpu": "1"}, SlotTypes())


def test_a_custom_registry_decides_the_kind() -> None:
    types = SlotTypes({"npu.memory": SlotKind.BYTES})
    assert ResourceSlot.parse({"npu.memory": "1k"}, types) == ResourceSlot({"npu.memory": 1024})


def test_parse_slot_amount_returns_decimal() -> None:
    amount = parse_slot_amount("1.25", SlotKind.COUNT)
    assert isinstance(amount, Decimal)
    assert amount == Decimal("1.25")
