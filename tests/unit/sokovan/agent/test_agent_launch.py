"""A kernel's environment: the manager's environ as sent, BACKENDAI_* defaults where missing,
and the process runtime's layering of agent, image and venv."""

from __future__ import annotations

from pathlib import Path

from agent_testkit import create_request

from sokovan.agent.launch import kernel_launches
from sokovan.agent.runtime.spawn import kernel_environment


def test_backendai_variables_are_added_where_the_manager_did_not_set_them() -> None:
    request = create_request("k1", "k2", environ={"BACKENDAI_CLUSTER_HOST": "custom", "X": "1"})

    first, second = kernel_launches(request)

    assert first.environ == {
        "BACKENDAI_KERNEL_ID": "k1",
        "BACKENDAI_SESSION_ID": "session-1",
        "BACKENDAI_CLUSTER_ROLE": "main",
        "BACKENDAI_CLUSTER_IDX": "0",
        "BACKENDAI_CLUSTER_HOST": "custom",
        "BACKENDAI_CLUSTER_MODE": "single-node",
        "BACKENDAI_CLUSTER_SIZE": "2",
        "BACKENDAI_CLUSTER_HOSTS": "",
        "X": "1",
    }
    assert second.environ["BACKENDAI_KERNEL_ID"] == "k2"
    assert second.environ["BACKENDAI_CLUSTER_IDX"] == "1"
    assert (first.session_id, first.resource_slots) == ("session-1", {"cpu": "1"})


def test_only_passed_through_agent_variables_reach_the_kernel(tmp_path: Path) -> None:
    env = kernel_environment(
        inherited={"PATH": "/usr/bin", "SOKOVAN_AGENT_TOKEN": "secret", "LANG": "C"},
        passthrough=["PATH", "LANG", "TZ"],
        home=tmp_path,
        image_env={"LANG": "C.UTF-8", "MODEL": "m"},
        venv=None,
        environ={"MODEL": "from-manager"},
    )

    assert env == {
        "PATH": "/usr/bin",
        "LANG": "C.UTF-8",
        "HOME": str(tmp_path),
        "MODEL": "from-manager",
    }


def test_an_image_venv_comes_first_on_path(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    env = kernel_environment(
        inherited={"PATH": "/usr/bin"},
        passthrough=["PATH"],
        home=tmp_path,
        image_env={},
        venv=venv,
        environ={},
    )

    assert env["PATH"] == f"{venv}/bin:/usr/bin"
    assert env["VIRTUAL_ENV"] == str(venv)
