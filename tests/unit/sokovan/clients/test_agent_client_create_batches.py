"""Concurrent create_kernels calls to one agent travel as one create_kernels_batch call."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from sokovan.agent.protocol import (
    ClusterInfo,
    CreateKernelsRequest,
    CreateKernelsResponse,
    ImageSpec,
    KernelCreationConfig,
)
from sokovan.clients import AgentClientPool, AgentRpcError
from sokovan.clients.agent_client import AgentClient
from sokovan.common.ids import AgentId

pytestmark = pytest.mark.timeout(10)

TOKEN = "s3cret"
A1 = AgentId("a1")
SINGLE = "/rpc/create_kernels"
BATCH = "/rpc/create_kernels_batch"

Respond = Callable[[str, dict[str, object]], Awaitable[httpx.Response]]


class Addresses:
    async def get_agent_addresses(self, agent_ids: object) -> dict[AgentId, str]:
        return {A1: "http://agent-1:6001"}


def creation(session: int) -> CreateKernelsRequest:
    return CreateKernelsRequest(
        session_id=f"s{session}",
        kernel_configs=[
            KernelCreationConfig(
                kernel_id=f"k{session}",
                image=ImageSpec(name="py", architecture="x86_64"),
                cluster_role="main",
                cluster_idx=0,
                cluster_hostname="main1",
                resource_slots={"cpu": "1"},
            )
        ],
        cluster_info=ClusterInfo(mode="single-node", size=1),
    )


def accepted_all(request: dict[str, object]) -> dict[str, object]:
    configs = request["kernel_configs"]
    assert isinstance(configs, list)
    return {"accepted": [config["kernel_id"] for config in configs]}


async def agent_answers(path: str, body: dict[str, object]) -> httpx.Response:
    """An agent that accepts every kernel, alone or in batches."""
    if path == SINGLE:
        return httpx.Response(200, json=accepted_all(body))
    requests = body["requests"]
    assert isinstance(requests, list)
    return httpx.Response(200, json={"results": [accepted_all(r) for r in requests]})


class Agent:
    """Records each call; holds the first one until released, so that others queue."""

    def __init__(self, respond: Respond = agent_answers) -> None:
        self.calls: list[tuple[str, dict[str, object]]] = []
        self.first_arrived = asyncio.Event()
        self.release = asyncio.Event()
        self._respond = respond

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.calls.append((request.url.path, body))
        if len(self.calls) == 1:
            self.first_arrived.set()
            await self.release.wait()
        return await self._respond(request.url.path, body)

    def sessions_per_call(self) -> list[tuple[str, list[str]]]:
        def sessions(path: str, body: dict[str, object]) -> list[str]:
            if path == SINGLE:
                return [str(body["session_id"])]
            requests = body["requests"]
            assert isinstance(requests, list)
            return [r["session_id"] for r in requests]

        return [(path, sessions(path, body)) for path, body in self.calls]


@pytest.fixture
async def client_of() -> AsyncIterator[Callable[[Agent], Awaitable[AgentClient]]]:
    pools: list[AgentClientPool] = []

    async def open_client(agent: Agent) -> AgentClient:
        pool = AgentClientPool(TOKEN, resolver=Addresses(), transport=httpx.MockTransport(agent))
        pools.append(pool)
        async with pool.acquire(A1) as client:
            return client

    yield open_client
    for pool in pools:
        await pool.aclose()


async def queue_behind_the_first(
    agent: Agent, client: AgentClient, count: int
) -> list[asyncio.Task[CreateKernelsResponse]]:
    """Start `count` creations: the first reaches the agent, the rest queue behind it."""
    first = asyncio.create_task(client.create_kernels(creation(0)))
    await agent.first_arrived.wait()
    rest = [asyncio.create_task(client.create_kernels(creation(i))) for i in range(1, count)]
    await asyncio.sleep(0)  # every one of them is now waiting for its batch
    agent.release.set()
    return [first, *rest]


async def test_creations_that_queue_behind_a_call_leave_as_one_batch(
    client_of: Callable[[Agent], Awaitable[AgentClient]],
) -> None:
    agent = Agent()
    client = await client_of(agent)

    answers = await asyncio.gather(*await queue_behind_the_first(agent, client, 5))

    assert [answer.accepted for answer in answers] == [[f"k{i}"] for i in range(5)]
    assert agent.sessions_per_call() == [(SINGLE, ["s0"]), (BATCH, ["s1", "s2", "s3", "s4"])]


async def test_the_same_agent_gets_the_same_client_so_its_creations_batch() -> None:
    pool = AgentClientPool(TOKEN, resolver=Addresses(), transport=httpx.MockTransport(Agent()))
    async with pool, pool.acquire(A1) as first, pool.acquire(A1) as second:
        assert first is second


async def test_a_batch_the_agent_refuses_is_sent_again_one_call_each(
    client_of: Callable[[Agent], Awaitable[AgentClient]],
) -> None:
    async def without_batches(path: str, body: dict[str, object]) -> httpx.Response:
        if path == BATCH:  # an agent that predates the batch call
            return httpx.Response(404, json={"detail": "Not Found"})
        if body["session_id"] == "s2":
            return httpx.Response(400, json={"error": "InvalidInputError", "detail": "bad s2"})
        return await agent_answers(path, body)

    agent = Agent(without_batches)
    client = await client_of(agent)

    outcomes = await asyncio.gather(
        *await queue_behind_the_first(agent, client, 4), return_exceptions=True
    )

    assert [o.accepted for o in outcomes if isinstance(o, CreateKernelsResponse)] == [
        ["k0"],
        ["k1"],
        ["k3"],
    ]
    failure = outcomes[2]
    assert isinstance(failure, AgentRpcError)
    assert failure.status_code == 400
    assert "HTTP 400: InvalidInputError: bad s2" in str(failure)
    assert [path for path, _ in agent.sessions_per_call()] == [SINGLE, BATCH, *[SINGLE] * 3]


async def test_an_unreachable_agent_fails_every_creation_of_the_batch_at_once(
    client_of: Callable[[Agent], Awaitable[AgentClient]],
) -> None:
    async def gone(path: str, body: dict[str, object]) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    agent = Agent(gone)
    client = await client_of(agent)

    outcomes = await asyncio.gather(
        *await queue_behind_the_first(agent, client, 3), return_exceptions=True
    )

    assert all(isinstance(o, AgentRpcError) and o.unreachable for o in outcomes)
    assert [path for path, _ in agent.sessions_per_call()] == [SINGLE, BATCH]


async def test_an_answer_with_the_wrong_number_of_results_fails_the_batch(
    client_of: Callable[[Agent], Awaitable[AgentClient]],
) -> None:
    async def short(path: str, body: dict[str, object]) -> httpx.Response:
        if path == BATCH:
            return httpx.Response(200, json={"results": [{"accepted": ["k1"]}]})
        return await agent_answers(path, body)

    agent = Agent(short)
    client = await client_of(agent)

    outcomes = await asyncio.gather(
        *await queue_behind_the_first(agent, client, 3), return_exceptions=True
    )

    assert isinstance(outcomes[0], CreateKernelsResponse)
    for failure in outcomes[1:]:
        assert isinstance(failure, AgentRpcError)
        assert "malformed response: 1 results for 2" in str(failure)
