"""Events broadcast to interested parties (API waiters, metrics, clients)."""
