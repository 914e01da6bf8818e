"""Persistence: tables, engine factory and migrations."""
