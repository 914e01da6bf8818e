"""AgentClientPool over httpx.MockTransport, and once over a FastAPI fake agent (ASGI)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping

import httpx
import pytest
from fastapi import FastAPI, Header, HTTPException

from sokovan.agent.protocol import (
    AGENT_TOKEN_HEADER,
    ClusterInfo,
    CreateKernelsRequest,
    CreateKernelsResponse,
    DestroyKernelRequest,
    ImagePullStatus,
    ImageSpec,
    KernelCreationConfig,
    RpcMethod,
)
from sokovan.clients import AgentClientPool, AgentRpcError, AgentRpcTimeouts
from sokovan.common.errors import AgentError
from sokovan.common.ids import AgentId, KernelId

TOKEN = "s3cret"
A1 = AgentId("a1")
KID = KernelId(uuid.UUID(int=7))

Handler = Callable[[httpx.Request], Awaitable[httpx.Response]]


class Addresses:
    def __init__(self, addresses: Mapping[str, str]) -> None:
        self.addresses = {AgentId(k): v for k, v in addresses.items()}
        self.asked: list[list[AgentId]] = []

    async def get_agent_addresses(self, agent_ids: Collection[AgentId]) -> dict[AgentId, str]:
        self.asked.append(list(agent_ids))
        return {a: self.addresses[a] for a in agent_ids if a in self.addresses}


class Recorder:
    """A MockTransport handler that records requests and answers with `respond`."""

    def __init__(self, respond: Handler) -> None:
        self.requests: list[httpx.Request] = []
        self._respond = respond

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self._respond(request)


def answer(body: object, status: int = 200) -> Handler:
    async def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body)

    return respond


@pytest.fixture
def resolver() -> Addresses:
    return Addresses({"a1": "http://agent-1:6001/"})


async def open_pool(
    handler: Handler, resolver: Addresses, timeouts: AgentRpcTimeouts | None = None, **kw: int
) -> AgentClientPool:
    return AgentClientPool(
        TOKEN, timeouts, resolver=resolver, transport=httpx.MockTransport(handler), **kw
    )


@pytest.fixture
async def pools() -> AsyncIterator[list[AgentClientPool]]:
    opened: list[AgentClientPool] = []
    yield opened
    for pool in opened:
        await pool.aclose()


async def test_calls_carry_the_token_and_go_to_the_resolved_address(
    resolver: Addresses, pools: list[AgentClientPool]
) -> None:
    body = {"results": [{"name": "py", "architecture": "x86_64", "status": "pulling"}]}
    recorder = Recorder(answer(body))
    pools.append(pool := await open_pool(recorder, resolver))

    async with pool.acquire(A1) as agent:
        response = await agent.check_and_pull([ImageSpec(name="py", architecture="x86_64")])

    assert response.results[0].status is ImagePullStatus.PULLING
    (request,) = recorder.requests
    assert request.method == "POST"
    assert str(request.url) == "http://agent-1:6001/rpc/check_and_pull"
    assert request.headers[AGENT_TOKEN_HEADER] == TOKEN
    assert json.loads(request.content) == {
        "images": [{"name": "py", "architecture": "x86_64", "environment": {}}]
    }
    assert resolver.asked == [[A1]]


async def test_every_rpc_uses_its_method_path(
    resolver: Addresses, pools: list[AgentClientPool]
) -> None:
    answers = {
        "/rpc/check_running": {"running": False},
        "/rpc/destroy_kernel": {"known": True},
        "/rpc/assign_port": {"port": 30001},
        "/rpc/create_local_network": {"name": "n", "created": False},
        "/rpc/kernel_logs": {"kernel_id": str(KID), "stdout": "out", "stderr": ""},
    }

    async def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=answers[request.url.path])

    recorder = Recorder(respond)
    pools.append(pool := await open_pool(recorder, resolver))
    async with pool.acquire(A1) as agent:
        assert await agent.check_running(KID) is False
        destroy = DestroyKernelRequest(kernel_id=str(KID), session_id=str(KID))
        assert (await agent.destroy_kernel(destroy)).known is True
        assert await agent.assign_port() == 30001
        assert (await agent.create_local_network("n")).created is False
        assert (await agent.kernel_logs(KID, max_bytes=10)).stdout == "out"

    assert [(r.method, r.url.path) for r in recorder.requests] == [
        ("POST", path) for path in answers
    ]
    assign_port = recorder.requests[2]
    assert assign_port.content == b""


async def test_info_is_a_get(resolver: Addresses, pools: list[AgentClientPool]) -> None:
    info = {
        "agent_id": "a1",
        "instance_id": "i-1",
        "scaling_group": "default",
        "architecture": "x86_64",
        "runtime": "process",
        "version": "0.1.0",
        "available_slots": {"cpu": "4"},
        "images": [],
        "running_kernel_ids": [],
        "networks": [],
    }
    recorder = Recorder(answer(info))
    pools.append(pool := await open_pool(recorder, resolver))
    async with pool.acquire(A1) as agent:
        assert (await agent.info()).instance_id == "i-1"
    assert recorder.requests[0].method == "GET"
    assert recorder.requests[0].url.path == "/rpc/info"


async def test_unknown_agent_fails_on_acquire(
    resolver: Addresses, pools: list[AgentClientPool]
) -> None:
    pools.append(pool := await open_pool(answer({}), resolver))
    with pytest.raises(AgentRpcError, match=r"'ghost'.*not registered") as caught:
        async with pool.acquire(AgentId("ghost")):
            pass
    assert caught.value.unreachable is True


async def test_transport_timeout_becomes_agent_error(
    resolver: Addresses, pools: list[AgentClientPool]
) -> None:
    async def respond(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    pools.append(pool := await open_pool(respond, resolver))
    with pytest.raises(AgentRpcError, match="'a1': check_running failed: no answer within 5 s"):
        async with pool.acquire(A1) as agent:
            await agent.check_running(KID)


async def test_a_slow_agent_is_cut_off_at_the_call_timeout(
    resolver: Addresses, pools: list[AgentClientPool]
) -> None:
    async def respond(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(10)
        return httpx.Response(200, json={"running": True})

    timeouts = AgentRpcTimeouts(check_running=0.05)
    pools.append(pool := await open_pool(respond, resolver, timeouts))
    with pytest.raises(AgentError, match=r"no answer within 0\.05 s") as caught:
        async with pool.acquire(A1) as agent:
            await agent.check_running(KID)
    assert isinstance(caught.value, AgentRpcError)
    assert caught.value.unreachable


async def test_connection_refused_names_the_agent_and_address(
    resolver: Addresses, pools: list[AgentClientPool]
) -> None:
    async def respond(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    pools.append(pool := await open_pool(respond, resolver))
    with pytest.raises(AgentRpcError) as caught:
        async with pool.acquire(A1) as agent:
            await agent.assign_port()
    error = caught.value
    assert error.agent_id == A1
    assert error.method == "assign_port"
    assert error.unreachable
    assert "cannot reach http://agent-1:6001/: connection refused" in str(error)


@pytest.mark.parametrize(
    ("status", "body", "detail"),
    [
        (
            401,
            {"error": "unauthorized", "detail": "bad token"},
            "HTTP 401: unauthorized: bad token",
        ),
        (503, {"error": "PortsExhaustedError", "detail": "no port"}, "HTTP 503: PortsExhausted"),
        (422, {"detail": [{"loc": ["body", "kernel_id"]}]}, 'HTTP 422: [{"loc": ["body", "k'),
        (404, ["unexpected"], 'HTTP 404: ["unexpected"]'),
    ],
)
async def test_error_answers_become_agent_errors_with_their_detail(
    resolver: Addresses, pools: list[AgentClientPool], status: int, body: object, detail: str
) -> None:
    pools.append(pool := await open_pool(answer(body, status), resolver))
    with pytest.raises(AgentRpcError) as caught:
        async with pool.acquire(A1) as agent:
            await agent.check_running(KID)
    assert detail in str(caught.value)
    assert caught.value.status_code == status
    assert caught.value.unreachable is False


async def test_a_non_json_error_body_is_quoted_as_text(
    resolver: Addresses, pools: list[AgentClientPool]
) -> None:
    async def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, text="Internal Server Error")

    pools.append(pool := await open_pool(respond, resolver))
    with pytest.raises(AgentRpcError, match="HTTP 500: Internal Server Error"):
        async with pool.acquire(A1) as agent:
            await agent.check_running(KID)


async def test_a_malformed_success_body_is_an_agent_error(
    resolver: Addresses, pools: list[AgentClientPool]
) -> None:
    pools.append(pool := await open_pool(answer({"running": "maybe"}), resolver))
    with pytest.raises(AgentRpcError, match=r"malformed response: running: "):
        async with pool.acquire(A1) as agent:
            await agent.check_running(KID)


async def test_calls_to_one_agent_are_bounded(
    resolver: Addresses, pools: list[AgentClientPool]
) -> None:
    in_flight = peak = 0

    async def respond(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return httpx.Response(200, json={"running": True})

    pools.append(pool := await open_pool(respond, resolver, max_calls_per_agent=2))
    async with pool.acquire(A1) as agent:
        results = await asyncio.gather(*(agent.check_running(KID) for _ in range(6)))

    assert results == [True] * 6
    assert peak == 2


def test_every_rpc_has_a_timeout() -> None:
    timeouts = AgentRpcTimeouts()
    assert all(timeouts.seconds(method) > 0 for method in RpcMethod)


def test_timeouts_must_be_positive() -> None:
    with pytest.raises(ValueError, match="destroy_kernel must be positive"):
        AgentRpcTimeouts(destroy_kernel=0)


def fake_agent_app(accepted: list[CreateKernelsRequest]) -> FastAPI:
    """A tiny agent speaking the protocol models, as the real daemon does."""
    app = FastAPI()

    @app.post("/rpc/create_kernels")
    async def create_kernels(
        request: CreateKernelsRequest,
        token: str | None = Header(default=None, alias=AGENT_TOKEN_HEADER),
    ) -> CreateKernelsResponse:
        if token != TOKEN:
            raise HTTPException(401, "bad token")
        accepted.append(request)
        return CreateKernelsResponse(accepted=[c.kernel_id for c in request.kernel_configs])

    return app


async def test_round_trip_through_a_fastapi_fake_agent(resolver: Addresses) -> None:
    accepted: list[CreateKernelsRequest] = []
    transport = httpx.ASGITransport(app=fake_agent_app(accepted))
    request = CreateKernelsRequest(
        session_id=str(KID),
        kernel_configs=[
            KernelCreationConfig(
                kernel_id=str(KID),
                image=ImageSpec(name="py", architecture="x86_64"),
                cluster_role="main",
                cluster_idx=1,
                cluster_hostname="main1",
                resource_slots={"cpu": "1"},
            )
        ],
        cluster_info=ClusterInfo(mode="single-node", size=1),
    )
    async with AgentClientPool(TOKEN, resolver=resolver, transport=transport) as pool:
        async with pool.acquire(A1) as agent:
            response = await agent.create_kernels(request)
        wrong = AgentClientPool("wrong", resolver=resolver, transport=transport)
        async with wrong, wrong.acquire(A1) as agent:
            with pytest.raises(AgentRpcError, match="HTTP 401: bad token"):
                await agent.create_kernels(request)

    assert response.accepted == [str(KID)]
    assert accepted == [request]


async def test_concurrent_acquires_share_one_address_query(
    pools: list[AgentClientPool],
) -> None:
    resolver = Addresses({"a1": "http://agent-1:6001/", "a2": "http://agent-2:6001/"})
    pools.append(pool := await open_pool(answer({}), resolver))

    async def address_of(agent_id: AgentId) -> str:
        async with pool.acquire(agent_id) as agent:
            return agent.addr

    async with asyncio.timeout(5):
        found = await asyncio.gather(*(address_of(AgentId(a)) for a in ("a1", "a2", "a1")))
        assert found == ["http://agent-1:6001/", "http://agent-2:6001/", "http://agent-1:6001/"]
        assert [sorted(asked) for asked in resolver.asked] == [["a1", "a2"]]
        # A later call reads the address again: an agent may have moved meanwhile.
        resolver.addresses["a1"] = "http://agent-1:7001/"
        assert await address_of(AgentId("a1")) == "http://agent-1:7001/"
