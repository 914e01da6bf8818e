"""Agent selection: which agent each kernel of a session goes to (DESIGN §5).

`AgentPool` holds one cycle's agents with their free capacity and the indexes that keep
selection sub-linear; `AgentSelector` chooses agents with one of the strategies (one module
each) and explains failures as tallies of per-agent rejection reasons.
"""

from sokovan.scheduler.provisioner.selectors.pool import AgentPool
from sokovan.scheduler.provisioner.selectors.selector import AgentSelector
from sokovan.scheduler.provisioner.selectors.types import (
    AgentSelection,
    KernelPlacement,
    KernelRequirement,
    SelectionConfig,
    SessionRequirements,
)

__all__ = [
    "AgentPool",
    "AgentSelection",
    "AgentSelector",
    "KernelPlacement",
    "KernelRequirement",
    "SelectionConfig",
    "SessionRequirements",
]
