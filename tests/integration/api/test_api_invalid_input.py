"""Every kind of bad input: a 4xx with the error shape, and not a single row written."""

from __future__ import annotations

from typing import Any

import pytest

from integration.api.api_world import ApiWorld

PYTHON = {"image": "python:3.11"}

BAD_SESSIONS: list[tuple[str, dict[str, Any], int, str]] = [
    ("negative amount", {"resources": {"cpu": "-1"}}, 400, "invalid-resource-value"),
    ("negative number", {"resources": {"cpu": -1}}, 400, "invalid-resource-value"),
    ("absurd amount", {"resources": {"cpu": "1000000000000001"}}, 400, "invalid-resource-value"),
    ("absurd bytes", {"resources": {"mem": "2p"}}, 400, "invalid-resource-value"),
    ("unknown slot", {"resources": {"quantum": "1"}}, 400, "unknown-slot-type"),
    ("unparsable amount", {"resources": {"mem": "lots"}}, 400, "invalid-resource-value"),
    ("fractional bytes", {"resources": {"mem": "1.5"}}, 400, "invalid-resource-value"),
    ("boolean amount", {"resources": {"cpu": True}}, 422, "invalid-request"),
    ("amount as object", {"resources": {"cpu": {"n": 1}}}, 422, "invalid-request"),
    ("resources as list", {"resources": ["cpu"]}, 422, "invalid-request"),
    ("missing image", {"image": None}, 422, "invalid-request"),
    ("image wrong type", {"image": 3}, 422, "invalid-request"),
    ("empty image", {"image": ""}, 422, "invalid-request"),
    ("NUL in image", {"image": "py\x00thon"}, 422, "invalid-request"),
    ("NUL in environ", {"environ": {"A": "b\x00"}}, 422, "invalid-request"),
    ("environ not strings", {"environ": {"A": 1}}, 422, "invalid-request"),
    ("unknown field", {"gpus": 2}, 422, "invalid-request"),
    ("cluster size zero", {"cluster_size": 0}, 422, "invalid-request"),
    ("cluster size huge", {"cluster_size": 10**12}, 422, "invalid-request"),
    ("cluster size text", {"cluster_size": "2"}, 422, "invalid-request"),
    ("unknown cluster mode", {"cluster_mode": "galaxy"}, 422, "invalid-request"),
    ("unknown session type", {"session_type": "eternal"}, 422, "invalid-request"),
    ("priority too high", {"priority": 101}, 422, "invalid-request"),
    ("priority float", {"priority": 1.5}, 422, "invalid-request"),
    ("naive starts_at", {"session_type": "batch", "starts_at": "2026-01-01T00:00:00"}, 422, ""),
    ("starts_at not batch", {"starts_at": "2026-01-01T00:00:00+00:00"}, 400, "session-spec"),
    ("bad dependency id", {"dependencies": ["not-a-uuid"]}, 422, "invalid-request"),
    (
        "unknown dependency",
        {"dependencies": ["00000000-0000-0000-0000-000000000000"]},
        404,
        "session-not-found",
    ),
    ("empty designated", {"designated_agents": []}, 422, "invalid-request"),
    ("long name", {"name": "n" * 129}, 422, "invalid-request"),
    ("blank name", {"name": "   "}, 400, "session-spec"),
    ("long scaling group", {"scaling_group": "g" * 65}, 422, "invalid-request"),
    ("unknown image", {"image": "ghost:1"}, 404, "session-reference"),
    ("unknown architecture", {"architecture": "sparc"}, 422, "never-fits"),
    ("unknown scaling group", {"scaling_group": "nowhere"}, 404, "session-reference"),
]


async def _unchanged(world: ApiWorld, request: Any) -> Any:
    before = await world.row_counts()
    response = await request
    assert await world.row_counts() == before
    assert 400 <= response.status_code < 500, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["message"]
    return response


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [pytest.param(fields, status, code, id=name) for name, fields, status, code in BAD_SESSIONS],
)
async def test_bad_session_fields_are_refused_and_nothing_is_written(
    world: ApiWorld, fields: dict[str, Any], status: int, code: str
) -> None:
    body = {key: value for key, value in {**PYTHON, **fields}.items() if value is not None}
    response = await _unchanged(
        world, world.client.post("/v1/sessions", json=body, headers=world.alice.headers)
    )
    assert response.status_code == status, response.text
    assert code in response.json()["error"]["code"]


@pytest.mark.parametrize(
    ("content", "headers", "status", "code"),
    [
        (b'{"image": "python:3.11"', {"content-type": "application/json"}, 400, "malformed-json"),
        (b"[1, 2]", {"content-type": "application/json"}, 422, "invalid-request"),
        (b'"text"', {"content-type": "application/json"}, 422, "invalid-request"),
        (b'{"image": "python:3.11"}', {"content-type": "text/plain"}, 422, "invalid-request"),
        (b"", {"content-type": "application/json"}, 422, "invalid-request"),
        (b'{"image": NaN}', {"content-type": "application/json"}, 422, "invalid-request"),
        (b"[" * 100_000, {"content-type": "application/json"}, 400, "bad-request"),
        (b"\xff\xfe", {"content-type": "application/json"}, 400, ""),
    ],
    ids=["truncated", "array", "string", "not-json-type", "empty", "nan", "deep", "binary"],
)
async def test_malformed_bodies_are_refused(
    world: ApiWorld, content: bytes, headers: dict[str, str], status: int, code: str
) -> None:
    response = await _unchanged(
        world,
        world.client.post(
            "/v1/sessions", content=content, headers={**world.alice.headers, **headers}
        ),
    )
    assert response.status_code == status, response.text
    assert code in response.json()["error"]["code"]


async def test_oversize_bodies_get_413_before_anything_is_read(world: ApiWorld) -> None:
    limit = world.context.config.max_body_bytes
    padding = "x" * limit
    declared = await _unchanged(
        world,
        world.client.post(
            "/v1/sessions", json={**PYTHON, "name": padding}, headers=world.alice.headers
        ),
    )

    async def chunks() -> Any:
        for _ in range(3):
            yield b"y" * (limit // 2)

    streamed = await _unchanged(
        world,
        world.client.post(
            "/v1/sessions",
            content=chunks(),
            headers={**world.alice.headers, "content-type": "application/json"},
        ),
    )

    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.json()["error"]["details"] == {"max_bytes": limit}


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/v1/admin/resource-policies", {"name": "p", "max_concurrent_sessions": -1}, 422),
        (
            "POST",
            "/v1/admin/resource-policies",
            {"name": "p", "max_pending_session_count": 2**40},
            422,
        ),
        ("POST", "/v1/admin/resource-policies", {"name": "p", "max_session_lifetime": 1e300}, 422),
        (
            "POST",
            "/v1/admin/resource-policies",
            {"name": "p", "total_resource_slots": {"cpu": "x"}},
            400,
        ),
        ("POST", "/v1/admin/resource-policies", {"name": "p\x00"}, 422),
        ("POST", "/v1/admin/domains", {"name": ""}, 422),
        ("POST", "/v1/admin/domains", {"name": " padded "}, 400),
        ("POST", "/v1/admin/groups", {"domain": "default", "name": "g", "extra": 1}, 422),
        (
            "POST",
            "/v1/admin/users",
            {
                "email": "no-at",
                "username": "u",
                "domain": "default",
                "group_id": "00000000-0000-0000-0000-000000000000",
            },
            400,
        ),
        ("POST", "/v1/admin/keypairs", {"user_id": "nope"}, 422),
        ("POST", "/v1/scaling-groups", {"name": "s", "max_container_count": -3}, 422),
        ("POST", "/v1/scaling-groups", {"name": "s", "scheduler": "random"}, 422),
        ("PATCH", "/v1/scaling-groups/default", {"description": None}, 422),
        ("PATCH", "/v1/scaling-groups/default", {"pending_timeout": -1}, 422),
        ("PATCH", "/v1/admin/users/not-a-uuid", {"is_active": False}, 422),
        ("PATCH", "/v1/admin/keypairs/" + "k" * 65, {"is_active": False}, 422),
    ],
)
async def test_bad_administration_input_is_refused_and_nothing_is_written(
    world: ApiWorld, method: str, path: str, body: dict[str, Any], status: int
) -> None:
    response = await _unchanged(
        world, world.client.request(method, path, json=body, headers=world.admin.headers)
    )
    assert response.status_code == status, response.text


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": "many"},
        {"offset": -1},
        {"offset": 10**20},
        {"status": "NAPPING"},
        {"name": "x\x00"},
        {"cursor": "%%%"},
    ],
)
async def test_bad_list_parameters_are_4xx(world: ApiWorld, params: dict[str, Any]) -> None:
    await _unchanged(
        world, world.client.get("/v1/sessions", params=params, headers=world.alice.headers)
    )


async def test_bad_path_ids_are_4xx(world: ApiWorld) -> None:
    for path in ("/v1/sessions/not-a-uuid", "/v1/sessions/123/wait?until=RUNNING", "/v1/nowhere"):
        response = await _unchanged(world, world.client.get(path, headers=world.alice.headers))
        assert response.status_code in (404, 422)
    wrong_method = await _unchanged(
        world, world.client.delete("/v1/sessions", headers=world.alice.headers)
    )
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method-not-allowed"
