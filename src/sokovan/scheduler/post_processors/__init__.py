"""What the coordinator does after every applied outcome: schedule hints, cache freshness."""

from sokovan.scheduler.post_processors.base import (
    PostProcessContext,
    PostProcessor,
    PostProcessorChain,
)
from sokovan.scheduler.post_processors.cache_invalidation import (
    CacheInvalidationPostProcessor,
    KernelCacheInvalidator,
)
from sokovan.scheduler.post_processors.schedule_marking import (
    ScheduleMarkingPostProcessor,
    SchedulingNeedMarker,
)

__all__ = [
    "CacheInvalidationPostProcessor",
    "KernelCacheInvalidator",
    "PostProcessContext",
    "PostProcessor",
    "PostProcessorChain",
    "ScheduleMarkingPostProcessor",
    "SchedulingNeedMarker",
]
