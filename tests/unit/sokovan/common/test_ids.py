"""Typed identifiers: fresh time-ordered UUIDs, one per call, built without UUID.__init__."""

from __future__ import annotations

import copy
import pickle
import uuid
from collections.abc import Callable

import pytest

from sokovan.common.ids import (
    new_deployment_id,
    new_kernel_id,
    new_route_id,
    new_session_id,
    time_ordered_uuid,
    uuid_from_int,
)


@pytest.mark.parametrize(
    "factory", [new_session_id, new_kernel_id, new_deployment_id, new_route_id, time_ordered_uuid]
)
def test_new_ids_are_distinct_version_7_uuids(factory: Callable[[], uuid.UUID]) -> None:
    ids = {factory() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(isinstance(value, uuid.UUID) and value.version == 7 for value in ids)
    assert all(value.variant == uuid.RFC_4122 for value in ids)


def test_ids_carry_their_millisecond_and_sort_by_it(monkeypatch: pytest.MonkeyPatch) -> None:
    moments = iter([1_700_000_000_123_456_789, 1_700_000_000_124_000_000])
    monkeypatch.setattr("sokovan.common.ids.time.time_ns", lambda: next(moments))

    first, second = time_ordered_uuid(), time_ordered_uuid()

    assert first.int >> 80 == 1_700_000_000_123
    assert second.int >> 80 == 1_700_000_000_124
    assert first < second
    assert first.hex < second.hex  # the stored form sorts the same way


def test_the_random_part_varies_within_one_millisecond(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sokovan.common.ids.time.time_ns", lambda: 1_700_000_000_000_000_000)

    ids = {time_ordered_uuid() for _ in range(1000)}

    assert len(ids) == 1000
    assert {value.int >> 80 for value in ids} == {1_700_000_000_000}


@pytest.mark.parametrize("number", [0, 1, 2**64 + 5, 2**128 - 1])
def test_a_uuid_from_an_int_behaves_as_uuid_made_it(number: int) -> None:
    made = uuid_from_int(number)
    expected = uuid.UUID(int=number)

    assert made == expected
    assert hash(made) == hash(expected)
    assert (str(made), made.hex, made.bytes, made.is_safe) == (
        str(expected),
        expected.hex,
        expected.bytes,
        expected.is_safe,
    )
    assert pickle.loads(pickle.dumps(made)) == expected
    assert copy.deepcopy(made) == expected
    with pytest.raises(TypeError):
        made.int = 3  # type: ignore[misc]
