"""Failures at the edge: a `SokovanError` becomes one red line on stderr and exit code 1.

Usage errors keep Typer's own report and exit code 2. Anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations

import errno
from typing import Any

import typer
from typer.core import TyperGroup

from sokovan.cli.output import print_error
from sokovan.common.errors import SokovanError

EXIT_FAILURE = 1


class ReportingGroup(TyperGroup):
    """The root command group; every subcommand runs inside its `invoke`."""

    # `ctx` is Typer's click context, whose class lives in a private module of recent Typer
    # releases; nothing here touches it.
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except SokovanError as exc:
            print_error(str(exc))
        except OSError as exc:
            if exc.errno == errno.EPIPE:  # a closed pipe (`sokovan … | head`): Typer's job
                raise
            # The environment refused a file operation (permissions, a full disk): the
            # message names the file, which is what the user has to fix.
            print_error(_describe_os_error(exc))
        raise typer.Exit(EXIT_FAILURE)


def _describe_os_error(exc: OSError) -> str:
    if exc.filename is None:
        return str(exc)
    return f"cannot access {exc.filename}: {exc.strerror or exc}"
