"""/healthz: is this manager able to serve (its database reachable)?"""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from sokovan.api.deps import Context

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness and database reachability")
async def healthz(context: Context) -> JSONResponse:
    """200 {"status": "ok"} when the database answers, 503 {"status": "unavailable"} if not.
    Needs no credentials."""
    try:
        await context.api_repository.ping()
    except Exception as exc:  # any failure to answer means "not healthy", whatever its type
        log.warning("health check: database unreachable: %s", exc)
        return JSONResponse({"status": "unavailable", "reason": "database unreachable"}, 503)
    return JSONResponse({"status": "ok"})
