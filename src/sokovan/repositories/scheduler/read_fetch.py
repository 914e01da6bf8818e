"""Set-based fetches the session reads share: sessions by querier, kernels and images in bulk.

Each helper issues at most one statement on the caller's connection, whatever the number of
sessions, so the reads built from them stay a fixed number of round trips.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from sokovan.common.ids import SessionId
from sokovan.db import tables as t
from sokovan.repositories.scheduler.condition_sql import session_where
from sokovan.repositories.scheduler.conditions import SessionQuerier
from sokovan.repositories.scheduler.read_rows import (
    KERNEL_INFO_COLUMNS,
    SESSION_INFO_COLUMNS,
    image_config_from_row,
    image_identifier,
    kernel_info_from_row,
)
from sokovan.repositories.scheduler.types import ImageConfig, ImageIdentifier, KernelInfo

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def session_search(querier: SessionQuerier) -> sa.Select[Any]:
    """`SESSION_INFO_COLUMNS` of the sessions matching all conditions, oldest first, limit
    applied."""
    statement = (
        sa.select(*SESSION_INFO_COLUMNS)
        .where(*session_where(querier.conditions))
        .order_by(t.sessions.c.created_at, t.sessions.c.id)
    )
    if querier.limit is not None:
        statement = statement.limit(querier.limit)
    return statement


async def fetch_kernels_of(
    conn: AsyncConnection, session_ids: Collection[SessionId]
) -> dict[SessionId, tuple[KernelInfo, ...]]:
    """The kernels of each session, by cluster_idx; sessions without kernels are absent."""
    if not session_ids:
        return {}
    rows = await conn.execute(
        sa.select(*KERNEL_INFO_COLUMNS)
        .where(t.kernels.c.session_id.in_(list(session_ids)))
        .order_by(t.kernels.c.session_id, t.kernels.c.cluster_idx, t.kernels.c.id)
    )
    grouped: dict[SessionId, list[KernelInfo]] = defaultdict(list)
    for row in rows:
        kernel = kernel_info_from_row(row)
        grouped[kernel.session_id].append(kernel)
    return {session_id: tuple(kernels) for session_id, kernels in grouped.items()}


async def fetch_image_configs(
    conn: AsyncConnection, kernels: Iterable[KernelInfo]
) -> dict[ImageIdentifier, ImageConfig]:
    """Configs of the (image, architecture) pairs the kernels use; unknown images are absent."""
    wanted = {image_identifier(kernel) for kernel in kernels}
    if not wanted:
        return {}
    # name IN … AND architecture IN … may return extra pairs (cheap, few rows); tuple IN is
    # avoided because its support differs between the backends.
    rows = await conn.execute(
        sa.select(t.images).where(
            t.images.c.name.in_(sorted({ident.name for ident in wanted})),
            t.images.c.architecture.in_(sorted({ident.architecture for ident in wanted})),
        )
    )
    configs = (image_config_from_row(row) for row in rows)
    return {
        ident: config
        for config in configs
        if (ident := ImageIdentifier(config.name, config.architecture)) in wanted
    }


def in_given_order(keys: Sequence[K], found: Mapping[K, V]) -> list[V]:
    """`found` in the order of `keys`, each key once; keys without a value are skipped."""
    return [found[key] for key in dict.fromkeys(keys) if key in found]
