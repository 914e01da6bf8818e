"""SweepStaleKernelsKernelHandler (seed 000 SK-*, DESIGN §3 SWEEP_STALE_KERNELS)."""

from __future__ import annotations

from unittest.mock import Mock, create_autospec

import pytest

from sokovan.common.errors import AgentError
from sokovan.common.status import KernelStatus
from sokovan.infra.locks.base import LockID
from sokovan.scheduler.handlers.kernel import SweepStaleKernelsKernelHandler
from sokovan.scheduler.terminator.base import SessionTerminatorPort
from unit.sokovan.scheduler.handlers.handler_builders import SCALING_GROUP, kernel


@pytest.fixture
def terminator() -> Mock:
    return create_autospec(SessionTerminatorPort, instance=True)


@pytest.fixture
def handler(terminator: Mock) -> SweepStaleKernelsKernelHandler:
    return SweepStaleKernelsKernelHandler(terminator)


def test_spec_declares_contract() -> None:
    spec = SweepStaleKernelsKernelHandler.spec
    assert spec.name == "sweep-stale-kernels"
    assert spec.target_kernel_statuses == {KernelStatus.RUNNING}
    assert spec.lock_id is LockID.LOCKID_SOKOVAN_STALE_KERNELS


async def test_dead_kernels_are_failures_with_stale_kernel_reason(
    handler: SweepStaleKernelsKernelHandler, terminator: Mock
) -> None:
    k1, k2, k3 = kernel(), kernel(), kernel()
    terminator.check_stale_kernels.return_value = [k3.kernel_id, k1.kernel_id]

    result = await handler.execute(SCALING_GROUP, [k1, k2, k3])

    assert [info.kernel_id for info in result.failures] == [k1.kernel_id, k3.kernel_id]
    assert result.failures[0].session_id == k1.session_id
    assert result.failures[0].from_status == KernelStatus.RUNNING
    assert {info.reason for info in result.failures} == {"STALE_KERNEL"}
    assert result.successes == []
    terminator.check_stale_kernels.assert_called_once_with([k1, k2, k3])


async def test_nothing_dead_gives_empty_result(
    handler: SweepStaleKernelsKernelHandler, terminator: Mock
) -> None:
    terminator.check_stale_kernels.return_value = []

    result = await handler.execute(SCALING_GROUP, [kernel()])

    assert result.successes == result.failures == []


async def test_empty_input_makes_no_call(
    handler: SweepStaleKernelsKernelHandler, terminator: Mock
) -> None:
    result = await handler.execute(SCALING_GROUP, [])

    assert result.successes == result.failures == []
    terminator.check_stale_kernels.assert_not_called()


async def test_terminator_error_propagates(
    handler: SweepStaleKernelsKernelHandler, terminator: Mock
) -> None:
    terminator.check_stale_kernels.side_effect = AgentError("Connection failed")

    with pytest.raises(AgentError, match="Connection failed"):
        await handler.execute(SCALING_GROUP, [kernel()])


async def test_sk_001_stale_kernel_is_reported_for_termination(
    handler: SweepStaleKernelsKernelHandler, terminator: Mock
) -> None:
    # Seed 000 says TERMINATING; DESIGN §3 has the coordinator mark confirmed-dead kernels
    # TERMINATED directly (there is no process left to destroy).
    stale = kernel()
    terminator.check_stale_kernels.return_value = [stale.kernel_id]

    result = await handler.execute(SCALING_GROUP, [stale])

    [failure] = result.failures
    assert failure.kernel_id == stale.kernel_id
    assert failure.reason == "STALE_KERNEL"


async def test_sk_002_healthy_kernel_is_left_alone(
    handler: SweepStaleKernelsKernelHandler, terminator: Mock
) -> None:
    healthy = kernel()
    terminator.check_stale_kernels.return_value = []

    result = await handler.execute(SCALING_GROUP, [healthy])

    assert result.failures == []
    assert result.successes == []
