"""SQLAlchemy Core tables: the whole schema in one place.

Naming follows the seeds (sessions, kernels, scaling groups, keypairs, …). Identifiers are
UUIDs except where the domain already has a natural key (agent ids, access keys, domain and
scaling group names). Every foreign key is named by the metadata naming convention, so
migrations can refer to constraints on both SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa

from sokovan.common.scheduling import (
    AgentSelectionStrategy,
    ClusterMode,
    SchedulingResult,
    SequencerStrategy,
    SessionType,
    UserRole,
)
from sokovan.common.status import (
    AgentStatus,
    DeploymentLifecycle,
    KernelStatus,
    RouteStatus,
    SessionResult,
    SessionStatus,
)
from sokovan.db.types import PortableJSON, ResourceSlotType, StrEnumType, UtcDateTime, UuidType

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _created_at() -> sa.Column[object]:
    return sa.Column("created_at", UtcDateTime(), nullable=False)


def _slots(name: str) -> sa.Column[object]:
    return sa.Column(name, ResourceSlotType(), nullable=False, default=dict)


# --- Tenancy and quotas ------------------------------------------------------------------

resource_policies = sa.Table(
    "resource_policies",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    # Empty slots mean "no limit"; a slot present with an amount caps that slot.
    _slots("total_resource_slots"),
    sa.Column("max_concurrent_sessions", sa.Integer, nullable=True),
    sa.Column("max_pending_session_count", sa.Integer, nullable=True),
    _slots("max_pending_session_resource_slots"),
    sa.Column("max_session_lifetime", sa.Float, nullable=True),
    _created_at(),
)

domains = sa.Table(
    "domains",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("is_active", sa.Boolean, nullable=False, default=True),
    sa.Column("resource_policy", sa.ForeignKey("resource_policies.name"), nullable=True),
    _created_at(),
)

groups = sa.Table(
    "groups",
    metadata,
    sa.Column("id", UuidType(), primary_key=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("domain_name", sa.ForeignKey("domains.name"), nullable=False),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("is_active", sa.Boolean, nullable=False, default=True),
    sa.Column("resource_policy", sa.ForeignKey("resource_policies.name"), nullable=True),
    _created_at(),
    sa.UniqueConstraint("domain_name", "name"),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", UuidType(), primary_key=True),
    sa.Column("email", sa.String(256), nullable=False, unique=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("domain_name", sa.ForeignKey("domains.name"), nullable=False),
    sa.Column("role", StrEnumType(UserRole), nullable=False, default=UserRole.USER),
    sa.Column("is_active", sa.Boolean, nullable=False, default=True),
    sa.Column("resource_policy", sa.ForeignKey("resource_policies.name"), nullable=True),
    _created_at(),
)

group_members = sa.Table(
    "group_members",
    metadata,
    sa.Column("group_id", sa.ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

keypairs = sa.Table(
    "keypairs",
    metadata,
    sa.Column("access_key", sa.String(32), primary_key=True),
    # Only a salted hash of the secret is stored; the secret is shown once, at creation.
    sa.Column("secret_key_hash", sa.String(256), nullable=False),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("role", StrEnumType(UserRole), nullable=False, default=UserRole.USER),
    sa.Column("is_active", sa.Boolean, nullable=False, default=True),
    sa.Column("resource_policy", sa.ForeignKey("resource_policies.name"), nullable=True),
    _created_at(),
    sa.Column("last_used_at", UtcDateTime(), nullable=True),
    sa.Index(None, "user_id"),
)

# --- Infrastructure ----------------------------------------------------------------------

scaling_groups = sa.Table(
    "scaling_groups",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("is_active", sa.Boolean, nullable=False, default=True),
    sa.Column(
        "scheduler", StrEnumType(SequencerStrategy), nullable=False, default=SequencerStrategy.FIFO
    ),
    sa.Column(
        "agent_selection_strategy",
        StrEnumType(AgentSelectionStrategy),
        nullable=False,
        default=AgentSelectionStrategy.CONCENTRATED,
    ),
    # Slot names in the order the concentrated/legacy selectors compare free capacity.
    sa.Column("agent_selection_resource_priority", PortableJSON, nullable=False, default=list),
    sa.Column("enforce_spreading_endpoint_replica", sa.Boolean, nullable=False, default=False),
    # Seconds a session may stay PENDING before the sweeper cancels it; NULL = forever.
    sa.Column("pending_timeout", sa.Float, nullable=True),
    sa.Column("max_container_count", sa.Integer, nullable=True),
    sa.Column("route_cleanup_target_statuses", PortableJSON, nullable=False, default=list),
    sa.Column("app_proxy_addr", sa.String(256), nullable=True),
    # Position of the round-robin selector, persisted so it survives manager restarts.
    sa.Column("roundrobin_next_index", sa.Integer, nullable=False, default=0),
    _created_at(),
)

agents = sa.Table(
    "agents",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    # A fresh instance id per agent process start tells incarnations at one address apart.
    sa.Column("instance_id", sa.String(64), nullable=False),
    sa.Column("status", StrEnumType(AgentStatus), nullable=False),
    sa.Column("status_changed", UtcDateTime(), nullable=False),
    sa.Column("scaling_group", sa.ForeignKey("scaling_groups.name"), nullable=False),
    sa.Column("schedulable", sa.Boolean, nullable=False, default=True),
    sa.Column("architecture", sa.String(32), nullable=False),
    _slots("available_slots"),
    _slots("occupied_slots"),
    sa.Column("container_count", sa.Integer, nullable=False, default=0),
    sa.Column("addr", sa.String(256), nullable=False),
    sa.Column("watcher_addr", sa.String(256), nullable=True),
    sa.Column("version", sa.String(64), nullable=False, default=""),
    sa.Column("first_contact", UtcDateTime(), nullable=False),
    sa.Column("last_heartbeat", UtcDateTime(), nullable=False),
    sa.Column("lost_at", UtcDateTime(), nullable=True),
    sa.Index(None, "scaling_group", "status"),
)

images = sa.Table(
    "images",
    metadata,
    sa.Column("id", UuidType(), primary_key=True),
    sa.Column("name", sa.String(256), nullable=False),
    sa.Column("architecture", sa.String(32), nullable=False),
    # How the process runtime materialises the image: command, workdir, requirements, env.
    sa.Column("environment", PortableJSON, nullable=False, default=dict),
    _slots("min_slots"),
    sa.Column("labels", PortableJSON, nullable=False, default=dict),
    _created_at(),
    sa.UniqueConstraint("name", "architecture"),
)

# --- Sessions and kernels ----------------------------------------------------------------

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", UuidType(), primary_key=True),
    # Client-chosen idempotency token, echoed in events so clients can match their request.
    sa.Column("creation_id", sa.String(64), nullable=False),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("session_type", StrEnumType(SessionType), nullable=False),
    sa.Column("priority", sa.Integer, nullable=False),
    sa.Column("cluster_mode", StrEnumType(ClusterMode), nullable=False),
    sa.Column("cluster_size", sa.Integer, nullable=False, default=1),
    sa.Column("domain_name", sa.ForeignKey("domains.name"), nullable=False),
    sa.Column("group_id", sa.ForeignKey("groups.id"), nullable=False),
    sa.Column("user_id", sa.ForeignKey("users.id"), nullable=False),
    sa.Column("access_key", sa.ForeignKey("keypairs.access_key"), nullable=False),
    sa.Column("scaling_group", sa.ForeignKey("scaling_groups.name"), nullable=False),
    sa.Column("status", StrEnumType(SessionStatus), nullable=False),
    sa.Column("status_info", sa.String(256), nullable=True),
    sa.Column("status_data", PortableJSON, nullable=True),
    sa.Column("status_changed", UtcDateTime(), nullable=False),
    sa.Column(
        "result", StrEnumType(SessionResult), nullable=False, default=SessionResult.UNDEFINED
    ),
    _slots("requested_slots"),
    _slots("occupying_slots"),
    # When set, only these agents may host the session's kernels.
    sa.Column("designated_agent_ids", PortableJSON, nullable=True),
    # Batch sessions may be reserved for later; they wait in PENDING until then.
    sa.Column("starts_at", UtcDateTime(), nullable=True),
    sa.Column("network_type", sa.String(32), nullable=True),
    sa.Column("network_id", sa.String(128), nullable=True),
    sa.Column("is_private", sa.Boolean, nullable=False, default=False),
    sa.Column("environ", PortableJSON, nullable=False, default=dict),
    sa.Column("tag", sa.String(256), nullable=True),
    _created_at(),
    sa.Column("terminated_at", UtcDateTime(), nullable=True),
    sa.Index(None, "scaling_group", "status"),
    sa.Index(None, "access_key", "status"),
    sa.Index(None, "status", "status_changed"),
)

session_dependencies = sa.Table(
    "session_dependencies",
    metadata,
    sa.Column("session_id", sa.ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("depends_on", sa.ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
)

kernels = sa.Table(
    "kernels",
    metadata,
    sa.Column("id", UuidType(), primary_key=True),
    sa.Column("session_id", sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    # Denormalised from the session: the stale-kernel sweep and agent queries filter by them.
    sa.Column("access_key", sa.String(32), nullable=False),
    sa.Column("scaling_group", sa.String(64), nullable=False),
    sa.Column("agent_id", sa.ForeignKey("agents.id"), nullable=True),
    sa.Column("agent_addr", sa.String(256), nullable=True),
    sa.Column("container_id", sa.String(128), nullable=True),
    sa.Column("cluster_role", sa.String(32), nullable=False, default="main"),
    sa.Column("cluster_idx", sa.Integer, nullable=False, default=1),
    sa.Column("local_rank", sa.Integer, nullable=False, default=0),
    sa.Column("cluster_hostname", sa.String(64), nullable=False),
    sa.Column("image", sa.String(256), nullable=False),
    sa.Column("architecture", sa.String(32), nullable=False),
    _slots("requested_slots"),
    _slots("occupied_slots"),
    sa.Column("status", StrEnumType(KernelStatus), nullable=False),
    sa.Column("status_info", sa.String(256), nullable=True),
    sa.Column("status_data", PortableJSON, nullable=True),
    sa.Column("status_changed", UtcDateTime(), nullable=False),
    sa.Column("exit_code", sa.Integer, nullable=True),
    sa.Column("kernel_host", sa.String(256), nullable=True),
    # [{"name", "protocol", "container_ports", "host_ports"}]: what the proxy and SD expose.
    sa.Column("service_ports", PortableJSON, nullable=False, default=list),
    sa.Column("startup_command", sa.Text, nullable=True),
    _created_at(),
    sa.Column("terminated_at", UtcDateTime(), nullable=True),
    sa.Index(None, "session_id"),
    sa.Index(None, "agent_id", "status"),
    sa.Index(None, "status"),
)

session_scheduling_history = sa.Table(
    "session_scheduling_history",
    metadata,
    sa.Column("id", UuidType(), primary_key=True),
    sa.Column("session_id", sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    # The handler name ("schedule-sessions", …); consecutive equal outcomes of one phase are
    # merged into one row whose `attempts` counts them.
    sa.Column("phase", sa.String(64), nullable=False),
    sa.Column("from_status", StrEnumType(SessionStatus), nullable=True),
    sa.Column("to_status", StrEnumType(SessionStatus), nullable=True),
    sa.Column("result", StrEnumType(SchedulingResult), nullable=False),
    sa.Column("error_code", sa.String(64), nullable=True),
    sa.Column("message", sa.Text, nullable=False, default=""),
    sa.Column("attempts", sa.Integer, nullable=False, default=1),
    _created_at(),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index(None, "session_id", "created_at"),
)

# --- Deployments -------------------------------------------------------------------------

deployments = sa.Table(
    "deployments",
    metadata,
    sa.Column("id", UuidType(), primary_key=True),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("domain_name", sa.ForeignKey("domains.name"), nullable=False),
    sa.Column("group_id", sa.ForeignKey("groups.id"), nullable=False),
    sa.Column("created_user", sa.ForeignKey("users.id"), nullable=False),
    # The keypair whose quota the replicas' sessions count against.
    sa.Column("session_owner", sa.ForeignKey("keypairs.access_key"), nullable=False),
    sa.Column("resource_group", sa.ForeignKey("scaling_groups.name"), nullable=False),
    sa.Column("image", sa.String(256), nullable=False),
    sa.Column("architecture", sa.String(32), nullable=False),
    _slots("resource_slots"),
    sa.Column("command", sa.Text, nullable=True),
    sa.Column("environ", PortableJSON, nullable=False, default=dict),
    sa.Column("port", sa.Integer, nullable=False),
    sa.Column("health_check_path", sa.String(256), nullable=True),
    sa.Column("replicas", sa.Integer, nullable=False),
    sa.Column(
        "lifecycle_stage",
        StrEnumType(DeploymentLifecycle),
        nullable=False,
        default=DeploymentLifecycle.PENDING,
    ),
    sa.Column("url", sa.String(512), nullable=True),
    sa.Column("open_to_public", sa.Boolean, nullable=False, default=False),
    _created_at(),
    sa.Column("destroyed_at", UtcDateTime(), nullable=True),
    sa.Index(None, "lifecycle_stage"),
)

routes = sa.Table(
    "routes",
    metadata,
    sa.Column("id", UuidType(), primary_key=True),
    sa.Column("endpoint_id", sa.ForeignKey("deployments.id", ondelete="CASCADE"), nullable=False),
    sa.Column("session_id", sa.ForeignKey("sessions.id", ondelete="SET NULL"), nullable=True),
    sa.Column("status", StrEnumType(RouteStatus), nullable=False),
    sa.Column("traffic_ratio", sa.Float, nullable=False, default=1.0),
    sa.Column("error_data", PortableJSON, nullable=True),
    _created_at(),
    sa.Column("status_changed", UtcDateTime(), nullable=False),
    sa.Index(None, "endpoint_id", "status"),
    sa.Index(None, "session_id"),
    sa.Index(None, "status"),
)

auto_scaling_rules = sa.Table(
    "auto_scaling_rules",
    metadata,
    sa.Column("id", UuidType(), primary_key=True),
    sa.Column("endpoint_id", sa.ForeignKey("deployments.id", ondelete="CASCADE"), nullable=False),
    sa.Column("metric_source", sa.String(32), nullable=False),
    sa.Column("metric_name", sa.String(128), nullable=False),
    sa.Column("threshold", sa.Numeric(24, 6), nullable=False),
    sa.Column("comparator", sa.String(8), nullable=False),
    sa.Column("step_size", sa.Integer, nullable=False),
    sa.Column("cooldown_seconds", sa.Integer, nullable=False),
    sa.Column("min_replicas", sa.Integer, nullable=True),
    sa.Column("max_replicas", sa.Integer, nullable=True),
    _created_at(),
    sa.Column("last_triggered_at", UtcDateTime(), nullable=True),
    sa.Index(None, "endpoint_id"),
)
