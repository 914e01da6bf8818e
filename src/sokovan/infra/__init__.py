"""Ports (Protocols) to the outside world and their backends."""
