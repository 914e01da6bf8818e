"""Builders of launcher inputs and recorders of what the launcher writes."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sokovan.common.ids import AccessKey, AgentId, GroupId, KernelId, SessionId, UserId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import ClusterMode, SessionType
from sokovan.common.status import KernelStatus, SessionResult, SessionStatus
from sokovan.repositories.scheduler.types import (
    ImageConfig,
    ImageIdentifier,
    KernelBindingData,
    KernelInfo,
    SessionDataForPull,
    SessionDataForStart,
    SessionInfo,
    UserData,
)
from sokovan.repositories.scheduler.write_status_data import SessionErrorReport

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ARCH = "x86_64"
USER_ID = UserId(uuid.UUID(int=11))
GROUP_ID = GroupId(uuid.UUID(int=12))


def image_configs(*names: str) -> dict[ImageIdentifier, ImageConfig]:
    return {
        ImageIdentifier(name, ARCH): ImageConfig(
            name=name,
            architecture=ARCH,
            environment={"command": ["python3", "-m", name]},
            min_slots=ResourceSlot(),
        )
        for name in names
    }


def binding(
    agent_id: str | None, image: str = "py", status: KernelStatus = KernelStatus.SCHEDULED
) -> KernelBindingData:
    return KernelBindingData(
        kernel_id=KernelId(uuid.uuid4()),
        agent_id=AgentId(agent_id) if agent_id else None,
        agent_addr=f"http://127.0.0.1:6001/{agent_id}" if agent_id else None,
        container_id=None,
        image=image,
        architecture=ARCH,
        status=status,
    )


def pull_session(*kernels: KernelBindingData) -> SessionDataForPull:
    session_id = SessionId(uuid.uuid4())
    return SessionDataForPull(session_id, f"c-{session_id.hex[:6]}", AccessKey("AK1"), kernels)


@dataclass(frozen=True)
class K:
    """One kernel of a session to start: its agent (and that agent's host), image, role."""

    agent: str | None = "a1"
    image: str = "py"
    host: str = "127.0.0.1"


def start_session(
    *kernels: K,
    cluster_mode: ClusterMode = ClusterMode.SINGLE_NODE,
    network_type: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> SessionDataForStart:
    session_id = SessionId(uuid.uuid4())
    infos = tuple(_kernel(session_id, idx, spec) for idx, spec in enumerate(kernels, start=1))
    session = SessionInfo(
        session_id=session_id,
        creation_id="c1",
        name=f"s-{session_id.hex[:6]}",
        session_type=SessionType.INTERACTIVE,
        priority=10,
        cluster_mode=cluster_mode,
        cluster_size=max(len(kernels), 1),
        domain_name="default",
        group_id=GROUP_ID,
        user_id=USER_ID,
        access_key=AccessKey("AK1"),
        scaling_group="default",
        status=SessionStatus.PREPARED,
        status_info=None,
        status_changed=T0,
        result=SessionResult.UNDEFINED,
        requested_slots=ResourceSlot(),
        occupying_slots=ResourceSlot(),
        designated_agent_ids=None,
        starts_at=None,
        created_at=T0,
    )
    user = UserData(USER_ID, "ada@example.com", "ada", "default", GROUP_ID, "research")
    return SessionDataForStart(session, infos, user, dict(environ or {}), network_type, None)


def _kernel(session_id: SessionId, idx: int, spec: K) -> KernelInfo:
    role = "main" if idx == 1 else "sub"
    return KernelInfo(
        kernel_id=KernelId(uuid.uuid4()),
        session_id=session_id,
        access_key=AccessKey("AK1"),
        scaling_group="default",
        agent_id=AgentId(spec.agent) if spec.agent else None,
        agent_addr=f"http://{spec.host}:6001" if spec.agent else None,
        container_id=None,
        cluster_role=role,
        cluster_idx=idx,
        local_rank=idx - 1,
        cluster_hostname=f"{role}{idx}",
        image=spec.image,
        architecture=ARCH,
        requested_slots=ResourceSlot({"cpu": 2, "mem": 2**30}),
        occupied_slots=ResourceSlot(),
        status=KernelStatus.PREPARED,
        status_info=None,
        status_changed=T0,
        exit_code=None,
    )


def without_kernels(data: SessionDataForStart) -> SessionDataForStart:
    return replace(data, kernels=())


@dataclass
class RecordingKernels:
    """The kernel state engine's launcher-facing writes; every kernel moves."""

    advanced: list[tuple[KernelStatus, list[KernelId], str]] = field(default_factory=list)
    terminated: list[tuple[list[KernelId], str]] = field(default_factory=list)

    async def advance_kernels(
        self, kernel_ids: Iterable[KernelId], to_status: KernelStatus, reason: str
    ) -> list[KernelId]:
        ids = list(kernel_ids)
        if ids:
            self.advanced.append((to_status, ids, reason))
        return ids

    async def mark_kernels_terminated(
        self, kernel_ids: Iterable[KernelId], reason: str
    ) -> list[KernelId]:
        ids = list(kernel_ids)
        if ids:
            self.terminated.append((ids, reason))
        return ids

    def moved_to(self, status: KernelStatus) -> set[KernelId]:
        return {k for to, ids, _ in self.advanced if to is status for k in ids}


@dataclass
class RecordingErrors:
    reports: list[SessionErrorReport] = field(default_factory=list)
    fail: bool = False

    async def record_session_errors(self, reports: Sequence[SessionErrorReport]) -> int:
        if self.fail:
            raise ConnectionError("database down")
        self.reports.extend(reports)
        return len(reports)

    def of(self, session_id: SessionId) -> list[dict[str, Any]]:
        return [
            {"phase": r.phase, **detail.to_json()}
            for r in self.reports
            if r.session_id == session_id
            for detail in r.errors
        ]
