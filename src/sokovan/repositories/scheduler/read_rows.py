"""Rows of `sessions`, `kernels` and `images` as the read models of `types.py`.

Mappers take rows selected with every column of their table (`select(t.sessions)`, …), so a
column added to a read model is added here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

from sqlalchemy.engine import Row

from sokovan.common.ids import AccessKey, AgentId, GroupId, KernelId, SessionId, UserId
from sokovan.repositories.scheduler.types import (
    ImageConfig,
    ImageIdentifier,
    KernelBindingData,
    KernelInfo,
    SessionInfo,
)

#: A result row of any shape (columns are read by name).
AnyRow: TypeAlias = Row[*tuple[Any, ...]]


def agent_ids_or_none(raw: Sequence[str] | None) -> tuple[AgentId, ...] | None:
    """`designated_agent_ids` as stored (a JSON list or NULL) to its typed form."""
    return None if raw is None else tuple(AgentId(agent_id) for agent_id in raw)


def session_info_from_row(row: AnyRow) -> SessionInfo:
    return SessionInfo(
        session_id=SessionId(row.id),
        creation_id=row.creation_id,
        name=row.name,
        session_type=row.session_type,
        priority=row.priority,
        cluster_mode=row.cluster_mode,
        cluster_size=row.cluster_size,
        domain_name=row.domain_name,
        group_id=GroupId(row.group_id),
        user_id=UserId(row.user_id),
        access_key=AccessKey(row.access_key),
        scaling_group=row.scaling_group,
        status=row.status,
        status_info=row.status_info,
        status_changed=row.status_changed,
        result=row.result,
        requested_slots=row.requested_slots,
        occupying_slots=row.occupying_slots,
        designated_agent_ids=agent_ids_or_none(row.designated_agent_ids),
        starts_at=row.starts_at,
        created_at=row.created_at,
    )


def kernel_info_from_row(row: AnyRow) -> KernelInfo:
    return KernelInfo(
        kernel_id=KernelId(row.id),
        session_id=SessionId(row.session_id),
        access_key=AccessKey(row.access_key),
        scaling_group=row.scaling_group,
        agent_id=None if row.agent_id is None else AgentId(row.agent_id),
        agent_addr=row.agent_addr,
        container_id=row.container_id,
        cluster_role=row.cluster_role,
        cluster_idx=row.cluster_idx,
        local_rank=row.local_rank,
        cluster_hostname=row.cluster_hostname,
        image=row.image,
        architecture=row.architecture,
        requested_slots=row.requested_slots,
        occupied_slots=row.occupied_slots,
        status=row.status,
        status_info=row.status_info,
        status_changed=row.status_changed,
        exit_code=row.exit_code,
        startup_command=row.startup_command,
    )


def kernel_binding(kernel: KernelInfo) -> KernelBindingData:
    """The agent binding of a kernel: what pulling images and terminating need."""
    return KernelBindingData(
        kernel_id=kernel.kernel_id,
        agent_id=kernel.agent_id,
        agent_addr=kernel.agent_addr,
        container_id=kernel.container_id,
        image=kernel.image,
        architecture=kernel.architecture,
        status=kernel.status,
    )


def image_config_from_row(row: AnyRow) -> ImageConfig:
    return ImageConfig(
        name=row.name,
        architecture=row.architecture,
        environment=dict(row.environment),
        min_slots=row.min_slots,
    )


def image_identifier(kernel: KernelInfo) -> ImageIdentifier:
    return ImageIdentifier(kernel.image, kernel.architecture)
