"""What every command that calls the manager API shares: options, exit codes and output.

Command groups built with `remote_app` report an `ApiClientError` as one `error: …` line and
exit with its code (3 not found, 4 auth, …); other errors reach the root's own reporting.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from sokovan.cli import output
from sokovan.cli.client import API_URL_ENV, ApiClient, ApiClientError, resolve_settings

ApiUrlOption = Annotated[
    str | None,
    typer.Option(
        "--api-url",
        metavar="URL",
        help=f"The manager's base URL (default: {API_URL_ENV} or the credentials file).",
        show_default=False,
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print machine-readable JSON instead of a table.")
]


class RemoteGroup(TyperGroup):
    """A command group whose API failures end as one error line and their own exit code."""

    # `ctx` is Typer's click context; see `ReportingGroup` for why it is typed loosely.
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ApiClientError as exc:
            output.print_error(str(exc))
            raise typer.Exit(int(exc.exit_code)) from None


def remote_app(help_text: str, epilog: str) -> typer.Typer:
    """A command group of API commands; `epilog` should show an example."""
    return typer.Typer(
        cls=RemoteGroup,
        help=help_text,
        epilog=epilog,
        no_args_is_help=True,
        add_completion=False,
        rich_markup_mode="markdown",
    )


def connect(api_url: str | None, *, read_timeout: float | None = None) -> ApiClient:
    """A client with the effective settings (see `resolve_settings`)."""
    settings = resolve_settings(api_url)
    if read_timeout is None:
        return ApiClient(settings)
    return ApiClient(settings, read_timeout=read_timeout)


def print_json(value: Any) -> None:
    """`value` as indented JSON with sorted keys, so scripts and diffs see a stable shape."""
    typer.echo(json.dumps(value, indent=2, sort_keys=True))


@dataclass(frozen=True, slots=True)
class Column:
    """One table column: its heading and how a row (a JSON object) shows in it."""

    heading: str
    render: Callable[[Mapping[str, Any]], str]


def column(name: str, heading: str | None = None) -> Column:
    """The column showing `row[name]` as text ("-" for null)."""
    return Column(heading or name.replace("_", " "), lambda row: display(row.get(name)))


def display(value: Any) -> str:
    """A JSON value as table text: null is "-", slot maps read "cpu=1 mem=512m"."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        return " ".join(f"{key}={display(item)}" for key, item in value.items()) or "-"
    if isinstance(value, list):
        return ", ".join(display(item) for item in value) or "-"
    return str(value)


def print_table(columns: Sequence[Column], rows: Iterable[Mapping[str, Any]]) -> None:
    table = Table(*(column.heading for column in columns), box=None, header_style="bold")
    for row in rows:
        table.add_row(*(Text(column.render(row)) for column in columns))
    output.stdout().print(table)


def print_listing(columns: Sequence[Column], rows: list[Any], as_json: bool) -> None:
    """A listing as JSON (the server's objects, unchanged) or as a table."""
    if as_json:
        print_json(rows)
    elif not rows:
        output.print_line("(none)")
    else:
        print_table(columns, rows)
