"""`sokovan config`: the effective configuration, with secrets hidden."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.table import Table
from rich.text import Text

from sokovan.cli import output
from sokovan.cli.settings import display_url, env_var, load_config
from sokovan.config import SokovanConfig

config_app = typer.Typer(
    help="Show the effective configuration.", no_args_is_help=True, add_completion=False
)


@dataclass(frozen=True, slots=True)
class Setting:
    """One leaf setting: its value and whether the environment set it."""

    value: Any
    env_var: str
    is_set: bool


def effective_values(config: SokovanConfig) -> dict[str, Any]:
    """The configuration as JSON-ready values, defaults resolved and the password hidden."""
    values = config.model_dump(mode="json")
    values["database_url"] = display_url(config.resolved_database_url())
    values["credentials_file"] = str(config.resolved_credentials_file())
    return values


def settings(
    model: BaseModel, values: dict[str, Any], path: tuple[str, ...] = ()
) -> Iterator[Setting]:
    """One `Setting` per leaf of `model`, descending into nested models."""
    for name in type(model).model_fields:
        child = getattr(model, name)
        here = (*path, name)
        if isinstance(child, BaseModel):
            yield from settings(child, values[name], here)
        else:
            yield Setting(values[name], env_var(here), name in model.model_fields_set)


def _render(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


@config_app.command("show")
def show_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show every setting, where it comes from, and the variable that changes it."""
    config = load_config()
    values = effective_values(config)
    if as_json:
        typer.echo(json.dumps(values, indent=2))
        return
    table = Table(title="sokovan configuration", title_justify="left")
    table.add_column("variable", no_wrap=True)
    table.add_column("value", overflow="fold")
    table.add_column("source", no_wrap=True)
    for setting in settings(config, values):
        source = "environment" if setting.is_set else "default"
        table.add_row(Text(setting.env_var), Text(_render(setting.value)), Text(source))
    output.stdout().print(table)
