"""Image pulling: each involved agent is asked once, in parallel, for all of its images.

The answer for each image moves the kernels waiting for it on that agent through the kernel
state engine: READY → PREPARED at once, PULLING → PULLING (an event reports the outcome),
FAILED → TERMINATED with the agent's reason (detect-termination then ends the session). One
agent's failure is recorded on the sessions with kernels there and never blocks the others;
only when every agent call failed does the error propagate (`every_agent_failed`).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sokovan.agent.protocol import CheckAndPullResponse, ImagePullResult, ImagePullStatus
from sokovan.clients.agent_rpc import AgentClientProvider
from sokovan.common.errors import AgentError
from sokovan.common.ids import AgentId, KernelId, SessionId
from sokovan.common.status import KernelStatus
from sokovan.repositories.scheduler.types import ImageConfig, ImageIdentifier, SessionDataForPull
from sokovan.repositories.scheduler.write_status_data import SessionErrorDetail
from sokovan.scheduler.kernel.events import bounded_reason
from sokovan.scheduler.launcher.kernel_config import image_spec
from sokovan.scheduler.launcher.types import (
    PULL_PHASE,
    KernelProgressWriter,
    PullReport,
    SessionErrorRecorder,
    SessionLaunchError,
    error_detail,
    every_agent_failed,
    record_errors,
)

log = logging.getLogger(__name__)

_FINISHED = KernelStatus.finished_statuses()


@dataclass(frozen=True, slots=True)
class AgentPull:
    """One agent's share of the work: its distinct images and who waits for each."""

    agent_id: AgentId
    images: Mapping[ImageIdentifier, ImageConfig]
    waiting: Mapping[ImageIdentifier, tuple[KernelId, ...]]


@dataclass(frozen=True, slots=True)
class PullPlan:
    agents: tuple[AgentPull, ...]
    #: The session of every kernel in the plan.
    sessions_of: Mapping[KernelId, SessionId]
    #: Kernels that cannot be pulled for (no agent, image without a config), by session.
    problems: Mapping[SessionId, tuple[SessionErrorDetail, ...]]


def plan_pulls(
    sessions: Sequence[SessionDataForPull],
    image_configs: Mapping[ImageIdentifier, ImageConfig],
) -> PullPlan:
    """Group the unfinished kernels by agent and image; agents in order of first appearance."""
    waiting: dict[AgentId, dict[ImageIdentifier, list[KernelId]]] = defaultdict(
        lambda: defaultdict(list)
    )
    sessions_of: dict[KernelId, SessionId] = {}
    problems: dict[SessionId, list[SessionErrorDetail]] = defaultdict(list)
    for session in sessions:
        for kernel in session.kernels:
            if kernel.status in _FINISHED:
                continue
            image = ImageIdentifier(kernel.image, kernel.architecture)
            placed = _placement(kernel.kernel_id, kernel.agent_id, image, image_configs)
            if isinstance(placed, SessionLaunchError):
                problems[session.session_id].append(error_detail(placed, kernel.agent_id))
                continue
            waiting[placed][image].append(kernel.kernel_id)
            sessions_of[kernel.kernel_id] = session.session_id
    agents = tuple(
        AgentPull(
            agent_id,
            {image: image_configs[image] for image in images},
            {image: tuple(kernel_ids) for image, kernel_ids in images.items()},
        )
        for agent_id, images in waiting.items()
    )
    return PullPlan(agents, sessions_of, {sid: tuple(details) for sid, details in problems.items()})


def _placement(
    kernel_id: KernelId,
    agent_id: AgentId | None,
    image: ImageIdentifier,
    image_configs: Mapping[ImageIdentifier, ImageConfig],
) -> AgentId | SessionLaunchError:
    """The agent to pull on, or why the kernel's image cannot be pulled."""
    if agent_id is None:
        return SessionLaunchError(f"kernel {kernel_id} is not placed on an agent")
    if image not in image_configs:
        return SessionLaunchError(
            f"kernel {kernel_id} uses image {image.name} ({image.architecture}), "
            "which is not registered"
        )
    return agent_id


class ImagePuller:
    def __init__(
        self,
        agents: AgentClientProvider,
        kernels: KernelProgressWriter,
        errors: SessionErrorRecorder,
    ) -> None:
        self._agents = agents
        self._kernels = kernels
        self._errors = errors

    async def pull(
        self,
        sessions: Sequence[SessionDataForPull],
        image_configs: Mapping[ImageIdentifier, ImageConfig],
    ) -> PullReport:
        """Ask every agent for its images and move the waiting kernels by the answers.

        Raises AgentError only when agents were asked and every one of them failed.
        """
        plan = plan_pulls(sessions, image_configs)
        answers = await asyncio.gather(*(self._ask(agent) for agent in plan.agents))
        outcome = _Outcome(plan)
        for agent, answer in zip(plan.agents, answers, strict=True):
            outcome.take(agent, answer)
        prepared = await self._kernels.advance_kernels(
            outcome.by_status[ImagePullStatus.READY], KernelStatus.PREPARED, "image-ready"
        )
        pulling = await self._kernels.advance_kernels(
            outcome.by_status[ImagePullStatus.PULLING], KernelStatus.PULLING, "image-pulling"
        )
        pull_failed: list[KernelId] = []
        for reason, kernel_ids in outcome.failed.items():
            pull_failed += await self._kernels.mark_kernels_terminated(kernel_ids, reason)
        await record_errors(self._errors, PULL_PHASE, outcome.errors)
        report = PullReport(
            agents_asked=tuple(agent.agent_id for agent in plan.agents),
            failed_agents={aid: str(exc) for aid, exc in outcome.agent_failures.items()},
            prepared=tuple(prepared),
            pulling=tuple(pulling),
            pull_failed=tuple(pull_failed),
            errors={sid: tuple(details) for sid, details in outcome.errors.items()},
        )
        failure = every_agent_failed(len(plan.agents), list(outcome.agent_failures.values()))
        if failure is not None:
            raise failure
        return report

    async def _ask(self, agent: AgentPull) -> CheckAndPullResponse | AgentError:
        try:
            async with self._agents.acquire(agent.agent_id) as client:
                return await client.check_and_pull([image_spec(c) for c in agent.images.values()])
        except AgentError as exc:
            log.warning("image pulling on agent %s failed: %s", agent.agent_id, exc)
            return exc


class _Outcome:
    """Sorts the agents' answers into kernel moves and errors, session by session."""

    def __init__(self, plan: PullPlan) -> None:
        self._sessions_of = plan.sessions_of
        self.by_status: dict[ImagePullStatus, list[KernelId]] = defaultdict(list)
        self.failed: dict[str, list[KernelId]] = defaultdict(list)
        self.agent_failures: dict[AgentId, AgentError] = {}
        self.errors: dict[SessionId, list[SessionErrorDetail]] = defaultdict(list)
        for session_id, details in plan.problems.items():
            self.errors[session_id].extend(details)

    def take(self, agent: AgentPull, answer: CheckAndPullResponse | AgentError) -> None:
        if isinstance(answer, AgentError):
            self.agent_failures[agent.agent_id] = answer
            detail = error_detail(answer, agent.agent_id)
            for kernel_ids in agent.waiting.values():
                self._record(kernel_ids, detail)
            return
        results = {ImageIdentifier(r.name, r.architecture): r for r in answer.results}
        for image, kernel_ids in agent.waiting.items():
            self._take_image(agent.agent_id, image, results.get(image), kernel_ids)

    def _take_image(
        self,
        agent_id: AgentId,
        image: ImageIdentifier,
        result: ImagePullResult | None,
        kernel_ids: tuple[KernelId, ...],
    ) -> None:
        if result is None:
            message = f"agent {agent_id!r} did not report image {image.name} ({image.architecture})"
            self._record(kernel_ids, SessionErrorDetail(agent_id, "AgentError", message))
        elif result.status is ImagePullStatus.FAILED:
            reason = bounded_reason(f"image-pull-failed: {result.detail or 'no detail'}")
            self.failed[reason].extend(kernel_ids)
            self._record(kernel_ids, SessionErrorDetail(agent_id, "ImagePullFailed", reason))
        else:
            self.by_status[result.status].extend(kernel_ids)

    def _record(self, kernel_ids: tuple[KernelId, ...], detail: SessionErrorDetail) -> None:
        for session_id in dict.fromkeys(self._sessions_of[k] for k in kernel_ids):
            if detail not in self.errors[session_id]:
                self.errors[session_id].append(detail)
