"""SessionLauncher: the `SessionLauncherPort` over agent RPCs.

Image pulling lives in `pulling.py`, kernel creation in `starting.py`; this class wires them
to one agent client provider, the kernel state engine and the place launch errors are
recorded. Both steps only *start* work on the agents: outcomes arrive as kernel events.

Error policy (reconciling seed 000 ST-002/ST-006 with seed 001 SC-CP-003/SC-ST-003): one
agent's or one session's failure is recorded in the affected sessions' status_data and never
blocks the rest; the call raises `AgentError` only when agents were called and every call
failed, which the coordinator turns into the phase's expired transition (back to PENDING).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sokovan.clients.agent_rpc import AgentClientProvider
from sokovan.repositories.scheduler.types import (
    ImageConfig,
    ImageIdentifier,
    SessionDataForPull,
    SessionDataForStart,
)
from sokovan.scheduler.launcher.network import ClusterNetworkBuilder, NetworkPluginRegistry
from sokovan.scheduler.launcher.pulling import ImagePuller
from sokovan.scheduler.launcher.starting import SessionStarter
from sokovan.scheduler.launcher.types import (
    KernelProgressWriter,
    LauncherConfig,
    PullReport,
    SessionErrorRecorder,
    StartReport,
)


class SessionLauncher:
    """Starts sessions on their agents.

    `kernels` is the kernel state engine, `errors` where launch errors are recorded (the
    scheduler repository). `network_plugins` defaults to a registry with the "local" plugin;
    `config.network_plugin` picks the one multi-node clusters use.
    """

    def __init__(
        self,
        agents: AgentClientProvider,
        kernels: KernelProgressWriter,
        errors: SessionErrorRecorder,
        config: LauncherConfig | None = None,
        network_plugins: NetworkPluginRegistry | None = None,
    ) -> None:
        config = config or LauncherConfig()
        plugins = network_plugins or NetworkPluginRegistry()
        network = ClusterNetworkBuilder(agents, plugins, config.network_plugin)
        self._puller = ImagePuller(agents, kernels, errors)
        self._starter = SessionStarter(agents, network, errors, config)

    async def trigger_image_pulling(
        self,
        sessions: Sequence[SessionDataForPull],
        image_configs: Mapping[ImageIdentifier, ImageConfig],
    ) -> None:
        """Ask each involved agent once for its images; pulling completes asynchronously."""
        await self.pull_images(sessions, image_configs)

    async def pull_images(
        self,
        sessions: Sequence[SessionDataForPull],
        image_configs: Mapping[ImageIdentifier, ImageConfig],
    ) -> PullReport:
        """`trigger_image_pulling`, reporting what it did."""
        return await self._puller.pull(sessions, image_configs)

    async def start_sessions_for_handler(
        self,
        sessions: Sequence[SessionDataForStart],
        image_configs: Mapping[ImageIdentifier, ImageConfig],
    ) -> None:
        """Create the sessions' kernels on their agents; creation completes asynchronously."""
        await self.start_sessions(sessions, image_configs)

    async def start_sessions(
        self,
        sessions: Sequence[SessionDataForStart],
        image_configs: Mapping[ImageIdentifier, ImageConfig],
    ) -> StartReport:
        """`start_sessions_for_handler`, reporting what it did."""
        return await self._starter.start(sessions, image_configs)
