"""Typed identifiers: fresh random UUIDs, one per call, built without UUID.__init__."""

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
    random_uuid,
    uuid_from_int,
)


@pytest.mark.parametrize(
    "factory", [new_session_id, new_kernel_id, new_deployment_id, new_route_id, random_uuid]
)
def test_new_ids_are_distinct_version_4_uuids(factory: Callable[[], uuid.UUID]) -> None:
    ids = {factory() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(isinstance(value, uuid.UUID) and value.version == 4 for value in ids)
    assert all(value.variant == uuid.RFC_4122 for value in ids)


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
