"""The agent repository and the value types it speaks."""

from sokovan.repositories.agent.repository import AgentRepository
from sokovan.repositories.agent.types import AgentHeartbeat, AgentInfo, HeartbeatOutcome

__all__ = ["AgentHeartbeat", "AgentInfo", "AgentRepository", "HeartbeatOutcome"]
