"""SessionLauncher.trigger_image_pulling over recording fake agents."""

from __future__ import annotations

import asyncio

import pytest
from launch_builders import RecordingErrors, RecordingKernels, binding, image_configs, pull_session

from sokovan.agent.protocol import ImagePullStatus
from sokovan.common.errors import AgentError
from sokovan.common.status import KernelStatus
from sokovan.scheduler.launcher.launcher import SessionLauncher
from unit.sokovan.clients.fake_agents import FakeAgents, Gate, remote_error, unreachable

S = KernelStatus
CONFIGS = image_configs("py", "torch")


@pytest.fixture
def agents() -> FakeAgents:
    return FakeAgents()


@pytest.fixture
def kernels() -> RecordingKernels:
    return RecordingKernels()


@pytest.fixture
def errors() -> RecordingErrors:
    return RecordingErrors()


@pytest.fixture
def launcher(
    agents: FakeAgents, kernels: RecordingKernels, errors: RecordingErrors
) -> SessionLauncher:
    return SessionLauncher(agents, kernels, errors)


async def test_each_agent_is_asked_once_for_its_distinct_images(
    agents: FakeAgents, launcher: SessionLauncher
) -> None:
    sessions = [
        pull_session(binding("a1", "py"), binding("a1", "torch"), binding("a2", "py")),
        pull_session(binding("a1", "py"), binding("a2", "py")),
    ]

    report = await launcher.pull_images(sessions, CONFIGS)

    asked = {
        agent: [image.name for image in images]
        for agent, images in agents.all_calls("check_and_pull")
    }
    assert asked == {"a1": ["py", "torch"], "a2": ["py"]}
    assert report.agents_asked == ("a1", "a2")
    assert agents["a1"].calls_of("check_and_pull")[0][0].environment == {
        "command": ["python3", "-m", "py"]
    }


async def test_agents_are_asked_in_parallel(agents: FakeAgents, launcher: SessionLauncher) -> None:
    gate = Gate()
    agents["a1"].gate = agents["a2"].gate = gate
    pulling = asyncio.create_task(
        launcher.trigger_image_pulling(
            [pull_session(binding("a1")), pull_session(binding("a2"))], CONFIGS
        )
    )

    # Both calls are in flight before either has answered.
    await asyncio.wait_for(gate.wait_for(2), timeout=5)
    gate.open()
    await pulling


async def test_st_004_kernels_whose_image_is_ready_are_prepared_at_once(
    launcher: SessionLauncher, kernels: RecordingKernels
) -> None:
    session = pull_session(first := binding("a1"), second := binding("a1"))

    report = await launcher.pull_images([session], CONFIGS)

    assert kernels.advanced == [(S.PREPARED, [first.kernel_id, second.kernel_id], "image-ready")]
    assert report.prepared == (first.kernel_id, second.kernel_id)


async def test_st_003_kernels_whose_image_is_pulling_move_to_pulling(
    agents: FakeAgents, launcher: SessionLauncher, kernels: RecordingKernels
) -> None:
    agents["a1"].image_status = {"torch": ImagePullStatus.PULLING}
    ready, pulling = binding("a1", "py"), binding("a1", "torch")

    report = await launcher.pull_images([pull_session(ready, pulling)], CONFIGS)

    assert kernels.moved_to(S.PREPARED) == {ready.kernel_id}
    assert kernels.moved_to(S.PULLING) == {pulling.kernel_id}
    assert report.pulling == (pulling.kernel_id,)


async def test_a_failed_pull_terminates_the_kernels_and_records_why(
    agents: FakeAgents,
    launcher: SessionLauncher,
    kernels: RecordingKernels,
    errors: RecordingErrors,
) -> None:
    agents["a1"].image_status = {"torch": ImagePullStatus.FAILED}
    session = pull_session(failed := binding("a1", "torch"))

    await launcher.trigger_image_pulling([session], CONFIGS)

    assert kernels.terminated == [([failed.kernel_id], "image-pull-failed: no such package")]
    assert errors.of(session.session_id) == [
        {
            "phase": "check-precondition",
            "agent_id": "a1",
            "name": "ImagePullFailed",
            "message": "image-pull-failed: no such package",
        }
    ]


async def test_one_agent_failing_is_recorded_and_does_not_block_the_others(
    agents: FakeAgents,
    launcher: SessionLauncher,
    kernels: RecordingKernels,
    errors: RecordingErrors,
) -> None:
    agents.fail("a1", unreachable("a1", "check_and_pull"))
    on_a1 = pull_session(binding("a1"))
    on_a2 = pull_session(healthy := binding("a2"))
    spanning = pull_session(binding("a1"), binding("a2"))

    report = await launcher.pull_images([on_a1, on_a2, spanning], CONFIGS)

    assert set(report.failed_agents) == {"a1"}
    assert healthy.kernel_id in kernels.moved_to(S.PREPARED)
    assert [e["agent_id"] for e in errors.of(on_a1.session_id)] == ["a1"]
    assert "connection refused" in errors.of(spanning.session_id)[0]["message"]
    assert errors.of(on_a2.session_id) == []


async def test_every_agent_failing_raises_so_the_coordinator_expires_the_sessions(
    agents: FakeAgents, launcher: SessionLauncher, errors: RecordingErrors
) -> None:
    agents.fail("a1", unreachable("a1", "check_and_pull"), on_acquire=True)
    agents.fail("a2", remote_error("a2", "check_and_pull"))
    sessions = [pull_session(binding("a1")), pull_session(binding("a2"))]

    with pytest.raises(AgentError, match=r"every agent call failed: .*'a1'.*'a2'"):
        await launcher.trigger_image_pulling(sessions, CONFIGS)
    assert {r.session_id for r in errors.reports} == {s.session_id for s in sessions}


async def test_a_single_failing_agent_raises_its_own_error(
    agents: FakeAgents, launcher: SessionLauncher
) -> None:
    agents.fail("a1", unreachable("a1", "check_and_pull"))
    with pytest.raises(AgentError, match="'a1': check_and_pull failed: connection refused"):
        await launcher.trigger_image_pulling([pull_session(binding("a1"))], CONFIGS)


async def test_missing_image_config_and_unplaced_kernels_are_recorded_not_raised(
    agents: FakeAgents,
    launcher: SessionLauncher,
    kernels: RecordingKernels,
    errors: RecordingErrors,
) -> None:
    broken = pull_session(binding("a1", "unknown"), binding(None))
    fine = pull_session(ok := binding("a1"))

    await launcher.trigger_image_pulling([broken, fine], CONFIGS)

    messages = [e["message"] for e in errors.of(broken.session_id)]
    assert "uses image unknown (x86_64), which is not registered" in messages[0]
    assert "is not placed on an agent" in messages[1]
    assert [image.name for _, images in agents.all_calls("check_and_pull") for image in images] == [
        "py"
    ]
    assert kernels.moved_to(S.PREPARED) == {ok.kernel_id}


async def test_a_session_with_only_broken_kernels_calls_no_agent_and_does_not_raise(
    agents: FakeAgents, launcher: SessionLauncher, errors: RecordingErrors
) -> None:
    await launcher.trigger_image_pulling([pull_session(binding("a1", "unknown"))], CONFIGS)
    assert agents.all_calls("check_and_pull") == []
    assert len(errors.reports) == 1


async def test_finished_kernels_are_not_pulled_for(
    agents: FakeAgents, launcher: SessionLauncher
) -> None:
    session = pull_session(binding("a1", "torch", S.TERMINATED), binding("a1", "py"))
    await launcher.trigger_image_pulling([session], CONFIGS)
    assert [i.name for _, images in agents.all_calls("check_and_pull") for i in images] == ["py"]


async def test_an_image_the_agent_did_not_report_is_recorded(
    agents: FakeAgents, launcher: SessionLauncher, errors: RecordingErrors
) -> None:
    agents["a1"].unreported_images = {"torch"}
    session = pull_session(binding("a1", "torch"))

    await launcher.trigger_image_pulling([session], CONFIGS)

    assert errors.of(session.session_id)[0]["message"] == (
        "agent 'a1' did not report image torch (x86_64)"
    )


async def test_a_failing_error_record_is_logged_not_raised(
    agents: FakeAgents, kernels: RecordingKernels
) -> None:
    agents.fail("a1", unreachable("a1"))
    launcher = SessionLauncher(agents, kernels, RecordingErrors(fail=True))
    await launcher.trigger_image_pulling(
        [pull_session(binding("a1")), pull_session(binding("a2"))], CONFIGS
    )
