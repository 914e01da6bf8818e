"""`create_app`: the manager's REST API as a FastAPI application.

Each call builds an independent app: its own credential cache and its own Prometheus
registry, so several apps (tests, embedded setups) can live in one process.
"""

from __future__ import annotations

from fastapi import FastAPI

from sokovan import __version__
from sokovan.api.auth import Authenticator, CredentialCache
from sokovan.api.context import ApiContext
from sokovan.api.deps import STATE_ATTRIBUTE, AppServices
from sokovan.api.errors import install_error_handlers
from sokovan.api.limits import BodySizeLimit
from sokovan.api.metrics import ClusterStatsCollector, build_registry
from sokovan.api.routers import (
    admin,
    admin_access,
    agents,
    health,
    metrics,
    scaling_groups,
    session_watch,
    sessions,
)

DESCRIPTION = """
Submit and follow compute sessions; administer agents, scaling groups, tenants and quotas.

Authenticate every call (except /healthz and /metrics) with
`Authorization: Bearer <access_key>:<secret_key>`. Errors are
`{"error": {"code", "message", "details"}}`.
"""


def create_app(context: ApiContext) -> FastAPI:
    app = FastAPI(title="sokovan manager API", version=__version__, description=DESCRIPTION)
    cache = CredentialCache(
        context.clock, context.config.credential_cache_ttl, context.config.credential_cache_size
    )
    cluster_stats = ClusterStatsCollector()
    setattr(
        app.state,
        STATE_ATTRIBUTE,
        AppServices(
            context=context,
            credentials=cache,
            authenticator=Authenticator(context.api_repository, cache),
            cluster_stats=cluster_stats,
            registry=build_registry(context.metrics, cluster_stats),
        ),
    )
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=context.config.max_body_bytes)
    for module in (
        sessions,
        session_watch,
        agents,
        scaling_groups,
        admin,
        admin_access,
        health,
        metrics,
    ):
        app.include_router(module.router)
    return app
