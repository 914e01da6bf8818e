"""Running one step for every scaling group: concurrently, each group's failure isolated."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

log = logging.getLogger(__name__)


async def process_each_group(
    name: str, groups: Sequence[str], process: Callable[[str], Awaitable[None]]
) -> None:
    """`process` every group concurrently; a group that fails is logged and affects no other.

    Cancellation, and any BaseException that is not an Exception, propagates. A lone group
    (the embedded default) is awaited in the caller's task: `gather` would wrap it in a task
    of its own and give up the loop's turn for nothing, and under load every such turn waits
    for everything else that is ready.
    """
    if len(groups) == 1:
        outcomes: list[BaseException | None] = [await _outcome_of(process(groups[0]))]
    else:
        outcomes = await asyncio.gather(
            *(process(group) for group in groups), return_exceptions=True
        )
    for group, outcome in zip(groups, outcomes, strict=True):
        if isinstance(outcome, Exception):
            log.error("%s failed for scaling group %s", name, group, exc_info=outcome)
        elif isinstance(outcome, BaseException):
            raise outcome


async def _outcome_of(processing: Awaitable[None]) -> Exception | None:
    """What `asyncio.gather(..., return_exceptions=True)` reports for one awaitable, except
    that cancellation propagates (nothing else runs alongside to be kept going)."""
    try:
        await processing
    except Exception as error:
        return error
    return None
