"""/v1/admin (administrators only): domains, groups and users.

Only a superadmin may grant the superadmin role or change a superadmin's account. Changing a
domain or user (deactivating it, changing a role) drops every cached credential at once, so the
change applies to the very next request (keypairs are handled in `admin_access`).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query

from sokovan.api.auth import Principal
from sokovan.api.deps import Admin, Context, Services
from sokovan.api.errors import PermissionDeniedError, found
from sokovan.api.routers.paging import Window
from sokovan.api.schemas.admin import (
    DomainCreateRequest,
    DomainResponse,
    DomainUpdateRequest,
    GroupCreateRequest,
    GroupResponse,
    GroupUpdateRequest,
    UserCreateRequest,
    UserResponse,
    UserUpdateRequest,
)
from sokovan.api.schemas.common import ERROR_RESPONSES, Name
from sokovan.common.ids import GroupId, UserId
from sokovan.common.scheduling import UserRole
from sokovan.repositories.api.types import DomainChanges, GroupChanges, NewGroup, UserChanges
from sokovan.repositories.tenancy import AlreadyExistsError

router = APIRouter(prefix="/v1/admin", tags=["administration"], responses=ERROR_RESPONSES)

DomainFilter = Annotated[Name | None, Query(description="Only this domain's entries.")]


def check_grant(principal: Principal, role: UserRole | None) -> None:
    """Only a superadmin may hand out the superadmin role."""
    if role is UserRole.SUPERADMIN and not principal.is_superadmin:
        raise PermissionDeniedError("only a superadmin may grant the superadmin role")


def check_change(principal: Principal, current: UserRole, granted: UserRole | None) -> None:
    """Only a superadmin may grant the superadmin role or change what has it."""
    check_grant(principal, granted)
    if current is UserRole.SUPERADMIN and not principal.is_superadmin:
        raise PermissionDeniedError("only a superadmin may change a superadmin's account")


# --- domains ------------------------------------------------------------------------------


@router.get("/domains", summary="List domains")
async def list_domains(context: Context, _: Admin, window: Window) -> list[DomainResponse]:
    return [DomainResponse.of(d) for d in await context.api_repository.list_domains(window)]


@router.post("/domains", status_code=201, summary="Create a domain")
async def create_domain(body: DomainCreateRequest, context: Context, _: Admin) -> DomainResponse:
    """409 when the name is taken; 404 for an unknown resource policy."""
    if not await context.tenancy_repository.ensure_domain(body.name, body.resource_policy):
        raise AlreadyExistsError("domain", body.name)
    domain = await context.api_repository.get_domain(body.name)
    return DomainResponse.of(found(domain, f"domain {body.name!r}"))


@router.patch("/domains/{name}", summary="Change or deactivate a domain")
async def update_domain(
    name: Annotated[Name, Path()], body: DomainUpdateRequest, services: Services, _: Admin
) -> DomainResponse:
    domain = await services.context.api_repository.update_domain(
        name, DomainChanges(**body.changes())
    )
    services.credentials.clear()
    return DomainResponse.of(domain)


# --- groups -------------------------------------------------------------------------------


@router.get("/groups", summary="List groups")
async def list_groups(
    context: Context, _: Admin, window: Window, domain: DomainFilter = None
) -> list[GroupResponse]:
    groups = await context.api_repository.list_groups(domain, window)
    return [GroupResponse.of(group) for group in groups]


@router.post("/groups", status_code=201, summary="Create a group")
async def create_group(body: GroupCreateRequest, context: Context, _: Admin) -> GroupResponse:
    """409 when the domain has a group of that name; 404 for an unknown domain or policy."""
    group = await context.api_repository.create_group(
        NewGroup(body.domain, body.name, body.description, body.resource_policy)
    )
    return GroupResponse.of(group)


@router.patch("/groups/{group_id}", summary="Change or deactivate a group")
async def update_group(
    group_id: uuid.UUID, body: GroupUpdateRequest, context: Context, _: Admin
) -> GroupResponse:
    group = await context.api_repository.update_group(
        GroupId(group_id), GroupChanges(**body.changes())
    )
    return GroupResponse.of(group)


# --- users --------------------------------------------------------------------------------


@router.get("/users", summary="List users")
async def list_users(
    context: Context, _: Admin, window: Window, domain: DomainFilter = None
) -> list[UserResponse]:
    users = await context.api_repository.list_users(domain, window)
    return [UserResponse.of(user) for user in users]


@router.post("/users", status_code=201, summary="Create a user")
async def create_user(body: UserCreateRequest, context: Context, admin: Admin) -> UserResponse:
    """The user joins `group_id`, which must be a group of `domain`. Issue a keypair next."""
    check_grant(admin, body.role)
    user_id = await context.tenancy_repository.create_user(
        body.email, body.username, body.domain, body.role, GroupId(body.group_id)
    )
    user = await context.api_repository.get_user(user_id)
    return UserResponse.of(found(user, f"user {user_id}"))


@router.patch("/users/{user_id}", summary="Change or deactivate a user")
async def update_user(
    user_id: uuid.UUID, body: UserUpdateRequest, services: Services, admin: Admin
) -> UserResponse:
    repository = services.context.api_repository
    current = found(await repository.get_user(UserId(user_id)), f"user {user_id}")
    check_change(admin, current.role, body.role)
    user = await repository.update_user(UserId(user_id), UserChanges(**body.changes()))
    services.credentials.clear()
    return UserResponse.of(user)
