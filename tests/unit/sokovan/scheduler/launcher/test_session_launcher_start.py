"""SessionLauncher.start_sessions_for_handler over recording fake agents."""

from __future__ import annotations

import asyncio

import pytest
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_ssh_public_key
from launch_builders import (
    K,
    RecordingErrors,
    RecordingKernels,
    image_configs,
    start_session,
    without_kernels,
)

from sokovan.agent.protocol import CreateKernelsRequest
from sokovan.common.errors import AgentError
from sokovan.common.scheduling import ClusterMode
from sokovan.scheduler.launcher.launcher import SessionLauncher
from sokovan.scheduler.launcher.types import LauncherConfig
from unit.sokovan.clients.fake_agents import FakeAgents, Gate, unreachable

CONFIGS = image_configs("py")
MULTI = ClusterMode.MULTI_NODE


@pytest.fixture
def agents() -> FakeAgents:
    return FakeAgents()


@pytest.fixture
def errors() -> RecordingErrors:
    return RecordingErrors()


@pytest.fixture
def launcher(agents: FakeAgents, errors: RecordingErrors) -> SessionLauncher:
    return SessionLauncher(agents, RecordingKernels(), errors)


def requests(agents: FakeAgents, agent_id: str) -> list[CreateKernelsRequest]:
    return agents[agent_id].calls_of("create_kernels")  # type: ignore[no-any-return]


async def test_st_001_a_session_gets_one_create_call_on_its_agent(
    agents: FakeAgents, launcher: SessionLauncher, errors: RecordingErrors
) -> None:
    data = start_session(K("a1"))

    report = await launcher.start_sessions([data], CONFIGS)

    (request,) = requests(agents, "a1")
    assert request.session_id == str(data.session.session_id)
    assert [c.kernel_id for c in request.kernel_configs] == [str(data.kernels[0].kernel_id)]
    assert request.cluster_info.network_name is None
    assert request.cluster_info.ssh_private_key is None
    assert report.started == (data.session.session_id,)
    assert errors.reports == []


async def test_st_005_a_cluster_gets_one_call_per_agent_with_all_its_kernels(
    agents: FakeAgents, launcher: SessionLauncher
) -> None:
    data = start_session(K("a1"), K("a2"), K("a1"), cluster_mode=MULTI)

    report = await launcher.start_sessions([data], CONFIGS)

    on_a1, on_a2 = requests(agents, "a1")[0], requests(agents, "a2")[0]
    assert [c.cluster_idx for c in on_a1.kernel_configs] == [1, 3]
    assert [c.cluster_idx for c in on_a2.kernel_configs] == [2]
    assert on_a1.cluster_info == on_a2.cluster_info
    assert on_a1.cluster_info.hosts == {
        "main1": "127.0.0.1",
        "sub2": "127.0.0.1",
        "sub3": "127.0.0.1",
    }
    assert report.started == (data.session.session_id,)


async def test_st_002_an_unreachable_agent_is_recorded_and_raised_when_nothing_started(
    agents: FakeAgents, launcher: SessionLauncher, errors: RecordingErrors
) -> None:
    agents.fail("a1", unreachable("a1", "create_kernels"))
    data = start_session(K("a1"))

    with pytest.raises(AgentError, match="'a1': create_kernels failed: connection refused"):
        await launcher.start_sessions_for_handler([data], CONFIGS)
    assert errors.of(data.session.session_id) == [
        {
            "phase": "start-sessions",
            "agent_id": "a1",
            "name": "AgentRpcError",
            "message": "agent 'a1': create_kernels failed: connection refused",
        }
    ]


async def test_st_006_a_partly_failed_cluster_is_recorded_without_raising(
    agents: FakeAgents, launcher: SessionLauncher, errors: RecordingErrors
) -> None:
    agents.fail("a2", unreachable("a2", "create_kernels"), method="create_kernels")
    data = start_session(K("a1"), K("a2"), cluster_mode=MULTI)

    report = await launcher.start_sessions([data], CONFIGS)

    assert report.started == ()
    assert [e["agent_id"] for e in errors.of(data.session.session_id)] == ["a2"]
    assert len(requests(agents, "a1")) == 1


async def test_kernels_an_agent_refuses_are_recorded(
    agents: FakeAgents, launcher: SessionLauncher, errors: RecordingErrors
) -> None:
    data = start_session(K("a1"), K("a1"))
    agents["a1"].refused_kernels = {str(data.kernels[1].kernel_id)}

    report = await launcher.start_sessions([data], CONFIGS)

    assert report.started == ()
    (error,) = errors.of(data.session.session_id)
    assert error["message"].endswith(f"refused kernels {data.kernels[1].kernel_id}")


async def test_one_session_failing_does_not_raise_when_another_started(
    agents: FakeAgents, launcher: SessionLauncher
) -> None:
    agents.fail("a2", unreachable("a2"))
    fine, broken = start_session(K("a1")), start_session(K("a2"))

    report = await launcher.start_sessions([fine, broken], CONFIGS)

    assert report.started == (fine.session.session_id,)
    assert set(report.errors) == {broken.session.session_id}


async def test_sessions_start_concurrently(agents: FakeAgents, launcher: SessionLauncher) -> None:
    gate = Gate()
    agents["a1"].gate = gate
    starting = asyncio.create_task(
        launcher.start_sessions([start_session(K("a1")), start_session(K("a1"))], CONFIGS)
    )

    await asyncio.wait_for(gate.wait_for(2), timeout=5)
    gate.open()
    assert len((await starting).started) == 2


async def test_a_session_that_takes_too_long_is_recorded_and_the_others_go_on(
    agents: FakeAgents, errors: RecordingErrors
) -> None:
    agents["slow"].gate = Gate()  # never opened
    launcher = SessionLauncher(
        agents, RecordingKernels(), errors, LauncherConfig(session_start_timeout=0.05)
    )
    slow, fine = start_session(K("slow")), start_session(K("a1"))

    report = await launcher.start_sessions([slow, fine], CONFIGS)

    assert report.started == (fine.session.session_id,)
    (error,) = errors.of(slow.session.session_id)
    assert error["message"] == f"starting session {slow.session.session_id} took longer than 0.05 s"


async def test_a_session_without_kernels_is_recorded_without_calling_agents(
    agents: FakeAgents, launcher: SessionLauncher, errors: RecordingErrors
) -> None:
    data = without_kernels(start_session(K("a1")))

    report = await launcher.start_sessions([data], CONFIGS)

    assert report.started == ()
    assert agents.acquired == []
    assert errors.of(data.session.session_id)[0]["name"] == "SessionLaunchError"
    assert "has no kernels" in errors.of(data.session.session_id)[0]["message"]


async def test_an_unregistered_image_is_recorded_not_raised(
    agents: FakeAgents, launcher: SessionLauncher, errors: RecordingErrors
) -> None:
    data = start_session(K("a1", image="ghost"))

    await launcher.start_sessions_for_handler([data], CONFIGS)

    assert agents.acquired == []
    assert (
        "uses images that are not registered: ghost (x86_64)"
        in (errors.of(data.session.session_id)[0]["message"])
    )


async def test_a_kernel_without_agent_is_recorded_not_raised(
    launcher: SessionLauncher, errors: RecordingErrors
) -> None:
    data = start_session(K(None))
    await launcher.start_sessions_for_handler([data], CONFIGS)
    assert "has kernels without an agent" in errors.of(data.session.session_id)[0]["message"]


async def test_cluster_sessions_share_an_rsa_keypair_single_kernels_get_none(
    agents: FakeAgents, launcher: SessionLauncher
) -> None:
    cluster, single = start_session(K("a1"), K("a1")), start_session(K("a2"))

    await launcher.start_sessions([cluster, single], CONFIGS)

    info = requests(agents, "a1")[0].cluster_info
    assert info.ssh_private_key is not None
    assert info.ssh_public_key is not None
    private = load_pem_private_key(info.ssh_private_key.encode(), password=None)
    public = load_ssh_public_key(info.ssh_public_key.encode())
    assert isinstance(private, RSAPrivateKey)
    assert isinstance(public, RSAPublicKey)
    assert private.public_key().public_numbers() == public.public_numbers()
    assert info.ssh_private_key.startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert info.ssh_public_key.startswith("ssh-rsa ")
    assert requests(agents, "a2")[0].cluster_info.ssh_private_key is None
