"""Ending sessions on agents: destroy RPCs and stale-kernel checks."""
