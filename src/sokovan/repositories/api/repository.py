"""ApiRepository: the reads and writes the REST API needs that no other repository has.

The methods live in focused mixins (session reads, submission facts, credentials, metrics,
tenant, access and scaling-group administration) that share the engine and clock of
`RepositoryBase`.
"""

from __future__ import annotations

from sokovan.repositories.api.admin_access import AccessAdminMixin
from sokovan.repositories.api.admin_tenants import TenantAdminMixin
from sokovan.repositories.api.credentials import CredentialsMixin
from sokovan.repositories.api.scaling_groups import ScalingGroupAdminMixin
from sokovan.repositories.api.sessions import SessionApiReadsMixin
from sokovan.repositories.api.stats import StatsMixin
from sokovan.repositories.api.submission import SubmissionFactsMixin


class ApiRepository(
    SessionApiReadsMixin,
    SubmissionFactsMixin,
    CredentialsMixin,
    StatsMixin,
    TenantAdminMixin,
    AccessAdminMixin,
    ScalingGroupAdminMixin,
):
    """The API's door to the database for what the scheduler and tenancy repositories lack."""
