"""Distributed locks: one manager at a time runs a locked scheduling step."""
