"""What each kernel's creation config says (pure)."""

from __future__ import annotations

import dataclasses

import pytest
from launch_builders import USER_ID, K, image_configs, start_session

from sokovan.common.errors import ConfigurationError
from sokovan.common.scheduling import ClusterMode
from sokovan.scheduler.launcher.kernel_config import check_launchable, create_kernels_requests
from sokovan.scheduler.launcher.network import ClusterNetwork
from sokovan.scheduler.launcher.ssh import generate_ssh_keypair
from sokovan.scheduler.launcher.types import LauncherConfig, SessionLaunchError

CONFIGS = image_configs("py", "torch")


def test_creation_configs_carry_image_ids_slots_cluster_facts_and_environment() -> None:
    data = start_session(
        K("a1"),
        K("a2", image="torch"),
        K("a2"),
        cluster_mode=ClusterMode.MULTI_NODE,
        environ={"MY_VAR": "1", "BACKENDAI_SESSION_ID": "spoofed"},
    )
    network = ClusterNetwork("net", {"main1": "h1", "sub2": "h2", "sub3": "h2"})
    keys = generate_ssh_keypair(1024)
    config = LauncherConfig(idle_timeout=600, preopen_ports=(8080, 8888))

    requests = create_kernels_requests(data, CONFIGS, network, keys, config)

    sub = requests["a2"].kernel_configs[0]
    kernel = data.kernels[1]
    assert sub.kernel_id == str(kernel.kernel_id)
    assert (sub.image.name, sub.image.architecture) == ("torch", "x86_64")
    assert sub.image.environment == {"command": ["python3", "-m", "torch"]}
    assert (sub.cluster_role, sub.cluster_idx, sub.cluster_hostname) == ("sub", 2, "sub2")
    assert sub.resource_slots == {"cpu": "2", "mem": "1073741824"}
    assert sub.idle_timeout == 600
    assert sub.preopen_ports == [8080, 8888]
    assert sub.command is None
    session = data.session
    assert sub.environ == {
        "MY_VAR": "1",
        "BACKENDAI_SESSION_ID": str(session.session_id),
        "BACKENDAI_SESSION_NAME": session.name,
        "BACKENDAI_SESSION_TYPE": "interactive",
        "BACKENDAI_KERNEL_ID": str(kernel.kernel_id),
        "BACKENDAI_KERNEL_IMAGE": "torch",
        "BACKENDAI_USER_UUID": str(USER_ID),
        "BACKENDAI_USER_EMAIL": "ada@example.com",
        "BACKENDAI_USER_NAME": "ada",
        "BACKENDAI_ACCESS_KEY": "AK1",
        "BACKENDAI_DOMAIN_NAME": "default",
        "BACKENDAI_GROUP_ID": str(session.group_id),
        "BACKENDAI_GROUP_NAME": "research",
        "BACKENDAI_CLUSTER_MODE": "multi-node",
        "BACKENDAI_CLUSTER_SIZE": "3",
        "BACKENDAI_CLUSTER_ROLE": "sub",
        "BACKENDAI_CLUSTER_IDX": "2",
        "BACKENDAI_CLUSTER_LOCAL_RANK": "1",
        "BACKENDAI_CLUSTER_HOST": "sub2",
        "BACKENDAI_CLUSTER_HOSTS": "main1,sub2,sub3",
        "BACKENDAI_CLUSTER_REPLICAS": "main:1,sub:2",
    }
    info = requests["a1"].cluster_info
    assert (info.mode, info.size, info.network_name) == ("multi-node", 3, "net")
    assert info.hosts == {"main1": "h1", "sub2": "h2", "sub3": "h2"}
    assert (info.ssh_private_key, info.ssh_public_key) == (keys.private_key, keys.public_key)


def test_a_session_must_have_placed_kernels_with_registered_images() -> None:
    check_launchable(start_session(K("a1")), CONFIGS)
    with pytest.raises(SessionLaunchError, match="not registered: ghost"):
        check_launchable(start_session(K("a1", image="ghost")), CONFIGS)
    with pytest.raises(SessionLaunchError, match="kernels without an agent"):
        check_launchable(start_session(K(None)), CONFIGS)


def test_one_agent_takes_at_most_64_kernels_per_request() -> None:
    data = start_session(*[K("a1")] * 65)
    with pytest.raises(SessionLaunchError, match="puts 65 kernels on agent 'a1'"):
        create_kernels_requests(data, CONFIGS, ClusterNetwork(None, {}), None, LauncherConfig())


@pytest.mark.parametrize(
    "values",
    [{"session_start_timeout": 0}, {"idle_timeout": -1}, {"preopen_ports": (0,)}],
)
def test_launcher_config_refuses_impossible_values(values: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        LauncherConfig(**values)  # type: ignore[arg-type]


def test_the_keypair_never_shows_its_private_half() -> None:
    keys = generate_ssh_keypair(1024)
    assert "PRIVATE" not in repr(keys)


def test_a_startup_command_is_sent_as_an_argument_vector() -> None:
    data = start_session(K("a1"))
    kernel = dataclasses.replace(data.kernels[0], startup_command="python3 -c 'print(1)'")
    data = dataclasses.replace(data, kernels=(kernel,))
    network = ClusterNetwork(None, {})

    requests = create_kernels_requests(data, CONFIGS, network, None, LauncherConfig())

    assert requests["a1"].kernel_configs[0].command == ["python3", "-c", "print(1)"]
