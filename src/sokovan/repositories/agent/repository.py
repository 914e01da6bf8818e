"""AgentRepository: the agent registry's reads and writes (heartbeats, liveness, usage).

The methods live in focused mixins that share the engine and clock of `RepositoryBase`.
"""

from __future__ import annotations

from sokovan.repositories.agent.heartbeat import HeartbeatMixin
from sokovan.repositories.agent.liveness import LivenessMixin
from sokovan.repositories.agent.reads import AgentReadsMixin
from sokovan.repositories.agent.usage import UsageMixin


class AgentRepository(AgentReadsMixin, HeartbeatMixin, LivenessMixin, UsageMixin):
    """The agent service's and heartbeat handler's only door to the database."""
