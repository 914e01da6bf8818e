"""Random request bodies never make the API answer 5xx.

Bodies mix plausible fields (known names, slot maps, near-valid amounts) with arbitrary JSON,
including the NaN and Infinity literals Python's JSON reader accepts.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integration.api.api_world import ApiWorld, Caller
from sokovan.api.schemas.admin import ResourcePolicyCreateRequest
from sokovan.api.schemas.sessions import SessionCreateRequest

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=16,
)
amounts = st.one_of(
    st.integers(),
    st.floats(),
    st.decimals(allow_nan=False).map(str),
    st.sampled_from(["1", "0.5", "4g", "512MiB", "-1", "1e3", "", "1" * 40]),
    st.text(max_size=12),
)
slot_maps = st.dictionaries(
    st.sampled_from(["cpu", "mem", "cuda.device", "cuda.shares", "warp", ""]) | st.text(max_size=8),
    amounts,
    max_size=4,
)
plausible = {
    "image": st.sampled_from(["python:3.11", "ghost:1", ""]) | st.text(max_size=300),
    "architecture": st.sampled_from(["x86_64", "aarch64"]) | st.text(max_size=40),
    "resources": slot_maps,
    "total_resource_slots": slot_maps,
    "cluster_size": st.integers(-2, 70),
    "cluster_mode": st.sampled_from(["single-node", "multi-node", "x"]),
    "session_type": st.sampled_from(["interactive", "batch", "inference", "x"]),
    "priority": st.integers(-5, 105),
    "starts_at": st.datetimes().map(str) | st.text(max_size=30),
    "designated_agents": st.lists(st.sampled_from(["a1", "a2", "zz"]), max_size=3),
    "dependencies": st.lists(st.uuids().map(str) | st.text(max_size=10), max_size=3),
    "environ": st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=3),
    "max_pending_session_count": st.integers(),
    "max_session_lifetime": st.floats(),
}


def bodies_for(fields: list[str]) -> st.SearchStrategy[Any]:
    """Objects whose keys are mostly the model's fields, each plausible or arbitrary."""
    values = {name: plausible.get(name, json_values) | json_values for name in fields}
    shaped = st.fixed_dictionaries({}, optional=values)
    extra = st.dictionaries(st.text(max_size=12), json_values, max_size=2)
    merged = st.tuples(shaped, extra).map(lambda pair: {**pair[1], **pair[0]})
    return merged | json_values


async def _post_json(world: ApiWorld, path: str, body: Any, caller: Caller) -> httpx.Response:
    # Encoded here, not by httpx: its encoder refuses NaN and Infinity, which clients can send.
    headers = {**caller.headers, "content-type": "application/json"}
    return await world.client.post(path, content=json.dumps(body), headers=headers)


ROBUST = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@ROBUST
@given(body=bodies_for([*SessionCreateRequest.model_fields, "name"]))
async def test_random_session_submissions_never_cause_5xx(world: ApiWorld, body: Any) -> None:
    response = await _post_json(world, "/v1/sessions", body, world.alice)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert set(response.json()["error"]) == {"code", "message", "details"}


@ROBUST
@given(body=bodies_for([*ResourcePolicyCreateRequest.model_fields]))
async def test_random_policy_submissions_never_cause_5xx(world: ApiWorld, body: Any) -> None:
    response = await _post_json(world, "/v1/admin/resource-policies", body, world.admin)
    assert response.status_code < 500, response.text


@ROBUST
@given(raw=st.binary(max_size=200))
async def test_random_bytes_never_cause_5xx(world: ApiWorld, raw: bytes) -> None:
    response = await world.client.post(
        "/v1/sessions",
        content=raw,
        headers={**world.alice.headers, "content-type": "application/json"},
    )
    assert 400 <= response.status_code < 500, response.text
