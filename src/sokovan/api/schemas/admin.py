"""Request and response models of /v1/admin: domains, groups, users, keypairs, policies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import Field, StrictBool, StrictStr

from sokovan.api.schemas.common import (
    Count,
    Description,
    Name,
    NoNul,
    PatchModel,
    RequestModel,
    ResponseModel,
    Seconds,
    SlotRequest,
)
from sokovan.common.scheduling import UserRole
from sokovan.repositories.api.types import (
    DomainRecord,
    GroupRecord,
    KeypairInfo,
    ResourcePolicyRecord,
    UserInfo,
)

Email = Annotated[StrictStr, Field(min_length=3, max_length=256), NoNul]
_POLICY_ONLY: frozenset[str] = frozenset({"resource_policy"})


class DomainCreateRequest(RequestModel):
    name: Name
    resource_policy: Name | None = None


class DomainUpdateRequest(PatchModel):
    nullable: ClassVar[frozenset[str]] = _POLICY_ONLY
    description: Description | None = None
    is_active: StrictBool | None = None
    resource_policy: Name | None = None


class DomainResponse(ResponseModel):
    name: str
    description: str
    is_active: bool
    resource_policy: str | None
    created_at: datetime

    @classmethod
    def of(cls, domain: DomainRecord) -> DomainResponse:
        return cls(
            name=domain.name,
            description=domain.description,
            is_active=domain.is_active,
            resource_policy=domain.resource_policy,
            created_at=domain.created_at,
        )


class GroupCreateRequest(RequestModel):
    domain: Name
    name: Name
    description: Description = ""
    resource_policy: Name | None = None


class GroupUpdateRequest(PatchModel):
    nullable: ClassVar[frozenset[str]] = _POLICY_ONLY
    description: Description | None = None
    is_active: StrictBool | None = None
    resource_policy: Name | None = None


class GroupResponse(ResponseModel):
    id: uuid.UUID
    name: str
    domain: str
    description: str
    is_active: bool
    resource_policy: str | None
    created_at: datetime

    @classmethod
    def of(cls, group: GroupRecord) -> GroupResponse:
        return cls(
            id=group.id,
            name=group.name,
            domain=group.domain_name,
            description=group.description,
            is_active=group.is_active,
            resource_policy=group.resource_policy,
            created_at=group.created_at,
        )


class UserCreateRequest(RequestModel):
    email: Email
    username: Name
    domain: Name
    group_id: uuid.UUID = Field(description="A group of the domain the user joins.")
    role: UserRole = UserRole.USER


class UserUpdateRequest(PatchModel):
    nullable: ClassVar[frozenset[str]] = _POLICY_ONLY
    role: UserRole | None = None
    is_active: StrictBool | None = None
    resource_policy: Name | None = None


class UserResponse(ResponseModel):
    id: uuid.UUID
    email: str
    username: str
    domain: str
    role: UserRole
    is_active: bool
    resource_policy: str | None
    group_ids: list[uuid.UUID]
    created_at: datetime

    @classmethod
    def of(cls, user: UserInfo) -> UserResponse:
        return cls(
            id=user.id,
            email=user.email,
            username=user.username,
            domain=user.domain_name,
            role=user.role,
            is_active=user.is_active,
            resource_policy=user.resource_policy,
            group_ids=list(user.group_ids),
            created_at=user.created_at,
        )


class KeypairCreateRequest(RequestModel):
    user_id: uuid.UUID
    role: UserRole = Field(UserRole.USER, description="Never grants more than the user's own role.")
    resource_policy: Name | None = None


class KeypairUpdateRequest(PatchModel):
    nullable: ClassVar[frozenset[str]] = _POLICY_ONLY
    role: UserRole | None = None
    is_active: StrictBool | None = None
    resource_policy: Name | None = None


class KeypairResponse(ResponseModel):
    access_key: str
    user_id: uuid.UUID
    role: UserRole
    is_active: bool
    resource_policy: str | None
    created_at: datetime
    last_used_at: datetime | None

    @classmethod
    def of(cls, keypair: KeypairInfo) -> KeypairResponse:
        return cls(
            access_key=keypair.access_key,
            user_id=keypair.user_id,
            role=keypair.role,
            is_active=keypair.is_active,
            resource_policy=keypair.resource_policy,
            created_at=keypair.created_at,
            last_used_at=keypair.last_used_at,
        )


class KeypairCreatedResponse(KeypairResponse):
    secret_key: str = Field(description="Shown this once; only its hash is stored.")


class ResourcePolicyCreateRequest(RequestModel):
    name: Name
    total_resource_slots: SlotRequest = Field(default_factory=dict)
    max_concurrent_sessions: Count | None = None
    max_pending_session_count: Count | None = None
    max_pending_session_resource_slots: SlotRequest = Field(default_factory=dict)
    max_session_lifetime: Seconds | None = None


class ResourcePolicyUpdateRequest(PatchModel):
    nullable: ClassVar[frozenset[str]] = frozenset(
        {"max_concurrent_sessions", "max_pending_session_count", "max_session_lifetime"}
    )
    total_resource_slots: SlotRequest | None = None
    max_concurrent_sessions: Count | None = None
    max_pending_session_count: Count | None = None
    max_pending_session_resource_slots: SlotRequest | None = None
    max_session_lifetime: Seconds | None = None


class ResourcePolicyResponse(ResponseModel):
    name: str
    total_resource_slots: dict[str, str]
    max_concurrent_sessions: int | None
    max_pending_session_count: int | None
    max_pending_session_resource_slots: dict[str, str]
    max_session_lifetime: float | None
    created_at: datetime

    @classmethod
    def of(cls, policy: ResourcePolicyRecord) -> ResourcePolicyResponse:
        return cls(
            name=policy.name,
            total_resource_slots=policy.total_resource_slots.to_json(),
            max_concurrent_sessions=policy.max_concurrent_sessions,
            max_pending_session_count=policy.max_pending_session_count,
            max_pending_session_resource_slots=(
                policy.max_pending_session_resource_slots.to_json()
            ),
            max_session_lifetime=policy.max_session_lifetime,
            created_at=policy.created_at,
        )
