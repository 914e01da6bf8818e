"""/v1/scaling-groups (administrators only): list, create and change scaling groups."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from sokovan.api.deps import Admin, Context
from sokovan.api.errors import found
from sokovan.api.routers.paging import Window
from sokovan.api.schemas.common import ERROR_RESPONSES, Name
from sokovan.api.schemas.scaling_groups import (
    ScalingGroupCreateRequest,
    ScalingGroupResponse,
    ScalingGroupUpdateRequest,
)
from sokovan.repositories.api.types import ScalingGroupChanges
from sokovan.repositories.tenancy import AlreadyExistsError

router = APIRouter(prefix="/v1/scaling-groups", tags=["scaling groups"], responses=ERROR_RESPONSES)

GroupName = Annotated[Name, Path(description="The scaling group's name.")]


@router.get("", summary="List scaling groups")
async def list_scaling_groups(
    context: Context, _: Admin, window: Window
) -> list[ScalingGroupResponse]:
    groups = await context.api_repository.list_scaling_groups(window)
    return [ScalingGroupResponse.of(group) for group in groups]


@router.post("", status_code=201, summary="Create a scaling group")
async def create_scaling_group(
    body: ScalingGroupCreateRequest, context: Context, _: Admin
) -> ScalingGroupResponse:
    """409 when the name is taken. Other settings can be changed afterwards with PATCH."""
    created = await context.tenancy_repository.ensure_scaling_group(
        body.name,
        body.scheduler,
        body.agent_selection_strategy,
        pending_timeout=body.pending_timeout,
        max_container_count=body.max_container_count,
    )
    if not created:
        raise AlreadyExistsError("scaling group", body.name)
    group = await context.api_repository.get_scaling_group(body.name)
    return ScalingGroupResponse.of(found(group, f"scaling group {body.name!r}"))


@router.patch("/{name}", summary="Change a scaling group")
async def update_scaling_group(
    name: GroupName, body: ScalingGroupUpdateRequest, context: Context, _: Admin
) -> ScalingGroupResponse:
    """Only the fields present change; `is_active: false` stops new submissions to it."""
    changes = body.changes()
    if "agent_selection_resource_priority" in changes:
        changes["agent_selection_resource_priority"] = tuple(
            changes["agent_selection_resource_priority"]
        )
    group = await context.api_repository.update_scaling_group(name, ScalingGroupChanges(**changes))
    return ScalingGroupResponse.of(group)
