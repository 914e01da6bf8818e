"""Committing a cycle's placements."""
