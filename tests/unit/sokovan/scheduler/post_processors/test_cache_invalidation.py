"""SC-CO-023, SC-CO-024: CacheInvalidationPostProcessor."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sokovan.common.ids import AccessKey
from sokovan.common.status import SessionStatus
from sokovan.scheduler.post_processors import CacheInvalidationPostProcessor, PostProcessContext
from sokovan.scheduler.results import SessionExecutionResult, SessionTransitionInfo
from unit.sokovan.scheduler.coordinator_testkit import session_info


@dataclass
class RecordingInvalidator:
    calls: list[list[AccessKey]] = field(default_factory=list)

    async def invalidate_kernel_related_cache(self, access_keys: Sequence[AccessKey]) -> None:
        self.calls.append(list(access_keys))


def info(access_key: str | None) -> SessionTransitionInfo:
    described = SessionTransitionInfo.of(session_info(), None)
    return SessionTransitionInfo(
        described.session_id,
        described.from_status,
        access_key=None if access_key is None else AccessKey(access_key),
    )


async def test_sc_co_023_invalidates_the_access_keys_of_successes_and_failures() -> None:
    invalidator = RecordingInvalidator()
    result = SessionExecutionResult(
        successes=[info("ak1"), info("ak2")], failures=[info("ak3"), info("ak1")]
    )

    await CacheInvalidationPostProcessor(invalidator).execute(
        PostProcessContext(result, SessionStatus.SCHEDULED)
    )

    (keys,) = invalidator.calls
    assert sorted(keys) == ["ak1", "ak2", "ak3"]
    assert len(keys) == 3


async def test_sc_co_024_skipped_without_access_keys() -> None:
    invalidator = RecordingInvalidator()
    result = SessionExecutionResult(successes=[info(None)], failures=[])

    await CacheInvalidationPostProcessor(invalidator).execute(
        PostProcessContext(result, SessionStatus.SCHEDULED)
    )

    assert invalidator.calls == []
