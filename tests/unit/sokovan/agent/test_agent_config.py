"""Agent settings: flags over SOKOVAN_AGENT_* over the TOML file over defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from sokovan.agent.config import AgentConfig, RuntimeKind
from sokovan.cli.agent_cmd import load_agent_config
from sokovan.common.errors import ConfigurationError


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_flags_beat_the_environment_which_beats_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file = _write(
        tmp_path / "agent.toml",
        """
        agent_id = "from-file"
        scaling_group = "from-file"
        bind_port = 7000
        token = "file-token"
        runtime = "simulated"
        [simulated]
        pull_seconds = 3
        [images.python]
        command = ["python3", "-m", "http.server"]
        """,
    )
    monkeypatch.setenv("SOKOVAN_AGENT_SCALING_GROUP", "from-env")
    monkeypatch.setenv("SOKOVAN_AGENT_BIND_PORT", "7001")
    monkeypatch.setenv("SOKOVAN_AGENT_SIMULATED__CREATE_SECONDS", "2")

    config = AgentConfig(config_file=config_file, bind_port=7002)

    assert config.agent_id == "from-file"
    assert config.scaling_group == "from-env"
    assert config.bind_port == 7002
    assert config.token.get_secret_value() == "file-token"
    assert config.runtime is RuntimeKind.SIMULATED
    assert (config.simulated.pull_seconds, config.simulated.create_seconds) == (3, 2)
    assert config.images["python"].command == ["python3", "-m", "http.server"]


def test_capacity_accepts_units_and_is_stored_canonically() -> None:
    config = AgentConfig(token="t", capacity_slots={"cpu": "2.50", "mem": "1g"})
    assert config.capacity_slots == {"cpu": "2.5", "mem": "1073741824"}


def test_defaults_describe_this_machine(tmp_path: Path) -> None:
    config = AgentConfig(token="t", agent_id="node-1")
    assert int(config.capacity_slots["cpu"]) >= 1
    assert config.architecture
    assert config.resolved_data_dir() == Path.home() / ".sokovan" / "agents" / "node-1"


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({}, "token (SOKOVAN_AGENT_TOKEN): Field required"),
        ({"token": "t", "port_range": [2000, 1000]}, "port_range"),
        ({"token": "t", "capacity_slots": {"gpu": "1"}}, "unknown resource slot 'gpu'"),
        (
            {"token": "t", "simulated": {"pull_failure_rate": 2}},
            "SOKOVAN_AGENT_SIMULATED__PULL_FAILURE_RATE",
        ),
    ],
)
def test_invalid_settings_become_one_configuration_error(
    overrides: dict[str, object], fragment: str
) -> None:
    with pytest.raises(ConfigurationError, match="invalid agent configuration") as caught:
        load_agent_config(overrides)
    assert fragment in str(caught.value)


def test_a_missing_or_broken_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        AgentConfig(token="t", config_file=tmp_path / "absent.toml")
    broken = _write(tmp_path / "broken.toml", "agent_id = [")
    with pytest.raises(ConfigurationError, match="is not valid TOML"):
        AgentConfig(token="t", config_file=broken)
