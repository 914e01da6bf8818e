"""`sokovan up`: the embedded installation on this machine.

This release runs the bootstrap only (data directory, database, default tenancy, admin
keypair). The manager, the orchestrator loops and local agents will be started from here too.
"""

from __future__ import annotations

import asyncio

from sokovan.bootstrap import API_URL, BootstrapReport, bootstrap
from sokovan.cli import output
from sokovan.cli.options import DataDirOption
from sokovan.cli.settings import display_url, load_config

NOT_YET_STARTED = (
    "The manager, the orchestrator loops and local agents are not started yet: "
    "a later release starts them from `sokovan up`."
)


def up_command(data_dir: DataDirOption = None) -> None:
    """Set up and run sokovan on this machine (embedded mode); safe to rerun.

    Creates the data directory, migrates the database and ensures the default resource
    policy, domain, group, scaling group and the admin user with its keypair.
    """
    config = load_config(data_dir=data_dir)
    report = asyncio.run(bootstrap(config))
    print_report(report)


def print_report(report: BootstrapReport) -> None:
    if report.already_initialised:
        output.print_line("sokovan is already initialised: nothing changed", style="green")
    else:
        output.print_line("sokovan initialised", style="green")
    output.print_fields(_summary_rows(report))
    output.print_line(NOT_YET_STARTED, style="yellow")


def _summary_rows(report: BootstrapReport) -> list[tuple[str, str]]:
    revision = report.revision_after or "(empty)"
    if report.revision_before != report.revision_after:
        revision = f"{report.revision_before or '(empty)'} → {revision}"
    rows = [
        ("data dir", str(report.data_dir)),
        ("database", f"{display_url(report.database_url)} (revision {revision})"),
        ("access key", report.access_key),
        ("secret key", f"in {report.credentials_file} (mode 0600, readable by you only)"),
        ("API URL", f"{API_URL} (served once the manager runs)"),
    ]
    if report.created:
        rows.append(("created", ", ".join(report.created)))
    return rows
