"""Rich output helpers: every command prints through these, so the look stays uniform.

Consoles are created per call: they then write to whatever `sys.stdout` / `sys.stderr` is at
that moment (a test runner may have swapped them).
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.table import Table
from rich.text import Text


def stdout() -> Console:
    return Console(highlight=False)


def print_error(message: str) -> None:
    """One red line on stderr, never wrapped, with no markup interpreted in `message`."""
    line = Text(f"error: {message}", style="bold red", no_wrap=True, overflow="ignore")
    Console(stderr=True, highlight=False).print(line, soft_wrap=True)


def print_line(message: str, style: str = "") -> None:
    """One line on stdout; `message` is plain text, never markup."""
    stdout().print(Text(message, style=style), soft_wrap=True)


def print_fields(rows: Iterable[tuple[str, str]]) -> None:
    """A borderless two-column table of labels and values."""
    table = Table(show_header=False, box=None, padding=(0, 2))
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for label, value in rows:
        table.add_row(label, Text(value))
    stdout().print(table)
