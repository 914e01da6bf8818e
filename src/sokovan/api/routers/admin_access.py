"""/v1/admin (administrators only): keypairs and resource policies.

A new keypair's secret is returned once, in the creation response; only its scrypt hash is
stored. Changing a keypair evicts its cached verifications, so a deactivated keypair is
refused from the very next request.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from sokovan.api.deps import Admin, Context, Services
from sokovan.api.errors import found
from sokovan.api.routers.admin import check_change, check_grant
from sokovan.api.routers.paging import Window
from sokovan.api.schemas.admin import (
    KeypairCreatedResponse,
    KeypairCreateRequest,
    KeypairResponse,
    KeypairUpdateRequest,
    ResourcePolicyCreateRequest,
    ResourcePolicyResponse,
    ResourcePolicyUpdateRequest,
)
from sokovan.api.schemas.common import ERROR_RESPONSES, Name, parse_slots
from sokovan.auth.secrets import generate_keypair, hash_secret
from sokovan.common.ids import AccessKey, UserId
from sokovan.common.resource_slot import SlotTypes
from sokovan.repositories.api.types import KeypairChanges, ResourcePolicyChanges
from sokovan.repositories.tenancy import AlreadyExistsError, ResourcePolicyLimits

router = APIRouter(prefix="/v1/admin", tags=["administration"], responses=ERROR_RESPONSES)

_SLOT_FIELDS = ("total_resource_slots", "max_pending_session_resource_slots")

# --- keypairs -----------------------------------------------------------------------------


@router.get("/keypairs", summary="List keypairs")
async def list_keypairs(
    context: Context,
    _: Admin,
    window: Window,
    user_id: Annotated[uuid.UUID | None, Query(description="Only this user's.")] = None,
) -> list[KeypairResponse]:
    owner = None if user_id is None else UserId(user_id)
    keypairs = await context.api_repository.list_keypairs(owner, window)
    return [KeypairResponse.of(keypair) for keypair in keypairs]


@router.post("/keypairs", status_code=201, summary="Issue a keypair")
async def create_keypair(
    body: KeypairCreateRequest, context: Context, admin: Admin
) -> KeypairCreatedResponse:
    """The response carries `secret_key`: store it now, it is never shown again."""
    check_grant(admin, body.role)
    keypair = generate_keypair()
    # scrypt is slow on purpose; hashing off the event loop keeps other requests moving.
    secret_hash = await asyncio.to_thread(hash_secret, keypair.secret_key)
    await context.tenancy_repository.create_keypair(
        UserId(body.user_id),
        body.role,
        keypair.access_key,
        secret_hash,
        resource_policy=body.resource_policy,
    )
    stored = await context.api_repository.get_keypair_info(keypair.access_key)
    shown = KeypairResponse.of(found(stored, f"keypair {keypair.access_key}"))
    return KeypairCreatedResponse(**shown.model_dump(), secret_key=keypair.secret_key)


@router.patch("/keypairs/{access_key}", summary="Change or deactivate a keypair")
async def update_keypair(
    access_key: Annotated[Name, Path()],
    body: KeypairUpdateRequest,
    services: Services,
    admin: Admin,
) -> KeypairResponse:
    repository = services.context.api_repository
    current = await repository.get_keypair_info(AccessKey(access_key))
    check_change(admin, found(current, f"keypair {access_key!r}").role, body.role)
    keypair = await repository.update_keypair(
        AccessKey(access_key), KeypairChanges(**body.changes())
    )
    services.credentials.invalidate(keypair.access_key)
    return KeypairResponse.of(keypair)


# --- resource policies --------------------------------------------------------------------


@router.get("/resource-policies", summary="List resource policies")
async def list_resource_policies(
    context: Context, _: Admin, window: Window
) -> list[ResourcePolicyResponse]:
    policies = await context.api_repository.list_resource_policies(window)
    return [ResourcePolicyResponse.of(policy) for policy in policies]


@router.post("/resource-policies", status_code=201, summary="Create a resource policy")
async def create_resource_policy(
    body: ResourcePolicyCreateRequest, context: Context, _: Admin
) -> ResourcePolicyResponse:
    """Slot amounts use the units of submissions ("4g"); empty slots mean no limit."""
    slot_types = context.config.slot_types
    limits = ResourcePolicyLimits(
        total_resource_slots=parse_slots(
            body.total_resource_slots, slot_types, "total_resource_slots"
        ),
        max_concurrent_sessions=body.max_concurrent_sessions,
        max_pending_session_count=body.max_pending_session_count,
        max_pending_session_resource_slots=parse_slots(
            body.max_pending_session_resource_slots,
            slot_types,
            "max_pending_session_resource_slots",
        ),
        max_session_lifetime=body.max_session_lifetime,
    )
    if not await context.tenancy_repository.ensure_resource_policy(body.name, limits):
        raise AlreadyExistsError("resource policy", body.name)
    policy = await context.api_repository.get_resource_policy(body.name)
    return ResourcePolicyResponse.of(found(policy, f"resource policy {body.name!r}"))


@router.patch("/resource-policies/{name}", summary="Change a resource policy")
async def update_resource_policy(
    name: Annotated[Name, Path()], body: ResourcePolicyUpdateRequest, context: Context, _: Admin
) -> ResourcePolicyResponse:
    """Lowering a limit never stops what runs; it applies to what is placed next."""
    changes = _parsed_slots(body.changes(), context.config.slot_types)
    policy = await context.api_repository.update_resource_policy(
        name, ResourcePolicyChanges(**changes)
    )
    return ResourcePolicyResponse.of(policy)


def _parsed_slots(changes: dict[str, Any], slot_types: SlotTypes) -> dict[str, Any]:
    return {
        name: parse_slots(value, slot_types, name) if name in _SLOT_FIELDS else value
        for name, value in changes.items()
    }
