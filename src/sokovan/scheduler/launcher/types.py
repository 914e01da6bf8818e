"""What the launcher's parts share: configuration, the ports they write through, reports."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol

from sokovan.common.errors import AgentError, ConfigurationError, SokovanError
from sokovan.common.ids import AgentId, KernelId, SessionId
from sokovan.common.status import KernelStatus
from sokovan.repositories.scheduler.write_status_data import (
    SessionErrorDetail,
    SessionErrorReport,
)

log = logging.getLogger(__name__)

#: The network plugin every launcher knows: agents on this machine.
LOCAL_NETWORK_PLUGIN: Final = "local"
#: Phases recorded with launch errors (the handler names, as in the scheduling history).
PULL_PHASE: Final = "check-precondition"
START_PHASE: Final = "start-sessions"


class SessionLaunchError(SokovanError):
    """The session cannot be launched as stored, so retrying the same call cannot help.

    No kernels, a kernel without an agent, an image without a config, or a network type or
    plugin that does not exist; the message says which.
    """


@dataclass(frozen=True, slots=True)
class LauncherConfig:
    """How sessions are started. Raises ConfigurationError for impossible values.

    `network_plugin` spans multi-node clusters; `idle_timeout` (seconds, None: never) and
    `preopen_ports` go into every kernel's creation config.
    """

    session_start_timeout: float = 60.0
    network_plugin: str = LOCAL_NETWORK_PLUGIN
    idle_timeout: float | None = None
    preopen_ports: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.session_start_timeout <= 0:
            raise ConfigurationError("launcher session_start_timeout must be positive")
        if self.idle_timeout is not None and self.idle_timeout <= 0:
            raise ConfigurationError("launcher idle_timeout must be positive or unset")
        if any(not 0 < port < 65536 for port in self.preopen_ports):
            raise ConfigurationError("launcher preopen_ports must be ports in 1..65535")


class KernelProgressWriter(Protocol):
    """The kernel state engine's writes the launcher needs."""

    async def advance_kernels(
        self, kernel_ids: Iterable[KernelId], to_status: KernelStatus, reason: str
    ) -> list[KernelId]: ...

    async def mark_kernels_terminated(
        self, kernel_ids: Iterable[KernelId], reason: str
    ) -> list[KernelId]: ...


class SessionErrorRecorder(Protocol):
    """Where launch errors are kept (`SchedulerRepository.record_session_errors`)."""

    async def record_session_errors(self, reports: Sequence[SessionErrorReport]) -> int: ...


def error_detail(exc: BaseException, agent_id: AgentId | None = None) -> SessionErrorDetail:
    """`exc` as a status_data record; an agent RPC error names its own agent."""
    agent = getattr(exc, "agent_id", None) or agent_id
    return SessionErrorDetail(agent, type(exc).__name__, str(exc) or type(exc).__name__)


async def record_errors(
    recorder: SessionErrorRecorder,
    phase: str,
    errors: Mapping[SessionId, Sequence[SessionErrorDetail]],
) -> None:
    """Record every session's errors in one write; a failing write is logged, not raised.

    The record only informs: losing it must not turn a handled agent failure into a crash.
    """
    reports = [
        SessionErrorReport(session_id, phase, tuple(details))
        for session_id, details in errors.items()
        if details
    ]
    if not reports:
        return
    try:
        await recorder.record_session_errors(reports)
    except Exception:
        log.exception("could not record launch errors of %d session(s)", len(reports))


def every_agent_failed(attempted: int, failures: Sequence[AgentError]) -> AgentError | None:
    """The error to raise when agents were called and every call failed, else None.

    One agent's failure never blocks the others, so it is only recorded; but when nothing at
    all reached an agent, the coordinator must hear of it (seed 001: the launcher's error
    propagates and the session goes back to PENDING).
    """
    if attempted == 0 or len(failures) < attempted:
        return None
    if len(failures) == 1:
        return failures[0]
    summary = "; ".join(str(failure) for failure in failures)
    return AgentError(f"every agent call failed: {summary}")


@dataclass(frozen=True, slots=True)
class PullReport:
    """What `trigger_image_pulling` did."""

    agents_asked: tuple[AgentId, ...] = ()
    failed_agents: Mapping[AgentId, str] = field(default_factory=dict)
    #: Kernels moved to PREPARED (image ready), PULLING, or TERMINATED (pull failed).
    prepared: tuple[KernelId, ...] = ()
    pulling: tuple[KernelId, ...] = ()
    pull_failed: tuple[KernelId, ...] = ()
    #: Every recorded error, by session.
    errors: Mapping[SessionId, tuple[SessionErrorDetail, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StartReport:
    """What `start_sessions_for_handler` did."""

    #: Sessions whose every kernel was accepted by its agent.
    started: tuple[SessionId, ...] = ()
    #: Every recorded error, by session (a partly started session appears in both).
    errors: Mapping[SessionId, tuple[SessionErrorDetail, ...]] = field(default_factory=dict)
