"""The kernel lifecycle on one agent, whatever the runtime.

Every accepted kernel gets a task that emits KERNEL_CREATING, waits for its image, starts it
(KERNEL_STARTED, or KERNEL_CREATION_FAILED) and then follows it until it ends
(KERNEL_TERMINATED with its exit code, and reason "exited" or the destroy request's reason).
The registry is updated before each event is emitted, so a restarted agent resumes from the
last state the manager was told about. A destroy request only flags the kernel and waits; the
kernel's own task observes the flag and does the work, so there is one place that ends a
kernel and reports it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field, replace

from sokovan.agent.errors import AgentRuntimeError
from sokovan.agent.events import EventEmitter
from sokovan.agent.protocol import ImageSpec, KernelEventKind
from sokovan.agent.pulls import ImagePuller
from sokovan.agent.registry import KernelRecord, KernelRegistry, KernelState
from sokovan.agent.runtime.base import KernelHandle, KernelLaunch, KernelRuntime
from sokovan.common.clock import Clock

log = logging.getLogger(__name__)

REASON_EXITED = "exited"
#: A re-adopted kernel's process was gone when the agent came back; its exit code is unknown.
REASON_EXITED_WHILE_AGENT_DOWN = "exited-while-agent-was-down"
REASON_AGENT_RESTARTED_DURING_CREATION = "agent-restarted-during-creation"
#: How long past the grace period a destroy request waits for the kernel's end to be recorded.
_DESTROY_WAIT_MARGIN = 5.0


class _DestroyedBeforeStart(Exception):
    """A destroy request arrived while the kernel was still waiting for its image."""


@dataclass(slots=True, eq=False)
class _LiveKernel:
    """What a kernel's own task and destroy requests share while the kernel is alive."""

    handle: KernelHandle | None = None
    destroy_requested: asyncio.Event = field(default_factory=asyncio.Event)
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


class KernelSupervisor:
    def __init__(
        self,
        *,
        runtime: KernelRuntime,
        registry: KernelRegistry,
        puller: ImagePuller,
        emitter: EventEmitter,
        clock: Clock,
        destroy_grace: float,
    ) -> None:
        self._runtime = runtime
        self._registry = registry
        self._puller = puller
        self._emitter = emitter
        self._clock = clock
        self._grace = destroy_grace
        self._live: dict[str, _LiveKernel] = {}

    # --- requests -------------------------------------------------------------------------

    def create(self, launches: list[KernelLaunch]) -> list[str]:
        """Start creating each unknown kernel; the ids of the kernels now alive.

        Idempotent: a kernel already being created or running is accepted again without a
        second creation; a kernel that has already ended is not accepted (nor recreated).
        """
        accepted = []
        for launch in launches:
            record = self._registry.get(launch.kernel_id)
            if record is None:
                self._begin(launch)
            elif not record.alive:
                continue
            accepted.append(launch.kernel_id)
        return accepted

    async def destroy(self, kernel_id: str, reason: str, suppress_events: bool) -> bool:
        """End the kernel (SIGTERM, SIGKILL after the grace period); False if not alive here.

        Returns once the kernel's end is recorded, or after the grace period plus a margin.
        """
        live = self._live.get(kernel_id)
        record = self._registry.get(kernel_id)
        if live is None or record is None:
            return False
        if record.destroy_reason is None:
            self._registry.put(
                replace(record, destroy_reason=reason, suppress_events=suppress_events)
            )
        live.destroy_requested.set()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._grace + _DESTROY_WAIT_MARGIN):
                if live.handle is not None:
                    await live.handle.stop(self._grace)
                await live.finished.wait()
        return True

    def check_running(self, kernel_id: str) -> bool | None:
        """True: running; False: ended; None: unknown here, or still being created."""
        record = self._registry.get(kernel_id)
        if record is None or record.state is KernelState.CREATING:
            return None
        return record.state is KernelState.RUNNING

    # --- agent start and stop -------------------------------------------------------------

    def restore(self) -> None:
        """Re-adopt the registry's live kernels after a restart; report those that are gone."""
        for record in self._registry.alive():
            if record.state is KernelState.CREATING:
                self._end(
                    record.kernel_id,
                    None,
                    REASON_AGENT_RESTARTED_DURING_CREATION,
                    creation_failed=True,
                )
                continue
            handle = self._runtime.adopt(record)
            if handle is None:
                reason = record.destroy_reason or REASON_EXITED_WHILE_AGENT_DOWN
                self._end(record.kernel_id, None, reason)
                continue
            live = _LiveKernel(handle=handle)
            if record.destroy_reason is not None:
                live.destroy_requested.set()
            self._live[record.kernel_id] = live
            live.task = asyncio.create_task(self._follow(record.kernel_id, live, handle))

    async def shutdown(self) -> None:
        """Stop watching kernels without ending them: a restarted agent re-adopts them."""
        tasks = [live.task for live in self._live.values() if live.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for live in self._live.values():
            if live.handle is not None:
                live.handle.close()
        self._live.clear()

    # --- the kernel's own task ------------------------------------------------------------

    def _begin(self, launch: KernelLaunch) -> None:
        record = KernelRecord(
            kernel_id=launch.kernel_id,
            session_id=launch.session_id,
            image=launch.image.name,
            state=KernelState.CREATING,
            created_at=self._clock.now(),
        )
        self._registry.put(record)
        live = _LiveKernel()
        self._live[launch.kernel_id] = live
        live.task = asyncio.create_task(
            self._create_and_follow(launch, live), name=f"kernel-{launch.kernel_id}"
        )

    async def _create_and_follow(self, launch: KernelLaunch, live: _LiveKernel) -> None:
        kernel_id = launch.kernel_id
        self._emitter.kernel(KernelEventKind.KERNEL_CREATING, self._record(kernel_id))
        try:
            await self._wait_for_image(launch.image, live)
            handle = await self._runtime.start(launch)
        except _DestroyedBeforeStart:
            self._end(kernel_id, None, self._end_reason(kernel_id))
            return
        except (AgentRuntimeError, OSError) as exc:
            self._end(kernel_id, None, str(exc), creation_failed=True)
            return
        except Exception as exc:  # a bug must still end the kernel with a reported failure
            log.exception("creating kernel %s failed unexpectedly", kernel_id)
            self._end(kernel_id, None, f"internal error: {exc!r}", creation_failed=True)
            return
        live.handle = handle
        record = replace(
            self._record(kernel_id),
            state=KernelState.RUNNING,
            container_id=handle.container_id,
            pid=handle.pid,
            pid_start_ticks=handle.pid_start_ticks,
            kernel_dir=handle.kernel_dir,
        )
        self._registry.put(record)
        self._emitter.kernel(KernelEventKind.KERNEL_STARTED, record)
        await self._follow(kernel_id, live, handle)

    async def _wait_for_image(self, image: ImageSpec, live: _LiveKernel) -> None:
        if not live.destroy_requested.is_set() and self._puller.ready_now(image):
            return  # the usual case: nothing to wait for, so no waiting machinery either
        pull = asyncio.ensure_future(self._puller.ensure_ready(image))
        destroyed = asyncio.ensure_future(live.destroy_requested.wait())
        try:
            await asyncio.wait({pull, destroyed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            destroyed.cancel()
            pull.cancel()  # the pull itself goes on: other kernels may be waiting for it
        if live.destroy_requested.is_set():
            if pull.done() and not pull.cancelled():
                pull.exception()  # retrieved: a failed pull no longer matters to this kernel
            raise _DestroyedBeforeStart
        pull.result()

    async def _follow(self, kernel_id: str, live: _LiveKernel, handle: KernelHandle) -> None:
        """Wait for the kernel's end, stopping it first if a destroy came in meanwhile."""
        try:
            if live.destroy_requested.is_set():
                await handle.stop(self._grace)
            exit_code = await handle.wait()
        except OSError as exc:  # watching failed; the kernel's fate is unknown, report it ended
            log.error("lost track of kernel %s: %s", kernel_id, exc)
            exit_code = None
        finally:
            handle.close()
        self._end(kernel_id, exit_code, self._end_reason(kernel_id))

    # --- bookkeeping ----------------------------------------------------------------------

    def _record(self, kernel_id: str) -> KernelRecord:
        record = self._registry.get(kernel_id)
        assert record is not None, f"kernel {kernel_id} is alive but has no record"
        return record

    def _end_reason(self, kernel_id: str) -> str:
        """The destroy request's reason if there was one, else "exited"."""
        return self._record(kernel_id).destroy_reason or REASON_EXITED

    def _end(
        self,
        kernel_id: str,
        exit_code: int | None,
        reason: str,
        creation_failed: bool = False,
    ) -> None:
        record = self._record(kernel_id).ended(self._clock.now(), exit_code, reason)
        self._registry.put(record)
        if not record.suppress_events:
            kind = (
                KernelEventKind.KERNEL_CREATION_FAILED
                if creation_failed
                else KernelEventKind.KERNEL_TERMINATED
            )
            self._emitter.kernel(kind, record, reason=reason, exit_code=exit_code)
        live = self._live.pop(kernel_id, None)
        if live is not None:
            live.finished.set()
