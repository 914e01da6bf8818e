"""The kernel lifecycle on the simulated runtime: events, idempotency, destroy, restart."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from agent_testkit import RecordingSink, create_request, image, make_service, wait_until

from sokovan.agent.config import SimulatedTimings
from sokovan.agent.kernels import (
    REASON_AGENT_RESTARTED_DURING_CREATION,
    REASON_EXITED,
    REASON_EXITED_WHILE_AGENT_DOWN,
)
from sokovan.agent.protocol import (
    CheckRunningRequest,
    DestroyKernelRequest,
    KernelEventKind,
    KernelLogsRequest,
)
from sokovan.agent.registry import KernelRecord, KernelRegistry, KernelState
from sokovan.agent.runtime.simulated import STOPPED_EXIT_CODE, SimulatedRuntime
from sokovan.agent.service import AgentService

K = KernelEventKind


class QuickSleep:
    """Returns at once for short delays and never for delays over a minute."""

    async def __call__(self, seconds: float) -> None:
        if seconds > 60:
            await asyncio.Event().wait()
        await asyncio.sleep(0)


def _service(
    sink: RecordingSink, registry: KernelRegistry | None = None, **timings: object
) -> AgentService:
    runtime = SimulatedRuntime(
        SimulatedTimings.model_validate(timings), preloaded_images=["sim"], sleep=QuickSleep()
    )
    return make_service(runtime, sink, registry)


async def _running(service: AgentService, kernel_id: str) -> bool | None:
    answer = await service.check_running(CheckRunningRequest(kernel_id=kernel_id))
    return answer.running


async def test_a_kernel_is_created_started_and_reported_when_it_exits() -> None:
    sink = RecordingSink()
    service = _service(sink, run_seconds=1)

    accepted = await service.create_kernels(create_request("k1"))
    terminated = await sink.wait_for(K.KERNEL_TERMINATED, "k1")

    assert accepted.accepted == ["k1"]
    assert sink.kinds("k1") == [K.KERNEL_CREATING, K.KERNEL_STARTED, K.KERNEL_TERMINATED]
    started = sink.of_kind(K.KERNEL_STARTED)[0]
    assert started.container_id == "simulated-k1"
    assert started.session_id == "session-1"
    assert started.image == "sim"
    assert (terminated.exit_code, terminated.reason) == (0, REASON_EXITED)
    assert all(e.agent_id == "agent-1" and e.instance_id == "instance-1" for e in sink.events)
    assert await _running(service, "k1") is False


async def test_creating_a_known_kernel_again_creates_nothing() -> None:
    sink = RecordingSink()
    service = _service(sink)
    await service.create_kernels(create_request("k1"))
    await sink.wait_for(K.KERNEL_STARTED, "k1")

    again = await service.create_kernels(create_request("k1", "k2"))
    await sink.wait_for(K.KERNEL_STARTED, "k2")

    assert again.accepted == ["k1", "k2"]
    assert sink.kinds("k1") == [K.KERNEL_CREATING, K.KERNEL_STARTED]
    await service.destroy_kernel(DestroyKernelRequest(kernel_id="k1", session_id="session-1"))
    ended = await service.create_kernels(create_request("k1"))
    assert ended.accepted == []  # an ended kernel is neither accepted nor recreated
    await service.close()


async def test_destroying_a_running_kernel_reports_its_end_with_the_reason() -> None:
    sink = RecordingSink()
    service = _service(sink)
    await service.create_kernels(create_request("k1"))
    await sink.wait_for(K.KERNEL_STARTED, "k1")
    assert await _running(service, "k1") is True

    answer = await service.destroy_kernel(
        DestroyKernelRequest(kernel_id="k1", session_id="session-1", reason="user-requested")
    )

    assert answer.known is True
    [terminated] = sink.of_kind(K.KERNEL_TERMINATED)  # recorded before the answer
    assert (terminated.exit_code, terminated.reason) == (STOPPED_EXIT_CODE, "user-requested")
    assert await _running(service, "k1") is False
    repeat = await service.destroy_kernel(DestroyKernelRequest(kernel_id="k1", session_id="s"))
    assert repeat.known is False
    assert len(sink.of_kind(K.KERNEL_TERMINATED)) == 1


async def test_a_kernel_destroyed_while_its_image_is_pulled_never_starts() -> None:
    sink = RecordingSink()
    service = _service(sink, pull_seconds=3600)
    await service.create_kernels(create_request("k1", image_spec=image("not-yet-pulled")))
    await sink.wait_for(K.IMAGE_PULL_STARTED)
    assert await _running(service, "k1") is None  # still being created: cannot tell yet

    await service.destroy_kernel(
        DestroyKernelRequest(kernel_id="k1", session_id="session-1", reason="cancelled")
    )

    assert sink.kinds("k1") == [K.KERNEL_CREATING, K.KERNEL_TERMINATED]
    terminated = sink.of_kind(K.KERNEL_TERMINATED)[0]
    assert (terminated.exit_code, terminated.reason) == (None, "cancelled")
    await service.close()


async def test_suppressed_events_are_not_emitted_but_the_kernel_ends() -> None:
    sink = RecordingSink()
    service = _service(sink)
    await service.create_kernels(create_request("k1"))
    await sink.wait_for(K.KERNEL_STARTED, "k1")

    await service.destroy_kernel(
        DestroyKernelRequest(kernel_id="k1", session_id="session-1", suppress_events=True)
    )

    assert K.KERNEL_TERMINATED not in sink.kinds()
    assert await _running(service, "k1") is False


async def test_a_failed_creation_is_reported_with_the_reason() -> None:
    sink = RecordingSink()
    service = _service(sink, create_failure_rate=1)

    await service.create_kernels(create_request("k1"))
    failed = await sink.wait_for(K.KERNEL_CREATION_FAILED, "k1")

    assert failed.reason == "simulated creation failure of kernel k1"
    assert sink.kinds("k1") == [K.KERNEL_CREATING, K.KERNEL_CREATION_FAILED]
    assert await _running(service, "k1") is False


async def test_a_failed_image_pull_fails_the_creation() -> None:
    sink = RecordingSink()
    service = _service(sink, pull_failure_rate=1)

    await service.create_kernels(create_request("k1", image_spec=image("missing")))
    failed = await sink.wait_for(K.KERNEL_CREATION_FAILED, "k1")

    assert failed.reason == "simulated pull failure of 'missing'"
    assert K.IMAGE_PULL_FAILED in sink.kinds()


async def test_unknown_kernels_get_ordinary_answers() -> None:
    service = _service(RecordingSink())
    assert await _running(service, "nope") is None
    destroyed = await service.destroy_kernel(DestroyKernelRequest(kernel_id="nope", session_id="s"))
    assert destroyed.known is False
    logs = await service.kernel_logs(KernelLogsRequest(kernel_id="nope"))
    assert (logs.known, logs.stdout, logs.stderr) == (False, "", "")


def _record(kernel_id: str, state: KernelState) -> KernelRecord:
    return KernelRecord(
        kernel_id=kernel_id,
        session_id="s-old",
        image="sim",
        state=state,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


async def test_on_restart_kernels_that_cannot_be_readopted_are_reported_ended() -> None:
    registry = KernelRegistry()
    registry.put(_record("was-running", KernelState.RUNNING))
    registry.put(_record("was-creating", KernelState.CREATING))
    sink = RecordingSink()
    service = _service(sink, registry)

    await service.start()

    terminated = sink.of_kind(K.KERNEL_TERMINATED)
    failed = sink.of_kind(K.KERNEL_CREATION_FAILED)
    assert [(e.kernel_id, e.exit_code, e.reason) for e in terminated] == [
        ("was-running", None, REASON_EXITED_WHILE_AGENT_DOWN)
    ]
    assert [(e.kernel_id, e.reason) for e in failed] == [
        ("was-creating", REASON_AGENT_RESTARTED_DURING_CREATION)
    ]
    assert registry.alive() == []


async def test_closing_the_service_leaves_kernels_alive_in_the_registry() -> None:
    sink = RecordingSink()
    registry = KernelRegistry()
    service = _service(sink, registry)
    await service.create_kernels(create_request("k1"))
    await sink.wait_for(K.KERNEL_STARTED, "k1")

    await service.close()

    assert [record.kernel_id for record in registry.alive()] == ["k1"]
    assert K.KERNEL_TERMINATED not in sink.kinds()


async def test_heartbeat_and_info_report_identity_images_and_live_kernels() -> None:
    sink = RecordingSink()
    service = _service(sink)
    await service.create_kernels(create_request("k1"))
    await wait_until(lambda: service.alive_kernel_ids() == ["k1"], "k1 to be alive")

    beat = service.heartbeat("http://127.0.0.1:6001", "http://127.0.0.1:6009")
    info = await service.info()

    assert beat.agent_id == info.agent_id == "agent-1"
    assert beat.instance_id == info.instance_id == "instance-1"
    assert beat.running_kernel_ids == info.running_kernel_ids == ["k1"]
    assert beat.available_slots == {"cpu": "4", "mem": "8589934592"}
    assert (beat.addr, beat.watcher_addr) == ("http://127.0.0.1:6001", "http://127.0.0.1:6009")
    assert info.runtime == "simulated"
    await service.close()
