"""The kernel registry: what a restarted agent reads back, retention, a damaged file."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sokovan.agent.registry import KernelRecord, KernelRegistry, KernelState

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _record(
    kernel_id: str, state: KernelState = KernelState.RUNNING, **fields: object
) -> KernelRecord:
    return KernelRecord(
        kernel_id=kernel_id,
        session_id="s1",
        image="python",
        state=state,
        created_at=T0,
        **fields,  # type: ignore[arg-type]
    )


def test_records_and_networks_survive_a_reload(tmp_path: Path) -> None:
    path = tmp_path / "registry.json"
    registry = KernelRegistry(path)
    running = _record("k1", pid=1234, pid_start_ticks=99, kernel_dir="/x/k1", container_id="1234")
    ended = _record("k2").ended(T0 + timedelta(seconds=5), exit_code=0, reason="exited")
    registry.put(running)
    registry.put(ended)
    assert registry.add_network("net-a") is True

    reloaded = KernelRegistry.load(path)

    assert reloaded.get("k1") == running
    assert reloaded.get("k2") == ended
    assert reloaded.get("k2").ended_at == T0 + timedelta(seconds=5)  # type: ignore[union-attr]
    assert reloaded.networks() == ["net-a"]
    assert [record.kernel_id for record in reloaded.alive()] == ["k1"]


def test_every_change_is_on_disk_at_once_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    path = tmp_path / "registry.json"
    registry = KernelRegistry(path)
    registry.put(_record("k1", state=KernelState.CREATING))

    on_disk = json.loads(path.read_text())
    assert [item["kernel_id"] for item in on_disk["kernels"]] == ["k1"]
    assert on_disk["kernels"][0]["state"] == "creating"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["registry.json"]


def test_a_missing_file_is_an_empty_registry(tmp_path: Path) -> None:
    registry = KernelRegistry.load(tmp_path / "absent.json")
    assert registry.alive() == []
    assert registry.get("k1") is None


def test_in_memory_registry_writes_nothing(tmp_path: Path) -> None:
    registry = KernelRegistry(None)
    registry.put(_record("k1"))
    registry.add_network("n")
    assert registry.get("k1") is not None
    assert list(tmp_path.iterdir()) == []


def test_a_damaged_file_is_moved_aside_and_the_agent_starts_empty(tmp_path: Path) -> None:
    path = tmp_path / "registry.json"
    path.write_text("{not json")

    registry = KernelRegistry.load(path)

    assert registry.alive() == []
    assert (tmp_path / "registry.json.corrupt").read_text() == "{not json"
    assert not path.exists()


def test_only_the_newest_ended_kernels_are_remembered(tmp_path: Path) -> None:
    registry = KernelRegistry(tmp_path / "registry.json", retention=2)
    registry.put(_record("alive"))
    for index in range(4):
        ended_at = T0 + timedelta(seconds=index)
        registry.put(_record(f"ended-{index}").ended(ended_at, exit_code=0, reason="exited"))

    assert registry.get("ended-0") is None
    assert registry.get("ended-1") is None
    assert registry.get("ended-2") is not None
    assert registry.get("ended-3") is not None
    assert registry.get("alive") is not None  # live kernels are never forgotten


def test_a_network_is_recorded_once() -> None:
    registry = KernelRegistry()
    assert registry.add_network("n1") is True
    assert registry.add_network("n1") is False
    assert registry.networks() == ["n1"]
