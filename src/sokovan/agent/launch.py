"""Turning a create_kernels request into per-kernel launches.

The manager's `environ` is passed through untouched; the BACKENDAI_* variables a kernel
relies on to find its place in the session are added only where the manager did not set them.
"""

from __future__ import annotations

from sokovan.agent.protocol import ClusterInfo, CreateKernelsRequest, KernelCreationConfig
from sokovan.agent.runtime.base import KernelLaunch


def kernel_launches(request: CreateKernelsRequest) -> list[KernelLaunch]:
    return [
        KernelLaunch(
            kernel_id=config.kernel_id,
            session_id=request.session_id,
            image=config.image,
            command=config.command,
            environ=kernel_environ(config, request.session_id, request.cluster_info),
            resource_slots=dict(config.resource_slots),
        )
        for config in request.kernel_configs
    ]


def kernel_environ(
    config: KernelCreationConfig, session_id: str, cluster: ClusterInfo
) -> dict[str, str]:
    defaults = {
        "BACKENDAI_KERNEL_ID": config.kernel_id,
        "BACKENDAI_SESSION_ID": session_id,
        "BACKENDAI_CLUSTER_ROLE": config.cluster_role,
        "BACKENDAI_CLUSTER_IDX": str(config.cluster_idx),
        "BACKENDAI_CLUSTER_HOST": config.cluster_hostname,
        "BACKENDAI_CLUSTER_MODE": cluster.mode,
        "BACKENDAI_CLUSTER_SIZE": str(cluster.size),
        "BACKENDAI_CLUSTER_HOSTS": ",".join(sorted(cluster.hosts)),
    }
    return {**defaults, **config.environ}
