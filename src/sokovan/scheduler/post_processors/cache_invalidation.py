"""Dropping cached occupancy of the access keys whose sessions an outcome touched."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sokovan.common.ids import AccessKey
from sokovan.scheduler.post_processors.base import PostProcessContext


class KernelCacheInvalidator(Protocol):
    async def invalidate_kernel_related_cache(self, access_keys: Sequence[AccessKey]) -> None: ...


class CacheInvalidationPostProcessor:
    """Invalidates the kernel-related cache of every access key among the outcome's sessions.

    Successes and failures both count (a failure may have changed status too). The keys are
    passed once each, sorted; with no key at all nothing is called.
    """

    def __init__(self, invalidator: KernelCacheInvalidator) -> None:
        self._invalidator = invalidator

    async def execute(self, context: PostProcessContext) -> None:
        result = context.result
        access_keys = {
            info.access_key
            for info in (*result.successes, *result.failures)
            if info.access_key is not None
        }
        if access_keys:
            await self._invalidator.invalidate_kernel_related_cache(sorted(access_keys))
