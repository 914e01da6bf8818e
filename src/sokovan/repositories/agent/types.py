"""Values the agent repository reads and writes: heartbeats, agent rows, outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sokovan.common.errors import InvalidInputError
from sokovan.common.ids import AgentId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.status import AgentStatus

#: Widths of the `agents` columns; longer values would be cut or refused by the database.
MAX_AGENT_ID_LENGTH = 64
MAX_INSTANCE_ID_LENGTH = 64


@dataclass(frozen=True, slots=True)
class AgentHeartbeat:
    """What an agent reports about itself on every heartbeat.

    Raises InvalidInputError on construction when an identifier is empty or too long.
    """

    agent_id: AgentId
    instance_id: str
    scaling_group: str
    architecture: str
    available_slots: ResourceSlot
    addr: str
    watcher_addr: str | None
    version: str

    def __post_init__(self) -> None:
        for name, value, limit in (
            ("agent_id", self.agent_id, MAX_AGENT_ID_LENGTH),
            ("instance_id", self.instance_id, MAX_INSTANCE_ID_LENGTH),
        ):
            if not value or len(value) > limit:
                raise InvalidInputError(
                    f"heartbeat {name} must be 1 to {limit} characters, got {value!r}"
                )
        if not self.addr:
            raise InvalidInputError(f"heartbeat of agent {self.agent_id!r} carries no address")


@dataclass(frozen=True, slots=True)
class AgentInfo:
    """An agent row, every column."""

    agent_id: AgentId
    instance_id: str
    status: AgentStatus
    status_changed: datetime
    scaling_group: str
    schedulable: bool
    architecture: str
    available_slots: ResourceSlot
    occupied_slots: ResourceSlot
    container_count: int
    addr: str
    watcher_addr: str | None
    version: str
    first_contact: datetime
    last_heartbeat: datetime
    lost_at: datetime | None


class HeartbeatOutcome(StrEnum):
    """What a heartbeat meant for the agent's row.

    When a LOST or TERMINATED agent returns under a new instance id, REVIVED wins: coming
    back into service is the bigger event for the scheduler.
    """

    REGISTERED = "registered"  #: first heartbeat of this agent id; the row was created
    UPDATED = "updated"  #: the same running process reported again
    REINCARNATED = "reincarnated"  #: same agent id, new instance id: the process restarted
    REVIVED = "revived"  #: the agent was LOST or TERMINATED and is ALIVE again
