"""Host ports for kernels' services, from a configured range.

There is no "release": ports are handed out round-robin through the range, and each is
checked free (bindable) at the moment it is handed out, so a port in use is skipped and an
unused one comes back once the rotation reaches it again.
"""

from __future__ import annotations

import socket

from sokovan.agent.errors import PortsExhaustedError


def is_port_free(port: int, host: str = "0.0.0.0") -> bool:
    """True when a TCP socket can be bound to `port` right now (on all interfaces by default).

    No SO_REUSEADDR: a port still in TIME_WAIT counts as taken, which errs on the safe side.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


class PortPool:
    def __init__(self, first: int, last: int, host: str = "0.0.0.0") -> None:
        if not 0 < first <= last < 65536:
            raise ValueError(f"invalid port range {first}-{last}")
        self._first = first
        self._size = last - first + 1
        self._host = host
        self._next = 0

    def assign_port(self) -> int:
        """The next free port of the range; raises `PortsExhaustedError` if none is free."""
        for _ in range(self._size):
            port = self._first + self._next
            self._next = (self._next + 1) % self._size
            if is_port_free(port, self._host):
                return port
        last = self._first + self._size - 1
        raise PortsExhaustedError(f"no free port left in {self._first}-{last}")
