"""/metrics: Prometheus exposition of this app's registry (no credentials, as scrapers expect)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from sokovan.api.deps import Services
from sokovan.api.metrics import CONTENT_TYPE, render_metrics

router = APIRouter(tags=["metrics"])


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(services: Services) -> Response:
    """Scheduler counters and histograms, plus sessions by status and agent slots read from
    the database at scrape time."""
    stats = await services.context.api_repository.get_cluster_stats()
    body = render_metrics(services.registry, services.cluster_stats, stats)
    return Response(body, media_type=CONTENT_TYPE)
