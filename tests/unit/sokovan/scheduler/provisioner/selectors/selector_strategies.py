"""Hypothesis strategies for agent-selector properties: small pools with frequent ties."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st
from selector_testkit import agent, kernel, session

from sokovan.common.scheduling import ClusterMode
from sokovan.repositories.scheduler.snapshot_types import AgentSnapshot
from sokovan.scheduler.provisioner.selectors import SelectionConfig, SessionRequirements

SLOTS = ("cpu", "mem", "cuda.shares")
IDS = [f"a{i}" for i in range(12)]


def quarters(high: int) -> st.SearchStrategy[Decimal]:
    """0, 0.25, …, high: exact in Decimal, and coarse enough to make ties common."""
    return st.integers(0, high * 4).map(lambda n: Decimal(n) / 4)


@st.composite
def agents(draw: st.DrawFn) -> list[AgentSnapshot]:
    ids = draw(st.lists(st.sampled_from(IDS), min_size=0, max_size=len(IDS), unique=True))
    made = []
    for agent_id in ids:
        available = {s: draw(quarters(4)) for s in draw(st.sets(st.sampled_from(SLOTS)))}
        occupied = {s: draw(quarters(2)) for s in draw(st.sets(st.sampled_from(SLOTS)))}
        made.append(
            agent(
                agent_id,
                available,
                arch=draw(st.sampled_from(["x86_64", "x86_64", "aarch64"])),
                occupied=occupied,
                containers=draw(st.integers(0, 3)),
            )
        )
    return made


@st.composite
def sessions(draw: st.DrawFn) -> SessionRequirements:
    kernels = [
        kernel(
            {s: draw(quarters(2)) for s in draw(st.sets(st.sampled_from(SLOTS), min_size=1))},
            arch=draw(st.sampled_from(["x86_64", "x86_64", "x86_64", "aarch64"])),
        )
        for _ in range(draw(st.integers(1, 3)))
    ]
    mode = draw(st.sampled_from(list(ClusterMode)))
    return session(*kernels, mode=mode, endpoint=draw(st.sampled_from([None, "e1", "e2"])))


configs = st.builds(
    SelectionConfig,
    max_container_count=st.sampled_from([None, 1, 2, 4]),
    resource_priority=st.permutations(SLOTS).flatmap(
        lambda slots: st.integers(0, 3).map(lambda n: tuple(slots[:n]))
    ),
    enforce_spreading_endpoint_replica=st.booleans(),
)
designations = st.none() | st.lists(st.sampled_from([*IDS[:4], "missing"]), max_size=3)
