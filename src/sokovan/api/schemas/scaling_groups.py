"""Request and response models of /v1/scaling-groups."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import Field, StrictBool

from sokovan.api.schemas.common import (
    Count,
    Description,
    LongName,
    Name,
    PatchModel,
    RequestModel,
    ResponseModel,
    Seconds,
)
from sokovan.common.scheduling import AgentSelectionStrategy, SequencerStrategy
from sokovan.repositories.api.types import ScalingGroupRecord


class ScalingGroupCreateRequest(RequestModel):
    name: Name
    scheduler: SequencerStrategy = SequencerStrategy.FIFO
    agent_selection_strategy: AgentSelectionStrategy = AgentSelectionStrategy.CONCENTRATED
    pending_timeout: Seconds | None = Field(None, description="Seconds; null waits forever.")
    max_container_count: Count | None = None


class ScalingGroupUpdateRequest(PatchModel):
    """Only the fields present change; null clears pending_timeout, max_container_count and
    app_proxy_addr."""

    nullable: ClassVar[frozenset[str]] = frozenset(
        {"pending_timeout", "max_container_count", "app_proxy_addr"}
    )

    description: Description | None = None
    is_active: StrictBool | None = None
    scheduler: SequencerStrategy | None = None
    agent_selection_strategy: AgentSelectionStrategy | None = None
    agent_selection_resource_priority: Annotated[list[Name], Field(max_length=64)] | None = None
    pending_timeout: Seconds | None = None
    max_container_count: Count | None = None
    enforce_spreading_endpoint_replica: StrictBool | None = None
    app_proxy_addr: LongName | None = None


class ScalingGroupResponse(ResponseModel):
    name: str
    description: str
    is_active: bool
    scheduler: SequencerStrategy
    agent_selection_strategy: AgentSelectionStrategy
    agent_selection_resource_priority: list[str]
    pending_timeout: float | None
    max_container_count: int | None
    enforce_spreading_endpoint_replica: bool
    app_proxy_addr: str | None
    created_at: datetime

    @classmethod
    def of(cls, group: ScalingGroupRecord) -> ScalingGroupResponse:
        return cls(
            name=group.name,
            description=group.description,
            is_active=group.is_active,
            scheduler=group.scheduler,
            agent_selection_strategy=group.agent_selection_strategy,
            agent_selection_resource_priority=list(group.agent_selection_resource_priority),
            pending_timeout=group.pending_timeout,
            max_container_count=group.max_container_count,
            enforce_spreading_endpoint_replica=group.enforce_spreading_endpoint_replica,
            app_proxy_addr=group.app_proxy_addr,
            created_at=group.created_at,
        )
