"""Scheduler handlers: small classes that declare their contract and do one step."""
