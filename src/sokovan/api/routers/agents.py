"""/v1/agents (administrators only): the agent registry, and taking agents out of placement."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from sokovan.api.deps import Admin, Context
from sokovan.api.schemas.agents import AgentResponse, SchedulableRequest
from sokovan.api.schemas.common import ERROR_RESPONSES, Name
from sokovan.common.ids import AgentId
from sokovan.common.status import AgentStatus

router = APIRouter(prefix="/v1/agents", tags=["agents"], responses=ERROR_RESPONSES)

AgentIdPath = Annotated[Name, Path(description="The agent's id.")]


@router.get("", summary="List agents")
async def list_agents(
    context: Context,
    _: Admin,
    scaling_group: Annotated[Name | None, Query()] = None,
    status: Annotated[list[AgentStatus] | None, Query(max_length=8)] = None,
) -> list[AgentResponse]:
    """Agents by id; `status` may repeat."""
    statuses = None if status is None else frozenset(status)
    agents = await context.agent_repository.list_agents(scaling_group, statuses)
    return [AgentResponse.of(agent) for agent in agents]


@router.post("/{agent_id}/schedulable", summary="Allow or stop new placements on an agent")
async def set_schedulable(
    agent_id: AgentIdPath, body: SchedulableRequest, context: Context, _: Admin
) -> AgentResponse:
    """Kernels already on the agent keep running either way."""
    await context.agent_repository.set_schedulable(AgentId(agent_id), body.schedulable)
    return AgentResponse.of(await context.agent_repository.get_agent(AgentId(agent_id)))
