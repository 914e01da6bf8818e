"""The RPC app through httpx.ASGITransport: token, bad input, answers for unknown kernels."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import httpx
import pytest
from agent_testkit import TOKEN, RecordingSink, create_request, make_service

from sokovan.agent.config import SimulatedTimings
from sokovan.agent.ports import PortPool
from sokovan.agent.protocol import AGENT_TOKEN_HEADER, KernelEventKind, RpcMethod
from sokovan.agent.runtime.simulated import SimulatedRuntime
from sokovan.agent.server import create_app
from sokovan.agent.service import AgentService


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
async def service(sink: RecordingSink) -> AsyncIterator[AgentService]:
    runtime = SimulatedRuntime(SimulatedTimings(), preloaded_images=["sim"])
    service = make_service(runtime, sink)
    yield service
    await service.close()


@pytest.fixture
async def client(service: AgentService) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(service, TOKEN))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://agent", headers={AGENT_TOKEN_HEADER: TOKEN}
    ) as client:
        yield client


def _url(method: RpcMethod) -> str:
    return f"/rpc/{method}"


@pytest.mark.parametrize("headers", [{}, {AGENT_TOKEN_HEADER: "wrong"}, {AGENT_TOKEN_HEADER: ""}])
@pytest.mark.parametrize("method", list(RpcMethod))
async def test_every_method_refuses_a_missing_or_wrong_token(
    service: AgentService, method: RpcMethod, headers: dict[str, str]
) -> None:
    transport = httpx.ASGITransport(app=create_app(service, TOKEN))
    async with httpx.AsyncClient(transport=transport, base_url="http://agent") as anonymous:
        verb = "GET" if method is RpcMethod.INFO else "POST"
        response = await anonymous.request(verb, _url(method), headers=headers, content=b"{")

    assert response.status_code == 401
    assert response.json() == {
        "error": "unauthorized",
        "detail": f"missing or wrong {AGENT_TOKEN_HEADER} header",
    }


@pytest.mark.parametrize(
    ("method", "body"),
    [
        (RpcMethod.CREATE_KERNELS, {"session_id": "s"}),
        (RpcMethod.CREATE_KERNELS, {"session_id": "s", "kernel_configs": [], "cluster_info": {}}),
        (RpcMethod.DESTROY_KERNEL, {"kernel_id": 5}),
        (RpcMethod.CHECK_AND_PULL, {"images": [{"name": "", "architecture": "x86_64"}]}),
        (RpcMethod.CHECK_RUNNING, {"kernel_id": "k", "unexpected": True}),
        (RpcMethod.CREATE_LOCAL_NETWORK, {}),
        (RpcMethod.KERNEL_LOGS, {"kernel_id": "k", "max_bytes": 0}),
    ],
)
async def test_malformed_bodies_are_refused_with_422_and_the_offending_field(
    client: httpx.AsyncClient, sink: RecordingSink, method: RpcMethod, body: dict[str, object]
) -> None:
    response = await client.post(_url(method), json=body)

    assert response.status_code == 422
    assert response.json()["detail"]
    assert sink.events == []  # nothing was started


async def test_a_body_that_is_not_json_is_refused_with_422(client: httpx.AsyncClient) -> None:
    response = await client.post(_url(RpcMethod.CHECK_RUNNING), content=b"{not json")
    assert response.status_code == 422


async def test_unknown_kernels_get_ordinary_answers(client: httpx.AsyncClient) -> None:
    running = await client.post(_url(RpcMethod.CHECK_RUNNING), json={"kernel_id": "nope"})
    destroyed = await client.post(
        _url(RpcMethod.DESTROY_KERNEL), json={"kernel_id": "nope", "session_id": "s"}
    )
    logs = await client.post(_url(RpcMethod.KERNEL_LOGS), json={"kernel_id": "nope"})

    assert (running.status_code, running.json()) == (200, {"running": None})
    assert (destroyed.status_code, destroyed.json()) == (200, {"known": False})
    assert logs.status_code == 200
    assert logs.json() == {"kernel_id": "nope", "stdout": "", "stderr": "", "known": False}


async def test_a_kernel_created_over_http_reports_its_events(
    client: httpx.AsyncClient, sink: RecordingSink
) -> None:
    request = create_request("k1")
    created = await client.post(
        _url(RpcMethod.CREATE_KERNELS), json=request.model_dump(mode="json")
    )
    await sink.wait_for(KernelEventKind.KERNEL_STARTED, "k1")
    running = await client.post(_url(RpcMethod.CHECK_RUNNING), json={"kernel_id": "k1"})
    destroyed = await client.post(
        _url(RpcMethod.DESTROY_KERNEL),
        json={"kernel_id": "k1", "session_id": "session-1", "reason": "test"},
    )

    assert created.json() == {"accepted": ["k1"]}
    assert running.json() == {"running": True}
    assert destroyed.json() == {"known": True}
    assert sink.of_kind(KernelEventKind.KERNEL_TERMINATED)[0].reason == "test"


async def test_a_batch_of_creations_is_answered_request_by_request(
    client: httpx.AsyncClient, sink: RecordingSink
) -> None:
    requests = [create_request("k1"), create_request("k2", "k3")]
    created = await client.post(
        _url(RpcMethod.CREATE_KERNELS_BATCH),
        json={"requests": [request.model_dump(mode="json") for request in requests]},
    )
    for kernel_id in ("k1", "k2", "k3"):
        await sink.wait_for(KernelEventKind.KERNEL_STARTED, kernel_id)

    assert created.json() == {"results": [{"accepted": ["k1"]}, {"accepted": ["k2", "k3"]}]}


async def test_an_empty_batch_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(_url(RpcMethod.CREATE_KERNELS_BATCH), json={"requests": []})

    assert response.status_code == 422


async def test_check_and_pull_answers_per_image(client: httpx.AsyncClient) -> None:
    response = await client.post(
        _url(RpcMethod.CHECK_AND_PULL),
        json={
            "images": [
                {"name": "sim", "architecture": "x86_64"},
                {"name": "arm", "architecture": "aarch64"},
            ]
        },
    )

    results = response.json()["results"]
    assert [(r["name"], r["status"]) for r in results] == [("sim", "ready"), ("arm", "failed")]
    assert "aarch64" in results[1]["detail"]


async def test_networks_ports_and_info(client: httpx.AsyncClient) -> None:
    first = await client.post(_url(RpcMethod.CREATE_LOCAL_NETWORK), json={"name": "net-1"})
    again = await client.post(_url(RpcMethod.CREATE_LOCAL_NETWORK), json={"name": "net-1"})
    port = await client.post(_url(RpcMethod.ASSIGN_PORT))
    info = await client.get(_url(RpcMethod.INFO))

    assert first.json() == {"name": "net-1", "created": True}
    assert again.json() == {"name": "net-1", "created": False}
    assert 41000 <= port.json()["port"] <= 41099
    assert info.json()["networks"] == ["net-1"]
    assert info.json()["agent_id"] == "agent-1"
    assert info.json()["runtime"] == "simulated"


async def test_agent_failures_carry_their_status_and_an_error_body(sink: RecordingSink) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        runtime = SimulatedRuntime(SimulatedTimings())
        service = make_service(runtime, sink, ports=PortPool(port, port, host="127.0.0.1"))
        transport = httpx.ASGITransport(app=create_app(service, TOKEN))
        async with httpx.AsyncClient(transport=transport, base_url="http://agent") as client:
            response = await client.post(
                _url(RpcMethod.ASSIGN_PORT), headers={AGENT_TOKEN_HEADER: TOKEN}
            )

    assert response.status_code == 503
    assert response.json() == {
        "error": "PortsExhaustedError",
        "detail": f"no free port left in {port}-{port}",
    }
