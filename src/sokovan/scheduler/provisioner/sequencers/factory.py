"""The sequencer of a scaling group's configured strategy."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sokovan.common.scheduling import SequencerStrategy
from sokovan.scheduler.provisioner.sequencers.base import Sequencer
from sokovan.scheduler.provisioner.sequencers.drf import DRFSequencer
from sokovan.scheduler.provisioner.sequencers.fifo import FIFOSequencer
from sokovan.scheduler.provisioner.sequencers.lifo import LIFOSequencer

_SEQUENCERS: Mapping[SequencerStrategy, Callable[[], Sequencer]] = {
    SequencerStrategy.FIFO: FIFOSequencer,
    SequencerStrategy.LIFO: LIFOSequencer,
    SequencerStrategy.DRF: DRFSequencer,
}


def make_sequencer(strategy: SequencerStrategy) -> Sequencer:
    """Sequencers are stateless, so one may serve every cycle of a scaling group."""
    return _SEQUENCERS[strategy]()
