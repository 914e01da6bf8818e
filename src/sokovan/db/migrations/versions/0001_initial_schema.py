"""initial schema

Revision ID: 0001
Revises: -
Create Date: 2026-11-22 05:31:33.355981
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Stored types are spelled out here (not sokovan.db.types) so that this migration keeps
# meaning the same schema however the application's column types evolve.
JSON_ = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "images",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("architecture", sa.String(length=32), nullable=False),
        sa.Column("environment", JSON_, nullable=False),
        sa.Column("min_slots", JSON_, nullable=False),
        sa.Column("labels", JSON_, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_images")),
        sa.UniqueConstraint("name", "architecture", name=op.f("uq_images_name_architecture")),
    )
    op.create_table(
        "resource_policies",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("total_resource_slots", JSON_, nullable=False),
        sa.Column("max_concurrent_sessions", sa.Integer(), nullable=True),
        sa.Column("max_pending_session_count", sa.Integer(), nullable=True),
        sa.Column("max_pending_session_resource_slots", JSON_, nullable=False),
        sa.Column("max_session_lifetime", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_resource_policies")),
    )
    op.create_table(
        "scaling_groups",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("scheduler", sa.String(length=64), nullable=False),
        sa.Column("agent_selection_strategy", sa.String(length=64), nullable=False),
        sa.Column("agent_selection_resource_priority", JSON_, nullable=False),
        sa.Column("enforce_spreading_endpoint_replica", sa.Boolean(), nullable=False),
        sa.Column("pending_timeout", sa.Float(), nullable=True),
        sa.Column("max_container_count", sa.Integer(), nullable=True),
        sa.Column("route_cleanup_target_statuses", JSON_, nullable=False),
        sa.Column("app_proxy_addr", sa.String(length=256), nullable=True),
        sa.Column("roundrobin_next_index", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scaling_groups")),
    )
    op.create_table(
        "agents",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("instance_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=64), nullable=False),
        sa.Column("status_changed", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scaling_group", sa.String(length=64), nullable=False),
        sa.Column("schedulable", sa.Boolean(), nullable=False),
        sa.Column("architecture", sa.String(length=32), nullable=False),
        sa.Column("available_slots", JSON_, nullable=False),
        sa.Column("occupied_slots", JSON_, nullable=False),
        sa.Column("container_count", sa.Integer(), nullable=False),
        sa.Column("addr", sa.String(length=256), nullable=False),
        sa.Column("watcher_addr", sa.String(length=256), nullable=True),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("first_contact", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_heartbeat", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lost_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["scaling_group"],
            ["scaling_groups.name"],
            name=op.f("fk_agents_scaling_group_scaling_groups"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agents")),
    )
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agents_scaling_group_status"), ["scaling_group", "status"], unique=False
        )

    op.create_table(
        "domains",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("resource_policy", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_policy"],
            ["resource_policies.name"],
            name=op.f("fk_domains_resource_policy_resource_policies"),
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_domains")),
    )
    op.create_table(
        "groups",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("domain_name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("resource_policy", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["domain_name"], ["domains.name"], name=op.f("fk_groups_domain_name_domains")
        ),
        sa.ForeignKeyConstraint(
            ["resource_policy"],
            ["resource_policies.name"],
            name=op.f("fk_groups_resource_policy_resource_policies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_groups")),
        sa.UniqueConstraint("domain_name", "name", name=op.f("uq_groups_domain_name_name")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=256), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("domain_name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("resource_policy", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["domain_name"], ["domains.name"], name=op.f("fk_users_domain_name_domains")
        ),
        sa.ForeignKeyConstraint(
            ["resource_policy"],
            ["resource_policies.name"],
            name=op.f("fk_users_resource_policy_resource_policies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "group_members",
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_group_members_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_group_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "user_id", name=op.f("pk_group_members")),
    )
    op.create_table(
        "keypairs",
        sa.Column("access_key", sa.String(length=32), nullable=False),
        sa.Column("secret_key_hash", sa.String(length=256), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("resource_policy", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["resource_policy"],
            ["resource_policies.name"],
            name=op.f("fk_keypairs_resource_policy_resource_policies"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_keypairs_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("access_key", name=op.f("pk_keypairs")),
    )
    with op.batch_alter_table("keypairs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_keypairs_user_id"), ["user_id"], unique=False)

    op.create_table(
        "deployments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("domain_name", sa.String(length=64), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("created_user", sa.Uuid(), nullable=False),
        sa.Column("session_owner", sa.String(length=32), nullable=False),
        sa.Column("resource_group", sa.String(length=64), nullable=False),
        sa.Column("image", sa.String(length=256), nullable=False),
        sa.Column("architecture", sa.String(length=32), nullable=False),
        sa.Column("resource_slots", JSON_, nullable=False),
        sa.Column("command", sa.Text(), nullable=True),
        sa.Column("environ", JSON_, nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("health_check_path", sa.String(length=256), nullable=True),
        sa.Column("replicas", sa.Integer(), nullable=False),
        sa.Column("lifecycle_stage", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=512), nullable=True),
        sa.Column("open_to_public", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_user"], ["users.id"], name=op.f("fk_deployments_created_user_users")
        ),
        sa.ForeignKeyConstraint(
            ["domain_name"], ["domains.name"], name=op.f("fk_deployments_domain_name_domains")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.id"], name=op.f("fk_deployments_group_id_groups")
        ),
        sa.ForeignKeyConstraint(
            ["resource_group"],
            ["scaling_groups.name"],
            name=op.f("fk_deployments_resource_group_scaling_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["session_owner"],
            ["keypairs.access_key"],
            name=op.f("fk_deployments_session_owner_keypairs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployments")),
    )
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deployments_lifecycle_stage"), ["lifecycle_stage"], unique=False
        )

    op.create_table(
        "sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("creation_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("session_type", sa.String(length=64), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("cluster_mode", sa.String(length=64), nullable=False),
        sa.Column("cluster_size", sa.Integer(), nullable=False),
        sa.Column("domain_name", sa.String(length=64), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("access_key", sa.String(length=32), nullable=False),
        sa.Column("scaling_group", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=64), nullable=False),
        sa.Column("status_info", sa.String(length=256), nullable=True),
        sa.Column("status_data", JSON_, nullable=True),
        sa.Column("status_changed", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.String(length=64), nullable=False),
        sa.Column("requested_slots", JSON_, nullable=False),
        sa.Column("occupying_slots", JSON_, nullable=False),
        sa.Column("designated_agent_ids", JSON_, nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("network_type", sa.String(length=32), nullable=True),
        sa.Column("network_id", sa.String(length=128), nullable=True),
        sa.Column("is_private", sa.Boolean(), nullable=False),
        sa.Column("environ", JSON_, nullable=False),
        sa.Column("tag", sa.String(length=256), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("terminated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["access_key"], ["keypairs.access_key"], name=op.f("fk_sessions_access_key_keypairs")
        ),
        sa.ForeignKeyConstraint(
            ["domain_name"], ["domains.name"], name=op.f("fk_sessions_domain_name_domains")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.id"], name=op.f("fk_sessions_group_id_groups")
        ),
        sa.ForeignKeyConstraint(
            ["scaling_group"],
            ["scaling_groups.name"],
            name=op.f("fk_sessions_scaling_group_scaling_groups"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sessions_access_key_status"), ["access_key", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sessions_scaling_group_status"),
            ["scaling_group", "status"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_sessions_status_status_changed"),
            ["status", "status_changed"],
            unique=False,
        )

    op.create_table(
        "auto_scaling_rules",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("endpoint_id", sa.Uuid(), nullable=False),
        sa.Column("metric_source", sa.String(length=32), nullable=False),
        sa.Column("metric_name", sa.String(length=128), nullable=False),
        sa.Column("threshold", sa.Numeric(precision=24, scale=6), nullable=False),
        sa.Column("comparator", sa.String(length=8), nullable=False),
        sa.Column("step_size", sa.Integer(), nullable=False),
        sa.Column("cooldown_seconds", sa.Integer(), nullable=False),
        sa.Column("min_replicas", sa.Integer(), nullable=True),
        sa.Column("max_replicas", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_triggered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["deployments.id"],
            name=op.f("fk_auto_scaling_rules_endpoint_id_deployments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auto_scaling_rules")),
    )
    with op.batch_alter_table("auto_scaling_rules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_auto_scaling_rules_endpoint_id"), ["endpoint_id"], unique=False
        )

    op.create_table(
        "kernels",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("access_key", sa.String(length=32), nullable=False),
        sa.Column("scaling_group", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.Column("agent_addr", sa.String(length=256), nullable=True),
        sa.Column("container_id", sa.String(length=128), nullable=True),
        sa.Column("cluster_role", sa.String(length=32), nullable=False),
        sa.Column("cluster_idx", sa.Integer(), nullable=False),
        sa.Column("local_rank", sa.Integer(), nullable=False),
        sa.Column("cluster_hostname", sa.String(length=64), nullable=False),
        sa.Column("image", sa.String(length=256), nullable=False),
        sa.Column("architecture", sa.String(length=32), nullable=False),
        sa.Column("requested_slots", JSON_, nullable=False),
        sa.Column("occupied_slots", JSON_, nullable=False),
        sa.Column("status", sa.String(length=64), nullable=False),
        sa.Column("status_info", sa.String(length=256), nullable=True),
        sa.Column("status_data", JSON_, nullable=True),
        sa.Column("status_changed", sa.DateTime(timezone=True), nullable=False),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("kernel_host", sa.String(length=256), nullable=True),
        sa.Column("service_ports", JSON_, nullable=False),
        sa.Column("startup_command", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("terminated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_kernels_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_kernels_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kernels")),
    )
    with op.batch_alter_table("kernels", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_kernels_agent_id_status"), ["agent_id", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_kernels_session_id"), ["session_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_kernels_status"), ["status"], unique=False)

    op.create_table(
        "routes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("endpoint_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=64), nullable=False),
        sa.Column("traffic_ratio", sa.Float(), nullable=False),
        sa.Column("error_data", JSON_, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_changed", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["deployments.id"],
            name=op.f("fk_routes_endpoint_id_deployments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_routes_session_id_sessions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routes")),
    )
    with op.batch_alter_table("routes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_routes_endpoint_id_status"), ["endpoint_id", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_routes_status"), ["status"], unique=False)

    op.create_table(
        "session_dependencies",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("depends_on", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["depends_on"],
            ["sessions.id"],
            name=op.f("fk_session_dependencies_depends_on_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_session_dependencies_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "depends_on", name=op.f("pk_session_dependencies")),
    )
    op.create_table(
        "session_scheduling_history",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("phase", sa.String(length=64), nullable=False),
        sa.Column("from_status", sa.String(length=64), nullable=True),
        sa.Column("to_status", sa.String(length=64), nullable=True),
        sa.Column("result", sa.String(length=64), nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_session_scheduling_history_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_scheduling_history")),
    )
    with op.batch_alter_table("session_scheduling_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_scheduling_history_session_id_created_at"),
            ["session_id", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("session_scheduling_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_scheduling_history_session_id_created_at"))

    op.drop_table("session_scheduling_history")
    op.drop_table("session_dependencies")
    with op.batch_alter_table("routes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_routes_status"))
        batch_op.drop_index(batch_op.f("ix_routes_endpoint_id_status"))

    op.drop_table("routes")
    with op.batch_alter_table("kernels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kernels_status"))
        batch_op.drop_index(batch_op.f("ix_kernels_session_id"))
        batch_op.drop_index(batch_op.f("ix_kernels_agent_id_status"))

    op.drop_table("kernels")
    with op.batch_alter_table("auto_scaling_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auto_scaling_rules_endpoint_id"))

    op.drop_table("auto_scaling_rules")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessions_status_status_changed"))
        batch_op.drop_index(batch_op.f("ix_sessions_scaling_group_status"))
        batch_op.drop_index(batch_op.f("ix_sessions_access_key_status"))

    op.drop_table("sessions")
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deployments_lifecycle_stage"))

    op.drop_table("deployments")
    with op.batch_alter_table("keypairs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_keypairs_user_id"))

    op.drop_table("keypairs")
    op.drop_table("group_members")
    op.drop_table("users")
    op.drop_table("groups")
    op.drop_table("domains")
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agents_scaling_group_status"))

    op.drop_table("agents")
    op.drop_table("scaling_groups")
    op.drop_table("resource_policies")
    op.drop_table("images")
