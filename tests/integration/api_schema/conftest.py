"""The live API server of the CLI tests, reused for schema fuzzing."""

from integration.cli_client.conftest import live_api

__all__ = ["live_api"]
