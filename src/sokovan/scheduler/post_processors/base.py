"""Post-processors: work that follows every applied outcome, whatever the handler."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sokovan.common.status import SessionStatus
from sokovan.scheduler.results import SessionExecutionResult

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PostProcessContext:
    #: The sessions of one applied outcome (successes, or failures of one class).
    result: SessionExecutionResult
    #: The status they moved to; None when the outcome changed no status.
    target_status: SessionStatus | None


class PostProcessor(Protocol):
    async def execute(self, context: PostProcessContext) -> None:
        """Follow up on an applied outcome; must tolerate being run again for the same one."""
        ...


class PostProcessorChain:
    """Runs every post-processor in order; one that raises is logged and the rest still run.

    Post-processing only speeds things up (hints, cache freshness); the long loop and cache
    expiry cover for a failed one, so a failure never aborts the cycle.
    """

    def __init__(self, post_processors: Sequence[PostProcessor]) -> None:
        self._post_processors = tuple(post_processors)

    async def run(self, context: PostProcessContext) -> None:
        for post_processor in self._post_processors:
            try:
                await post_processor.execute(context)
            except Exception:
                log.exception("post-processor %s failed", type(post_processor).__name__)
