"""/v1/sessions: submit, list, inspect and terminate sessions.

A user sees and touches only their own sessions; another user's session answers 404 exactly
like a missing one, so ids cannot be probed. Administrators see every session.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from sokovan.api.auth import Principal
from sokovan.api.context import ApiContext
from sokovan.api.deps import Caller, Context
from sokovan.api.errors import SessionNotFoundError
from sokovan.api.pagination import decode_cursor, encode_cursor
from sokovan.api.routers.paging import MAX_PAGE
from sokovan.api.schemas.common import ERROR_RESPONSES, INT32_MAX, Name
from sokovan.api.schemas.sessions import (
    HistoryEntry,
    KernelResponse,
    SessionCreateRequest,
    SessionDetailResponse,
    SessionListResponse,
    SessionName,
    SessionResponse,
    WhyPending,
)
from sokovan.api.submission import submit_session
from sokovan.common.errors import InvalidInputError
from sokovan.common.ids import SessionId
from sokovan.common.scheduling import SchedulingResult
from sokovan.common.status import SessionStatus
from sokovan.repositories.api.types import SessionDetail, SessionListQuery
from sokovan.repositories.scheduler.types import SessionInfo
from sokovan.scheduler.handlers.lifecycle.schedule_sessions import (
    ScheduleSessionsLifecycleHandler,
)

router = APIRouter(prefix="/v1/sessions", tags=["sessions"], responses=ERROR_RESPONSES)

#: The phase whose skipped outcomes say why a PENDING session waits.
SCHEDULE_PHASE = ScheduleSessionsLifecycleHandler.spec.name


async def visible_session(
    context: ApiContext, principal: Principal, session_id: uuid.UUID
) -> SessionInfo:
    """The session if the caller may see it; `SessionNotFoundError` otherwise."""
    session = await context.api_repository.get_session(SessionId(session_id))
    if session is None or not _may_see(principal, session):
        raise SessionNotFoundError(f"session {session_id} not found")
    return session


def _may_see(principal: Principal, session: SessionInfo) -> bool:
    return principal.is_admin or session.user_id == principal.user_id


@router.post("", status_code=201, summary="Submit a session")
async def create_session(
    body: SessionCreateRequest, context: Context, principal: Caller
) -> SessionResponse:
    """Queue a session as PENDING. Refused with 422 when it could never fit an ALIVE agent
    of the scaling group or exceeds an owner's total resource limit."""
    session_id = await submit_session(context, principal, body)
    return SessionResponse.of(await visible_session(context, principal, session_id))


@router.get("", summary="List sessions, newest first")
async def list_sessions(
    context: Context,
    principal: Caller,
    status: Annotated[list[SessionStatus] | None, Query(max_length=32)] = None,
    scaling_group: Annotated[Name | None, Query()] = None,
    name: Annotated[SessionName | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    cursor: Annotated[str | None, Query(max_length=256)] = None,
    offset: Annotated[int | None, Query(ge=0, le=INT32_MAX)] = None,
) -> SessionListResponse:
    """Filters combine; `status` may repeat. Page with `cursor` (the previous page's
    `next_cursor`) or with `offset`, not both."""
    if cursor is not None and offset is not None:
        raise InvalidInputError("give either cursor or offset, not both")
    query = SessionListQuery(
        limit=limit,
        statuses=frozenset(status or ()),
        scaling_group=scaling_group,
        name=name,
        user_id=None if principal.is_admin else principal.user_id,
        after=None if cursor is None else decode_cursor(cursor),
        offset=offset or 0,
    )
    page = await context.api_repository.list_sessions(query)
    return SessionListResponse(
        items=[SessionResponse.of(session) for session in page.items],
        next_cursor=None if page.next_cursor is None else encode_cursor(page.next_cursor),
    )


@router.get("/{session_id}", summary="Inspect a session")
async def get_session(
    session_id: uuid.UUID, context: Context, principal: Caller
) -> SessionDetailResponse:
    """The session with its kernels and scheduling history; a PENDING session also says why
    it waits and where it stands in its scaling group's queue."""
    detail = await context.api_repository.get_session_detail(SessionId(session_id))
    if detail is None or not _may_see(principal, detail.session):
        raise SessionNotFoundError(f"session {session_id} not found")
    session = detail.session
    pending = session.status is SessionStatus.PENDING
    return SessionDetailResponse.model_validate(
        {
            **SessionResponse.fields_of(session),
            "kernels": [KernelResponse.of(kernel) for kernel in detail.kernels],
            "history": [HistoryEntry.of(record) for record in detail.history],
            "why_pending": why_pending(detail) if pending else None,
            "queue_position": await _queue_position(context, session) if pending else None,
        }
    )


def why_pending(detail: SessionDetail) -> WhyPending | None:
    """From the latest skipped placement attempt; None before the first cycle."""
    for record in reversed(detail.history):
        if record.phase == SCHEDULE_PHASE and record.result is SchedulingResult.SKIPPED:
            return WhyPending(
                code=record.error_code, message=record.message, attempts=record.attempts
            )
    return None


async def _queue_position(context: ApiContext, session: SessionInfo) -> int | None:
    queue = await context.hint_store.get_pending_queue(session.scaling_group)
    try:
        return queue.index(session.session_id) + 1
    except ValueError:
        return None


@router.post("/{session_id}/terminate", status_code=202, summary="Terminate a session")
async def terminate_session(
    session_id: uuid.UUID, context: Context, principal: Caller
) -> SessionResponse:
    """A session that never started is cancelled at once; a started one begins terminating.
    Ended sessions are left as they are."""
    session = await visible_session(context, principal, session_id)
    await context.controller.mark_sessions_for_termination([session.session_id])
    return SessionResponse.of(await visible_session(context, principal, session_id))
