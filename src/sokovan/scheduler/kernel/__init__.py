"""Kernel state: applying kernel events and kernel-level transitions."""
