"""Options several commands share, declared once so their help reads the same everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        metavar="DIR",
        file_okay=False,
        help="Directory of the embedded state (default: SOKOVAN_DATA_DIR or ~/.sokovan).",
        show_default=False,
    ),
]

DatabaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        metavar="URL",
        help=(
            "sqlite:///PATH or postgresql://USER@HOST:PORT/DATABASE "
            "(default: SOKOVAN_DATABASE_URL or a SQLite file in the data directory)."
        ),
        show_default=False,
    ),
]
