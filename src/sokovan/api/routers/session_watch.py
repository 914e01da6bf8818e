"""/v1/sessions/{id}/wait and /logs: following a session after submission."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from sokovan.api.context import ApiContext, KernelLogTarget
from sokovan.api.deps import Caller, Context
from sokovan.api.errors import (
    KernelNotPlacedError,
    PortUnavailableError,
    SessionNotFoundError,
    WaitTimeoutError,
)
from sokovan.api.routers.sessions import visible_session
from sokovan.api.schemas.common import ERROR_BODY, ERROR_RESPONSES
from sokovan.api.schemas.sessions import SessionLogsResponse, SessionResponse, WaitTarget
from sokovan.common.status import SessionStatus
from sokovan.repositories.scheduler.types import KernelInfo, SessionInfo

router = APIRouter(prefix="/v1/sessions", tags=["sessions"], responses=ERROR_RESPONSES)

MAX_WAIT_SECONDS = 600.0


@router.get(
    "/{session_id}/wait",
    summary="Wait for a session to reach a status",
    responses={408: ERROR_BODY},
)
async def wait_for_session(
    session_id: uuid.UUID,
    context: Context,
    principal: Caller,
    until: WaitTarget,
    # The query parameter the endpoint is specified with; the deadline decides 200 or 408.
    timeout: Annotated[float, Query(gt=0, le=MAX_WAIT_SECONDS)] = 30.0,  # noqa: ASYNC109
) -> SessionResponse:
    """Return as soon as the session is `until` or has ended (TERMINATED, CANCELLED, ERROR);
    408 when `timeout` seconds pass first."""
    session = await visible_session(context, principal, session_id)
    targets = SessionStatus.terminal_statuses() | {SessionStatus(until.value)}
    return SessionResponse.of(await _poll_until(context, session, targets, timeout))


async def _poll_until(
    context: ApiContext,
    session: SessionInfo,
    targets: frozenset[SessionStatus],
    timeout: float,  # noqa: ASYNC109 - the deadline is part of the answer (408), not a cancel
) -> SessionInfo:
    # Status changes come from the scheduler in other tasks or processes; the database is
    # the one place all of them are visible, so it is read at a short interval.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while session.status not in targets:
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise WaitTimeoutError(
                f"session {session.session_id} is still {session.status} after {timeout:g} s; "
                "wait again or check its status",
                {"status": session.status.value},
            )
        await asyncio.sleep(min(context.config.wait_poll_interval, remaining))
        current = await context.api_repository.get_session(session.session_id)
        if current is None:
            raise SessionNotFoundError(f"session {session.session_id} no longer exists")
        session = current
    return session


@router.get(
    "/{session_id}/logs",
    summary="Console output of a kernel",
    responses={501: ERROR_BODY},
)
async def session_logs(
    session_id: uuid.UUID,
    context: Context,
    principal: Caller,
    kernel_id: uuid.UUID | None = None,
) -> SessionLogsResponse:
    """The output of `kernel_id`, or of the main kernel, fetched from its agent."""
    session = await visible_session(context, principal, session_id)
    if context.kernel_logs is None:
        raise PortUnavailableError(
            "kernel logs are not available from this manager: no agent client is configured "
            "to fetch them"
        )
    detail = await context.api_repository.get_session_detail(session.session_id)
    kernel = _chosen_kernel(() if detail is None else detail.kernels, session_id, kernel_id)
    if kernel.agent_id is None:
        raise KernelNotPlacedError(
            f"kernel {kernel.kernel_id} is not placed on an agent yet; "
            "wait until the session is RUNNING"
        )
    target = KernelLogTarget(
        session_id=session.session_id,
        kernel_id=kernel.kernel_id,
        agent_id=kernel.agent_id,
        agent_addr=kernel.agent_addr,
        container_id=kernel.container_id,
    )
    logs = await context.kernel_logs(target)
    return SessionLogsResponse(session_id=session_id, kernel_id=kernel.kernel_id, logs=logs)


def _chosen_kernel(
    kernels: tuple[KernelInfo, ...], session_id: uuid.UUID, kernel_id: uuid.UUID | None
) -> KernelInfo:
    for kernel in kernels:
        if kernel.kernel_id == kernel_id or (kernel_id is None and kernel.cluster_role == "main"):
            return kernel
    raise SessionNotFoundError(f"kernel {kernel_id or 'main'} of session {session_id} not found")
