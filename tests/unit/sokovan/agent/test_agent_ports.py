"""Port assignment: from the range, verified free, rotating, and a clear error when full."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from sokovan.agent.errors import PortsExhaustedError
from sokovan.agent.ports import PortPool, is_port_free


@pytest.fixture
def held_port() -> Iterator[int]:
    """A port bound (and so taken) for the duration of the test."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_bound_port_is_not_free(held_port: int) -> None:
    assert not is_port_free(held_port, "127.0.0.1")


def test_ports_come_from_the_range_in_rotation() -> None:
    first = _free_port()
    pool = PortPool(first, first, host="127.0.0.1")
    assert pool.assign_port() == first
    # A one-port range hands the same (still free) port out again on the next rotation.
    assert pool.assign_port() == first


def test_a_port_in_use_is_skipped() -> None:
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
            taken.bind(("127.0.0.1", 0))
            port = taken.getsockname()[1]
            if port < 65535 and is_port_free(port + 1, "127.0.0.1"):
                assert PortPool(port, port + 1, host="127.0.0.1").assign_port() == port + 1
                return
    pytest.fail("no bound port with a free neighbour found")


def test_a_range_with_every_port_in_use_raises(held_port: int) -> None:
    pool = PortPool(held_port, held_port, host="127.0.0.1")
    with pytest.raises(PortsExhaustedError, match=f"no free port left in {held_port}-{held_port}"):
        pool.assign_port()


@pytest.mark.parametrize(("first", "last"), [(0, 10), (20, 10), (65000, 70000)])
def test_an_invalid_range_is_refused(first: int, last: int) -> None:
    with pytest.raises(ValueError, match="invalid port range"):
        PortPool(first, last)
