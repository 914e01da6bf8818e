"""PostProcessorChain: every post-processor runs, in order, whatever the others do."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pytest

from sokovan.common.status import SessionStatus
from sokovan.scheduler.post_processors import PostProcessContext, PostProcessorChain
from sokovan.scheduler.results import SessionExecutionResult


@dataclass
class Step:
    name: str
    log: list[str]
    error: Exception | None = None
    seen: list[PostProcessContext] = field(default_factory=list)

    async def execute(self, context: PostProcessContext) -> None:
        self.log.append(self.name)
        self.seen.append(context)
        if self.error is not None:
            raise self.error


async def test_a_failing_post_processor_is_logged_and_the_rest_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    order: list[str] = []
    first = Step("marking", order, error=RuntimeError("hint store down"))
    second = Step("invalidation", order)
    context = PostProcessContext(SessionExecutionResult(), SessionStatus.RUNNING)

    with caplog.at_level(logging.ERROR):
        await PostProcessorChain([first, second]).run(context)

    assert order == ["marking", "invalidation"]
    assert second.seen == [context]
    assert "Step" in caplog.records[0].getMessage()
