"""Image environments and pulls: ready at once without requirements, a failing requirement
fails the pull with pip's reason (a local path that does not exist: no network involved)."""

from __future__ import annotations

from pathlib import Path

import pytest
from agent_testkit import ARCH, RecordingSink, image, wait_until

from sokovan.agent.errors import ImagePreparationError, InvalidImageError
from sokovan.agent.events import AgentIdentity, EventEmitter
from sokovan.agent.images import ImageEnvironment, VenvBuilder, resolve_environment
from sokovan.agent.protocol import ImagePullStatus, ImageSpec, KernelEventKind
from sokovan.agent.pulls import ImagePuller
from sokovan.agent.runtime.process import ProcessRuntime
from sokovan.common.clock import ManualClock

MISSING_REQUIREMENT = "/nonexistent/sokovan-test/package-that-is-not-there"


def _puller(tmp_path: Path, sink: RecordingSink) -> ImagePuller:
    runtime = ProcessRuntime(
        data_dir=tmp_path,
        images={"configured": ImageEnvironment(command=["python3"])},
        venvs=VenvBuilder(tmp_path / "venvs"),
        env_passthrough=["PATH"],
        poll_interval=0.05,
    )
    identity = AgentIdentity("a1", "i1", "default", ARCH, {}, "process", "test")
    return ImagePuller(runtime, ARCH, EventEmitter(identity, sink, ManualClock()))


def test_the_sent_environment_wins_over_the_configured_one() -> None:
    configured = {"py": ImageEnvironment(command=["configured"])}
    assert resolve_environment(image("py", command=["sent"]), configured).command == ["sent"]
    assert resolve_environment(image("py"), configured).command == ["configured"]
    assert resolve_environment(image("other"), configured) == ImageEnvironment()


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"command": "not-a-list"}, "invalid environment"),
        ({"unknown_key": 1}, "invalid environment"),
        ({"requirements": ["--index-url=http://elsewhere"]}, "not pip options"),
        ({"requirements": ["  "]}, "invalid requirement"),
    ],
)
def test_malformed_environments_are_refused(environment: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidImageError, match=message):
        resolve_environment(image("bad", **environment), {})


def test_an_image_without_requirements_needs_no_venv(tmp_path: Path) -> None:
    builder = VenvBuilder(tmp_path)
    environment = ImageEnvironment(command=["python3"])
    assert builder.venv_dir("py", environment) is None
    assert builder.is_ready("py", environment)


def test_venv_directories_differ_by_requirements(tmp_path: Path) -> None:
    builder = VenvBuilder(tmp_path)
    one = builder.venv_dir("a/b:c", ImageEnvironment(requirements=["x"]))
    two = builder.venv_dir("a/b:c", ImageEnvironment(requirements=["y"]))
    assert one is not None
    assert two is not None
    assert one != two
    assert one.parent == tmp_path
    assert one.name.startswith("a_b_c-")


async def test_empty_requirements_are_ready_at_once_without_events(tmp_path: Path) -> None:
    sink = RecordingSink()
    puller = _puller(tmp_path, sink)

    results = puller.check_and_pull([image("py", command=["python3"]), image("configured")])

    assert [result.status for result in results] == [ImagePullStatus.READY] * 2
    assert puller.ready_images() == ["configured", "py"]
    assert sink.events == []


async def test_an_image_is_ready_now_only_when_present_valid_and_not_being_pulled(
    tmp_path: Path,
) -> None:
    sink = RecordingSink()
    puller = _puller(tmp_path, sink)
    pulled = image("slow", requirements=[MISSING_REQUIREMENT])

    puller.check_and_pull([pulled])

    assert puller.ready_now(image("configured"))
    assert not puller.ready_now(ImageSpec(name="py", architecture="aarch64", environment={}))
    assert not puller.ready_now(pulled)  # being pulled (and failing)
    await sink.wait_for(KernelEventKind.IMAGE_PULL_FAILED)
    assert not puller.ready_now(pulled)  # its venv never got built
    await puller.close()


async def test_a_wrong_architecture_fails_at_once_with_the_reason(tmp_path: Path) -> None:
    puller = _puller(tmp_path, RecordingSink())
    spec = ImageSpec(name="py", architecture="aarch64", environment={})

    [result] = puller.check_and_pull([spec])

    assert result.status is ImagePullStatus.FAILED
    assert result.detail is not None
    assert "built for aarch64" in result.detail
    assert ARCH in result.detail


async def test_a_failing_requirement_fails_the_pull_with_pips_reason(tmp_path: Path) -> None:
    sink = RecordingSink()
    puller = _puller(tmp_path, sink)
    spec = image("broken", command=["python3"], requirements=[MISSING_REQUIREMENT])

    [first] = puller.check_and_pull([spec])
    [again] = puller.check_and_pull([spec])  # while the first pull runs: joined, not repeated
    failed = await sink.wait_for(KernelEventKind.IMAGE_PULL_FAILED)

    assert first.status is again.status is ImagePullStatus.PULLING
    assert sink.kinds() == [KernelEventKind.IMAGE_PULL_STARTED, KernelEventKind.IMAGE_PULL_FAILED]
    assert failed.image == "broken"
    assert failed.reason is not None
    assert "installing the requirements failed" in failed.reason
    assert MISSING_REQUIREMENT in failed.reason
    assert "broken" not in puller.ready_images()
    with pytest.raises(ImagePreparationError, match="installing the requirements failed"):
        await puller.ensure_ready(spec)  # a failed image is pulled again when asked for
    await puller.close()


async def test_closing_cancels_pulls_in_progress(tmp_path: Path) -> None:
    sink = RecordingSink()
    puller = _puller(tmp_path, sink)
    puller.check_and_pull([image("slow", requirements=[MISSING_REQUIREMENT])])
    await wait_until(lambda: sink.events, "the pull to start")

    await puller.close()

    assert sink.kinds() == [KernelEventKind.IMAGE_PULL_STARTED]
