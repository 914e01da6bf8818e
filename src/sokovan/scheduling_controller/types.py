"""The controller's vocabulary: what a caller submits, and the errors a submission may raise."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from sokovan.common.errors import InvalidInputError, NotFoundError, SokovanError
from sokovan.common.ids import AccessKey, AgentId, GroupId, SessionId, UserId
from sokovan.common.scheduling import SESSION_PRIORITY_DEFAULT, ClusterMode, SessionType

DEFAULT_ARCHITECTURE = "x86_64"
#: Why sessions are terminated when the caller gives no reason.
USER_REQUESTED = "user-requested"


@dataclass(frozen=True, slots=True)
class KernelCreationSpec:
    """One kernel (container) of the session."""

    #: A registered image name, e.g. "python:3.11".
    image: str
    #: Slot name → amount, as user input ({"cpu": "2", "mem": "4g"}) or a `ResourceSlot`;
    #: parsed against the installation's slot types on submission.
    resources: Mapping[str, object]
    #: The image must be registered for this architecture.
    architecture: str = DEFAULT_ARCHITECTURE
    #: What the kernel runs instead of the image's default command, if anything.
    startup_command: str | None = None


@dataclass(frozen=True, slots=True)
class SessionCreationSpec:
    """A session to enqueue as PENDING. Owner ids must exist and belong together.

    Mapping fields make instances unhashable; compare them, do not put them in sets.
    """

    name: str
    access_key: AccessKey
    user_id: UserId
    group_id: GroupId
    domain_name: str
    scaling_group: str
    #: The first kernel is the cluster's main kernel; the others are sub kernels.
    kernels: tuple[KernelCreationSpec, ...]
    session_type: SessionType = SessionType.INTERACTIVE
    #: Within [SESSION_PRIORITY_MIN, SESSION_PRIORITY_MAX]; higher is scheduled first.
    priority: int = SESSION_PRIORITY_DEFAULT
    cluster_mode: ClusterMode = ClusterMode.SINGLE_NODE
    #: Must equal the number of kernels.
    cluster_size: int = 1
    #: Batch sessions only: not started before this (timezone-aware) moment.
    starts_at: datetime | None = None
    #: When set, only these agents of the scaling group may host the kernels.
    designated_agent_ids: tuple[AgentId, ...] | None = None
    #: Sessions that must finish successfully before this one starts.
    depends_on: tuple[SessionId, ...] = ()
    environ: Mapping[str, str] = field(default_factory=dict)
    #: The client's token, echoed in events; generated when absent.
    creation_id: str | None = None


class SessionSpecError(InvalidInputError):
    """The submission is malformed; the message names the field to fix."""


class SessionReferenceError(NotFoundError):
    """The submission names something that does not exist (or not where it must)."""


class SessionOwnershipError(SokovanError):
    """The owner ids exist but do not belong together, or the keypair is inactive."""

    http_status: ClassVar[int] = 403


class ScalingGroupInactiveError(SokovanError):
    """The scaling group exists but accepts no new sessions."""

    http_status: ClassVar[int] = 409
