"""The `sokovan` command line (Typer + Rich); `main.app` is the entry point."""
