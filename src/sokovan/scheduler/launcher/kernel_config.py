"""What each agent is asked to create for a session (pure).

`create_kernels_requests` turns a session as stored, its images' configs, its network and
SSH keys into one `CreateKernelsRequest` per agent. Every kernel learns who and where it is
through BACKENDAI_* environment variables; these describe facts, so they override any
variable of the same name in the session's own environment.
"""

from __future__ import annotations

import shlex
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Final

from sokovan.agent.protocol import (
    ClusterInfo,
    CreateKernelsRequest,
    ImageSpec,
    KernelCreationConfig,
)
from sokovan.common.ids import AgentId
from sokovan.repositories.scheduler.types import (
    ImageConfig,
    ImageIdentifier,
    KernelInfo,
    SessionDataForStart,
)
from sokovan.scheduler.launcher.network import ClusterNetwork, bound_agent
from sokovan.scheduler.launcher.ssh import SshKeypair
from sokovan.scheduler.launcher.types import LauncherConfig, SessionLaunchError

#: The most kernels one create_kernels request carries (the protocol's limit).
MAX_KERNELS_PER_REQUEST: Final = 64


def image_identifier(kernel: KernelInfo) -> ImageIdentifier:
    return ImageIdentifier(kernel.image, kernel.architecture)


def check_launchable(
    data: SessionDataForStart, image_configs: Mapping[ImageIdentifier, ImageConfig]
) -> None:
    """Raises SessionLaunchError when the session has no kernels, a kernel without an agent,
    or a kernel whose image has no config."""
    session_id = data.session.session_id
    if not data.kernels:
        raise SessionLaunchError(f"session {session_id} has no kernels")
    unplaced = [str(k.kernel_id) for k in data.kernels if k.agent_id is None]
    if unplaced:
        raise SessionLaunchError(
            f"session {session_id} has kernels without an agent: {', '.join(unplaced)}"
        )
    missing = {image_identifier(k) for k in data.kernels} - image_configs.keys()
    if missing:
        names = sorted(f"{image.name} ({image.architecture})" for image in missing)
        raise SessionLaunchError(
            f"session {session_id} uses images that are not registered: {', '.join(names)}"
        )


def image_spec(config: ImageConfig) -> ImageSpec:
    return ImageSpec(
        name=config.name,
        architecture=config.architecture,
        environment=dict(config.environment),
    )


def kernel_environ(
    data: SessionDataForStart, kernel: KernelInfo, network: ClusterNetwork
) -> dict[str, str]:
    """The session's environment plus the BACKENDAI_* facts about this kernel."""
    session, user = data.session, data.user
    roles = Counter(k.cluster_role for k in data.kernels)
    facts = {
        "BACKENDAI_SESSION_ID": str(session.session_id),
        "BACKENDAI_SESSION_NAME": session.name,
        "BACKENDAI_SESSION_TYPE": session.session_type.value,
        "BACKENDAI_KERNEL_ID": str(kernel.kernel_id),
        "BACKENDAI_KERNEL_IMAGE": kernel.image,
        "BACKENDAI_USER_UUID": str(user.user_id),
        "BACKENDAI_USER_EMAIL": user.email,
        "BACKENDAI_USER_NAME": user.username,
        "BACKENDAI_ACCESS_KEY": session.access_key,
        "BACKENDAI_DOMAIN_NAME": session.domain_name,
        "BACKENDAI_GROUP_ID": str(session.group_id),
        "BACKENDAI_GROUP_NAME": user.group_name,
        "BACKENDAI_CLUSTER_MODE": session.cluster_mode.value,
        "BACKENDAI_CLUSTER_SIZE": str(session.cluster_size),
        "BACKENDAI_CLUSTER_ROLE": kernel.cluster_role,
        "BACKENDAI_CLUSTER_IDX": str(kernel.cluster_idx),
        "BACKENDAI_CLUSTER_LOCAL_RANK": str(kernel.local_rank),
        "BACKENDAI_CLUSTER_HOST": kernel.cluster_hostname,
        "BACKENDAI_CLUSTER_HOSTS": ",".join(k.cluster_hostname for k in data.kernels),
        "BACKENDAI_CLUSTER_REPLICAS": ",".join(f"{r}:{n}" for r, n in sorted(roles.items())),
    }
    ssh_port = network.ssh_ports.get(kernel.kernel_id)
    if ssh_port is not None:
        facts["BACKENDAI_SSH_PORT"] = str(ssh_port)
    return {**data.environ, **facts}


def kernel_creation_config(
    data: SessionDataForStart,
    kernel: KernelInfo,
    image: ImageConfig,
    network: ClusterNetwork,
    config: LauncherConfig,
) -> KernelCreationConfig:
    return KernelCreationConfig(
        kernel_id=str(kernel.kernel_id),
        image=image_spec(image),
        cluster_role=kernel.cluster_role,
        cluster_idx=kernel.cluster_idx,
        cluster_hostname=kernel.cluster_hostname,
        resource_slots=kernel.requested_slots.to_json(),
        environ=kernel_environ(data, kernel, network),
        command=shlex.split(kernel.startup_command) if kernel.startup_command else None,
        idle_timeout=config.idle_timeout,
        preopen_ports=list(config.preopen_ports),
    )


def cluster_info(
    data: SessionDataForStart, network: ClusterNetwork, keypair: SshKeypair | None
) -> ClusterInfo:
    session = data.session
    return ClusterInfo(
        mode=session.cluster_mode.value,
        size=session.cluster_size,
        network_name=network.name,
        hosts=dict(network.hosts),
        ssh_private_key=keypair.private_key if keypair else None,
        ssh_public_key=keypair.public_key if keypair else None,
    )


def create_kernels_requests(
    data: SessionDataForStart,
    image_configs: Mapping[ImageIdentifier, ImageConfig],
    network: ClusterNetwork,
    keypair: SshKeypair | None,
    config: LauncherConfig,
) -> dict[AgentId, CreateKernelsRequest]:
    """One request per agent, with that agent's kernels in cluster order.

    The session must have passed `check_launchable`. Raises SessionLaunchError when one agent
    would get more kernels than a request carries.
    """
    by_agent: dict[AgentId, list[KernelCreationConfig]] = defaultdict(list)
    for kernel in data.kernels:
        image = image_configs[image_identifier(kernel)]
        by_agent[bound_agent(kernel)].append(
            kernel_creation_config(data, kernel, image, network, config)
        )
    info = cluster_info(data, network, keypair)
    session_id = str(data.session.session_id)
    for agent_id, configs in by_agent.items():
        if len(configs) > MAX_KERNELS_PER_REQUEST:
            raise SessionLaunchError(
                f"session {session_id} puts {len(configs)} kernels on agent {agent_id!r}; "
                f"at most {MAX_KERNELS_PER_REQUEST} fit in one request"
            )
    return {
        agent_id: CreateKernelsRequest(
            session_id=session_id, kernel_configs=configs, cluster_info=info
        )
        for agent_id, configs in by_agent.items()
    }
