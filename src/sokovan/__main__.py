"""`python -m sokovan`: the same command line as the `sokovan` script."""

from sokovan.cli.main import app

app(prog_name="sokovan")
