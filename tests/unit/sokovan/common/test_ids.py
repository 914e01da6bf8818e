"""Typed identifiers: fresh random UUIDs, one per call."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from sokovan.common.ids import new_deployment_id, new_kernel_id, new_route_id, new_session_id


@pytest.mark.parametrize(
    "factory", [new_session_id, new_kernel_id, new_deployment_id, new_route_id]
)
def test_new_ids_are_distinct_version_4_uuids(factory: Callable[[], uuid.UUID]) -> None:
    ids = {factory() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(isinstance(value, uuid.UUID) and value.version == 4 for value in ids)
