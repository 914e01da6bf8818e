"""The hint store: schedule marks, pending queues, route health and kernel presence."""
