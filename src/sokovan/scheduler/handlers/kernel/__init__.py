"""Kernel handlers: checks that target kernels rather than sessions."""

from sokovan.scheduler.handlers.kernel.sweep_stale_kernels import SweepStaleKernelsKernelHandler

__all__ = ["SweepStaleKernelsKernelHandler"]
