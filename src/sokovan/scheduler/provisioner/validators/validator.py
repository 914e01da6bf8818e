"""All validators, run in one documented order; the first rejection wins.

The order puts cheap and definitive checks first, so the reason a session's owner sees is the
one that matters most:

1. reserved batch: a session that may not start yet needs no other check;
2. dependencies: a failed dependency means the session can never run;
3. concurrency: a count, cheaper than slot arithmetic;
4. pending count, 5. pending resources: queue admission (they pass for queued sessions);
6-9. resource quotas from the narrowest owner to the widest: keypair → user → group → domain,
   so the message names the limit closest to the person who can act on it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sokovan.repositories.scheduler.snapshot_types import PendingSession
from sokovan.scheduler.provisioner.cycle import CycleState
from sokovan.scheduler.provisioner.validators.base import Validator
from sokovan.scheduler.provisioner.validators.concurrency import ConcurrencyValidator
from sokovan.scheduler.provisioner.validators.dependencies import DependencyValidator
from sokovan.scheduler.provisioner.validators.domain_limit import DomainResourceLimitValidator
from sokovan.scheduler.provisioner.validators.group_limit import GroupResourceLimitValidator
from sokovan.scheduler.provisioner.validators.keypair_limit import KeypairResourceLimitValidator
from sokovan.scheduler.provisioner.validators.pending_count import PendingCountValidator
from sokovan.scheduler.provisioner.validators.pending_resource import PendingResourceValidator
from sokovan.scheduler.provisioner.validators.reserved_batch import ReservedBatchValidator
from sokovan.scheduler.provisioner.validators.user_limit import UserResourceLimitValidator


def default_validators() -> tuple[Validator, ...]:
    """Every validator, in the order of the module docstring."""
    return (
        ReservedBatchValidator(),
        DependencyValidator(),
        ConcurrencyValidator(),
        PendingCountValidator(),
        PendingResourceValidator(),
        KeypairResourceLimitValidator(),
        UserResourceLimitValidator(),
        GroupResourceLimitValidator(),
        DomainResourceLimitValidator(),
    )


class SchedulingValidator:
    """Runs `validators` in the given order; itself a `Validator`."""

    __slots__ = ("_validators",)

    def __init__(self, validators: Sequence[Validator]) -> None:
        self._validators = tuple(validators)

    def validate(self, session: PendingSession, cycle: CycleState) -> None:
        """Raise the first rejection; later validators are not consulted."""
        for validator in self._validators:
            validator.validate(session, cycle)
