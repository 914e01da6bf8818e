"""The manager's side of agent reports: heartbeats and kernel events over HTTP."""

from sokovan.agent_gateway.router import create_agent_gateway_router
from sokovan.agent_gateway.service import AgentGatewayService

__all__ = ["AgentGatewayService", "create_agent_gateway_router"]
