"""Values the tenancy repository takes and returns."""

from __future__ import annotations

from dataclasses import dataclass, field

from sokovan.common.ids import AccessKey, UserId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import UserRole


@dataclass(frozen=True, slots=True)
class ResourcePolicyLimits:
    """The limits of a resource policy; the defaults mean "no limit" everywhere."""

    total_resource_slots: ResourceSlot = field(default_factory=ResourceSlot)
    max_concurrent_sessions: int | None = None
    max_pending_session_count: int | None = None
    max_pending_session_resource_slots: ResourceSlot = field(default_factory=ResourceSlot)
    #: Seconds a session may live; None = forever.
    max_session_lifetime: float | None = None


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: UserId
    email: str
    username: str
    domain_name: str
    role: UserRole
    is_active: bool


@dataclass(frozen=True, slots=True)
class KeypairRecord:
    """A stored keypair; the secret itself is never stored, only its hash."""

    access_key: AccessKey
    secret_key_hash: str = field(repr=False)
    user_id: UserId
    role: UserRole
    is_active: bool
    resource_policy: str | None
