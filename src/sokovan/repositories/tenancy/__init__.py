"""The tenancy repository: who may use the cluster, and under which limits."""

from sokovan.repositories.tenancy.errors import AlreadyExistsError, UnknownReferenceError
from sokovan.repositories.tenancy.repository import TenancyRepository
from sokovan.repositories.tenancy.types import KeypairRecord, ResourcePolicyLimits, UserRecord

__all__ = [
    "AlreadyExistsError",
    "KeypairRecord",
    "ResourcePolicyLimits",
    "TenancyRepository",
    "UnknownReferenceError",
    "UserRecord",
]
