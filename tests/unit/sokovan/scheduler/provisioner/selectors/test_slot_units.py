"""SlotUnits: exact integer images of amounts, which order exactly as the amounts do."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sokovan.scheduler.provisioner.selectors.units import FinerThanUnit, SlotUnits

# Up to six fractional digits and values far beyond what a float holds exactly.
amounts = st.decimals(
    min_value=Decimal("-1e30"), max_value=Decimal("1e30"), places=6, allow_nan=False
)


@settings(max_examples=200, deadline=None)
@given(covered=st.lists(amounts, min_size=1, max_size=8), needs=st.lists(amounts, max_size=8))
def test_images_order_and_bound_exactly_like_the_amounts(
    covered: list[Decimal], needs: list[Decimal]
) -> None:
    units = SlotUnits()
    for amount in covered:
        units.cover("cpu", amount)
    images = {amount: units.of("cpu", amount) for amount in covered}
    for a in covered:
        for b in covered:
            assert (a < b) == (images[a] < images[b])
            assert (a == b) == (images[a] == images[b])
        for need in needs:
            assert (a >= need) == (images[a] >= units.at_least("cpu", need))


def test_a_finer_amount_is_refused_until_covered() -> None:
    units = SlotUnits()
    assert not units.cover("cpu", Decimal(2))  # whole numbers need no finer unit
    assert units.of("cpu", Decimal(2)) == 2
    with pytest.raises(FinerThanUnit) as refused:
        units.of("cpu", Decimal("0.25"))
    assert (refused.value.slot, refused.value.amount) == ("cpu", Decimal("0.25"))

    assert units.cover("cpu", Decimal("0.25"))  # the unit becomes 0.01
    assert units.of("cpu", Decimal(2)) == 200
    assert units.of("cpu", Decimal("0.25")) == 25
    assert not units.cover("cpu", Decimal("0.5"))  # 50 units already
    assert units.of("mem", Decimal(2)) == 2  # every slot has its own unit


def test_at_least_rounds_a_finer_need_up() -> None:
    units = SlotUnits()
    units.cover("cpu", Decimal("0.5"))  # unit 0.1
    assert units.at_least("cpu", Decimal("0.25")) == 3  # 0.3 is the least whole ≥ 0.25
    assert units.at_least("cpu", Decimal("-0.25")) == -2
    assert units.at_least("cpu", Decimal("1.5")) == 15
