"""Request and response models of /v1/sessions."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, Field, StrictInt, StrictStr

from sokovan.api.schemas.common import (
    LongName,
    Name,
    NoNul,
    RequestModel,
    ResponseModel,
    SlotRequest,
)
from sokovan.common.scheduling import (
    SESSION_PRIORITY_DEFAULT,
    SESSION_PRIORITY_MAX,
    SESSION_PRIORITY_MIN,
    ClusterMode,
    SchedulingResult,
    SessionType,
)
from sokovan.common.status import KernelStatus, SessionResult, SessionStatus
from sokovan.repositories.scheduler.types import KernelInfo, SchedulingHistoryRecord, SessionInfo

MAX_CLUSTER_SIZE = 64
Architecture = Annotated[StrictStr, Field(min_length=1, max_length=32), NoNul]
Command = Annotated[StrictStr, Field(min_length=1, max_length=65536), NoNul]
EnvKey = Annotated[StrictStr, Field(min_length=1, max_length=256), NoNul]
EnvValue = Annotated[StrictStr, Field(max_length=65536), NoNul]
CreationId = Annotated[StrictStr, Field(min_length=1, max_length=64), NoNul]
SessionName = Annotated[StrictStr, Field(min_length=1, max_length=128), NoNul]


class SessionCreateRequest(RequestModel):
    """A session: `cluster_size` kernels, each running `image` with `resources`."""

    image: LongName = Field(description="A registered image name, e.g. 'python:3.11'.")
    architecture: Architecture = "x86_64"
    command: Command | None = Field(None, description="Run this instead of the image default.")
    resources: SlotRequest = Field(
        default_factory=dict,
        description="Per kernel: slot → amount, e.g. {'cpu': '1', 'mem': '512m'}.",
    )
    cluster_size: Annotated[StrictInt, Field(ge=1, le=MAX_CLUSTER_SIZE)] = 1
    cluster_mode: ClusterMode = ClusterMode.SINGLE_NODE
    session_type: SessionType = SessionType.INTERACTIVE
    priority: Annotated[StrictInt, Field(ge=SESSION_PRIORITY_MIN, le=SESSION_PRIORITY_MAX)] = (
        SESSION_PRIORITY_DEFAULT
    )
    starts_at: AwareDatetime | None = Field(None, description="Batch sessions only.")
    designated_agents: Annotated[list[Name], Field(min_length=1, max_length=256)] | None = None
    dependencies: Annotated[list[uuid.UUID], Field(max_length=256)] = Field(
        default_factory=list, description="Sessions that must finish successfully first."
    )
    scaling_group: Name | None = Field(None, description="Defaults to the configured one.")
    group: Name | None = Field(
        None, description="A group of yours, by name; needed only if you are in several."
    )
    environ: Annotated[dict[EnvKey, EnvValue], Field(max_length=256)] = Field(default_factory=dict)
    name: SessionName | None = None
    creation_id: CreationId | None = Field(None, description="Your token, echoed in events.")


class KernelResponse(ResponseModel):
    id: uuid.UUID
    cluster_role: str
    cluster_idx: int
    cluster_hostname: str
    image: str
    architecture: str
    agent_id: str | None
    status: KernelStatus
    status_info: str | None
    status_changed: datetime
    requested_slots: dict[str, str]
    occupied_slots: dict[str, str]
    exit_code: int | None

    @classmethod
    def of(cls, kernel: KernelInfo) -> KernelResponse:
        return cls(
            id=kernel.kernel_id,
            cluster_role=kernel.cluster_role,
            cluster_idx=kernel.cluster_idx,
            cluster_hostname=kernel.cluster_hostname,
            image=kernel.image,
            architecture=kernel.architecture,
            agent_id=kernel.agent_id,
            status=kernel.status,
            status_info=kernel.status_info,
            status_changed=kernel.status_changed,
            requested_slots=kernel.requested_slots.to_json(),
            occupied_slots=kernel.occupied_slots.to_json(),
            exit_code=kernel.exit_code,
        )


class SessionResponse(ResponseModel):
    id: uuid.UUID
    name: str
    creation_id: str
    status: SessionStatus
    status_info: str | None
    status_changed: datetime
    result: SessionResult
    session_type: SessionType
    priority: int
    cluster_mode: ClusterMode
    cluster_size: int
    scaling_group: str
    domain_name: str
    group_id: uuid.UUID
    user_id: uuid.UUID
    access_key: str
    requested_slots: dict[str, str]
    occupying_slots: dict[str, str]
    designated_agents: list[str] | None
    starts_at: datetime | None
    created_at: datetime

    @classmethod
    def fields_of(cls, session: SessionInfo) -> dict[str, object]:
        designated = session.designated_agent_ids
        return {
            "id": session.session_id,
            "name": session.name,
            "creation_id": session.creation_id,
            "status": session.status,
            "status_info": session.status_info,
            "status_changed": session.status_changed,
            "result": session.result,
            "session_type": session.session_type,
            "priority": session.priority,
            "cluster_mode": session.cluster_mode,
            "cluster_size": session.cluster_size,
            "scaling_group": session.scaling_group,
            "domain_name": session.domain_name,
            "group_id": session.group_id,
            "user_id": session.user_id,
            "access_key": session.access_key,
            "requested_slots": session.requested_slots.to_json(),
            "occupying_slots": session.occupying_slots.to_json(),
            "designated_agents": None if designated is None else list(designated),
            "starts_at": session.starts_at,
            "created_at": session.created_at,
        }

    @classmethod
    def of(cls, session: SessionInfo) -> SessionResponse:
        return cls.model_validate(cls.fields_of(session))


class HistoryEntry(ResponseModel):
    phase: str
    result: SchedulingResult
    from_status: SessionStatus | None
    to_status: SessionStatus | None
    error_code: str | None
    message: str
    attempts: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, record: SchedulingHistoryRecord) -> HistoryEntry:
        return cls(
            phase=record.phase,
            result=record.result,
            from_status=record.from_status,
            to_status=record.to_status,
            error_code=record.error_code,
            message=record.message,
            attempts=record.attempts,
            created_at=record.created_at,
            updated_at=record.updated_at,
        )


class WhyPending(ResponseModel):
    """Why the scheduler left a PENDING session waiting, as of its last placement cycle."""

    code: str | None = Field(description="e.g. 'insufficient-resources', 'quota-exceeded'.")
    message: str
    attempts: int = Field(description="Consecutive cycles that gave this same answer.")


class SessionDetailResponse(SessionResponse):
    kernels: list[KernelResponse]
    history: list[HistoryEntry] = Field(description="Scheduling history, oldest first.")
    why_pending: WhyPending | None = Field(
        description="Only for PENDING sessions the scheduler has looked at."
    )
    queue_position: int | None = Field(
        description="1-based place in the scaling group's pending queue; PENDING only."
    )


class SessionListResponse(ResponseModel):
    items: list[SessionResponse]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")


class WaitTarget(StrEnum):
    RUNNING = "RUNNING"
    TERMINATED = "TERMINATED"


class SessionLogsResponse(ResponseModel):
    session_id: uuid.UUID
    kernel_id: uuid.UUID
    logs: str
