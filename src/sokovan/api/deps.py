"""Per-app services and the FastAPI dependencies that hand them (and the caller) to endpoints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CollectorRegistry

from sokovan.api.auth import Authenticator, CredentialCache, Principal
from sokovan.api.context import ApiContext
from sokovan.api.errors import PermissionDeniedError
from sokovan.api.metrics import ClusterStatsCollector

STATE_ATTRIBUTE = "sokovan"


@dataclass(frozen=True, slots=True)
class AppServices:
    """What one app instance owns besides the context: auth cache and metrics registry."""

    context: ApiContext
    credentials: CredentialCache
    authenticator: Authenticator
    cluster_stats: ClusterStatsCollector
    registry: CollectorRegistry


def app_services(request: Request) -> AppServices:
    services = getattr(request.app.state, STATE_ATTRIBUTE, None)
    if not isinstance(services, AppServices):
        raise RuntimeError("the app was not built by sokovan.api.create_app")
    return services


def app_context(request: Request) -> ApiContext:
    return app_services(request).context


Services = Annotated[AppServices, Depends(app_services)]
Context = Annotated[ApiContext, Depends(app_context)]

# Parses nothing itself beyond the scheme; it is here so that /docs offers "Authorize".
_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="keypair",
    description="`Authorization: Bearer <access_key>:<secret_key>`",
)


async def current_principal(
    request: Request,
    services: Services,
    _: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    return await services.authenticator.authenticate(request.headers.get("authorization"))


Caller = Annotated[Principal, Depends(current_principal)]


async def admin_principal(principal: Caller) -> Principal:
    if not principal.is_admin:
        raise PermissionDeniedError("this endpoint is for administrators only")
    return principal


Admin = Annotated[Principal, Depends(admin_principal)]
