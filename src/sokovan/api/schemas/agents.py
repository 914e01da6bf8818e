"""Request and response models of /v1/agents."""

from __future__ import annotations

from datetime import datetime

from pydantic import StrictBool

from sokovan.api.schemas.common import RequestModel, ResponseModel
from sokovan.common.status import AgentStatus
from sokovan.repositories.agent import AgentInfo


class AgentResponse(ResponseModel):
    id: str
    status: AgentStatus
    status_changed: datetime
    scaling_group: str
    schedulable: bool
    architecture: str
    available_slots: dict[str, str]
    occupied_slots: dict[str, str]
    container_count: int
    addr: str
    version: str
    first_contact: datetime
    last_heartbeat: datetime
    lost_at: datetime | None

    @classmethod
    def of(cls, agent: AgentInfo) -> AgentResponse:
        return cls(
            id=agent.agent_id,
            status=agent.status,
            status_changed=agent.status_changed,
            scaling_group=agent.scaling_group,
            schedulable=agent.schedulable,
            architecture=agent.architecture,
            available_slots=agent.available_slots.to_json(),
            occupied_slots=agent.occupied_slots.to_json(),
            container_count=agent.container_count,
            addr=agent.addr,
            version=agent.version,
            first_contact=agent.first_contact,
            last_heartbeat=agent.last_heartbeat,
            lost_at=agent.lost_at,
        )


class SchedulableRequest(RequestModel):
    schedulable: StrictBool
