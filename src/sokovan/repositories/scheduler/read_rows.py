"""Rows of `sessions`, `kernels` and `images` as the read models of `types.py`.

A session or kernel read selects `SESSION_INFO_COLUMNS` / `KERNEL_INFO_COLUMNS` first (the
columns behind the read model's fields, in field order), optionally with more columns after
them, and maps rows by position. Every scheduler step maps thousands of rows: a row's
attribute access costs about fifteen times its index, and a column not selected is a value
neither the database nor the type processing has to produce.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields
from operator import itemgetter
from typing import Any, TypeAlias

import sqlalchemy as sa
from sqlalchemy.engine import Row

from sokovan.common.frozen import slot_builder
from sokovan.common.ids import AgentId
from sokovan.db import tables as t
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


def columns_of(table: sa.Table, names: Sequence[str]) -> Callable[[AnyRow], tuple[Any, ...]]:
    """Picks the `names` columns, in that order, from a row that starts with every column of
    `table` in table order."""
    position = {column.name: index for index, column in enumerate(table.columns)}
    pick: Callable[[AnyRow], tuple[Any, ...]] = itemgetter(*(position[name] for name in names))
    return pick


def _field_columns(model: type[Any], renamed: dict[str, str]) -> list[str]:
    """The column behind each field of `model`, in field order (same name unless renamed)."""
    return [renamed.get(field.name, field.name) for field in fields(model)]


#: The `sessions` columns behind SessionInfo's fields, in field order.
SESSION_INFO_COLUMNS: tuple[sa.Column[Any], ...] = tuple(
    t.sessions.c[name] for name in _field_columns(SessionInfo, {"session_id": "id"})
)
#: The `kernels` columns behind KernelInfo's fields, in field order.
KERNEL_INFO_COLUMNS: tuple[sa.Column[Any], ...] = tuple(
    t.kernels.c[name] for name in _field_columns(KernelInfo, {"kernel_id": "id"})
)
_SESSION_WIDTH = len(SESSION_INFO_COLUMNS)
_KERNEL_WIDTH = len(KERNEL_INFO_COLUMNS)
_DESIGNATED = [field.name for field in fields(SessionInfo)].index("designated_agent_ids")
_build_session_info = slot_builder(SessionInfo)
_build_kernel_info = slot_builder(KernelInfo)


def session_info_from_row(row: AnyRow) -> SessionInfo:
    """A row that starts with `SESSION_INFO_COLUMNS`."""
    # The typed ids (SessionId, GroupId, …) are NewTypes: the stored values already are them.
    return _build_session_info(
        *row[:_DESIGNATED],
        agent_ids_or_none(row[_DESIGNATED]),
        *row[_DESIGNATED + 1 : _SESSION_WIDTH],
    )


def kernel_info_from_row(row: AnyRow) -> KernelInfo:
    """A row that starts with `KERNEL_INFO_COLUMNS`."""
    return _build_kernel_info(*row[:_KERNEL_WIDTH])


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
