"""build_manager: the agent transport it is given carries every call to the agents."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.agent.protocol import AGENT_TOKEN_HEADER
from sokovan.common.ids import AgentId
from sokovan.config import ManagerConfig
from sokovan.manager.wiring import build_manager
from support.factories import add_agent, add_scaling_group

TOKEN = "wiring-test-token"


async def test_calls_to_agents_go_through_the_given_transport(db_engine: AsyncEngine) -> None:
    await add_scaling_group(db_engine)
    await add_agent(db_engine, "a1")
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"name": "net-1", "created": True})

    manager = build_manager(
        ManagerConfig(),
        db_engine,
        agent_token=TOKEN,
        agent_transport=httpx.MockTransport(answer),
    )
    try:
        async with asyncio.timeout(10):
            async with manager.agent_clients.acquire(AgentId("a1")) as agent:
                await agent.create_local_network("net-1")
    finally:
        await manager.agent_clients.aclose()
    [request] = seen
    assert request.url.path.endswith("create_local_network")
    assert request.headers[AGENT_TOKEN_HEADER] == TOKEN
