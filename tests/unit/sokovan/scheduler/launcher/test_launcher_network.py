"""Cluster networking per cluster mode and network type, and the plugin registry."""

from __future__ import annotations

import pytest
from launch_builders import K, RecordingErrors, RecordingKernels, image_configs, start_session

from sokovan.agent.protocol import CreateKernelsRequest
from sokovan.clients.agent_rpc import AgentClientProvider
from sokovan.common.scheduling import ClusterMode
from sokovan.scheduler.launcher.launcher import SessionLauncher
from sokovan.scheduler.launcher.network import (
    ClusterNetwork,
    NetworkPluginRegistry,
    NetworkRequest,
)
from sokovan.scheduler.launcher.types import LauncherConfig, SessionLaunchError
from unit.sokovan.clients.fake_agents import FakeAgents

CONFIGS = image_configs("py")
MULTI = ClusterMode.MULTI_NODE


def launcher_for(
    agents: FakeAgents,
    errors: RecordingErrors,
    plugin: str = "local",
    registry: NetworkPluginRegistry | None = None,
) -> SessionLauncher:
    config = LauncherConfig(network_plugin=plugin)
    return SessionLauncher(agents, RecordingKernels(), errors, config, registry)


def request_of(agents: FakeAgents, agent_id: str) -> CreateKernelsRequest:
    (request,) = agents[agent_id].calls_of("create_kernels")
    return request  # type: ignore[no-any-return]


async def test_a_single_kernel_session_needs_no_network() -> None:
    agents, errors = FakeAgents(), RecordingErrors()
    await launcher_for(agents, errors).start_sessions([start_session(K("a1"))], CONFIGS)
    assert agents.all_calls("create_local_network") == []
    assert agents.all_calls("assign_port") == []


async def test_a_single_node_cluster_gets_a_local_network_on_its_agent() -> None:
    agents, errors = FakeAgents(), RecordingErrors()
    data = start_session(K("a1"), K("a1"))

    await launcher_for(agents, errors).start_sessions([data], CONFIGS)

    name = f"sokovan-{data.session.session_id.hex}"
    assert agents.all_calls("create_local_network") == [("a1", name)]
    assert request_of(agents, "a1").cluster_info.network_name == name


async def test_the_local_plugin_creates_the_network_on_every_agent_of_a_multi_node_cluster() -> (
    None
):
    agents, errors = FakeAgents(), RecordingErrors()
    data = start_session(K("a1"), K("a2", host="localhost"), cluster_mode=MULTI)

    await launcher_for(agents, errors).start_sessions([data], CONFIGS)

    name = f"sokovan-{data.session.session_id.hex}"
    assert sorted(agents.all_calls("create_local_network")) == [("a1", name), ("a2", name)]
    assert request_of(agents, "a2").cluster_info.hosts == {
        "main1": "127.0.0.1",
        "sub2": "localhost",
    }


async def test_the_local_plugin_refuses_agents_on_other_machines() -> None:
    agents, errors = FakeAgents(), RecordingErrors()
    data = start_session(K("a1"), K("a2", host="10.0.0.7"), cluster_mode=MULTI)

    await launcher_for(agents, errors).start_sessions([data], CONFIGS)

    (error,) = errors.of(data.session.session_id)
    assert "only spans agents on this machine" in error["message"]
    assert "10.0.0.7" in error["message"]
    assert agents.all_calls("create_kernels") == []


async def test_a_missing_network_plugin_is_recorded_with_the_available_ones() -> None:
    agents, errors = FakeAgents(), RecordingErrors()
    data = start_session(K("a1"), K("a2"), cluster_mode=MULTI)

    report = await launcher_for(agents, errors, plugin="overlay").start_sessions([data], CONFIGS)

    assert report.started == ()
    (error,) = errors.of(data.session.session_id)
    assert error["name"] == "SessionLaunchError"
    assert error["message"] == (
        "network plugin 'overlay' is not registered; available plugins: local"
    )


class RecordingPlugin:
    def __init__(self) -> None:
        self.requests: list[NetworkRequest] = []

    async def create_network(
        self, request: NetworkRequest, agents: AgentClientProvider
    ) -> ClusterNetwork:
        self.requests.append(request)
        return ClusterNetwork(
            "overlay-1", {k.cluster_hostname: "10.9.0.1" for k in request.kernels}
        )


async def test_a_registered_plugin_spans_multi_node_clusters() -> None:
    agents, errors, plugin = FakeAgents(), RecordingErrors(), RecordingPlugin()
    registry = NetworkPluginRegistry({"overlay": plugin})
    data = start_session(K("a1"), K("a2"), cluster_mode=MULTI)

    await launcher_for(agents, errors, "overlay", registry).start_sessions([data], CONFIGS)

    assert [r.session_id for r in plugin.requests] == [data.session.session_id]
    assert request_of(agents, "a1").cluster_info.network_name == "overlay-1"
    assert registry.names == ["local", "overlay"]


async def test_host_networking_maps_an_ssh_port_per_kernel() -> None:
    agents, errors = FakeAgents(), RecordingErrors()
    data = start_session(K("a1"), K("a2"), cluster_mode=MULTI, network_type="host")

    await launcher_for(agents, errors).start_sessions([data], CONFIGS)

    assert sorted(agent for agent, _ in agents.all_calls("assign_port")) == ["a1", "a2"]
    assert agents.all_calls("create_local_network") == []
    on_a1 = request_of(agents, "a1")
    assert on_a1.cluster_info.network_name is None
    assert on_a1.cluster_info.hosts == {"main1": "127.0.0.1:30001", "sub2": "127.0.0.1:30001"}
    assert on_a1.kernel_configs[0].environ["BACKENDAI_SSH_PORT"] == "30001"


async def test_an_unknown_network_type_is_recorded() -> None:
    agents, errors = FakeAgents(), RecordingErrors()
    data = start_session(K("a1"), K("a1"), network_type="bridge-to-mars")

    await launcher_for(agents, errors).start_sessions([data], CONFIGS)

    assert "network type 'bridge-to-mars'" in errors.of(data.session.session_id)[0]["message"]


def test_registry_lookup_names_the_available_plugins() -> None:
    with pytest.raises(SessionLaunchError, match="'x' is not registered; available plugins: local"):
        NetworkPluginRegistry().get("x")
