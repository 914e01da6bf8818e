"""TenancyRepository against real rows, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.common.clock import ManualClock
from sokovan.common.errors import InvalidInputError, NotFoundError
from sokovan.common.ids import AccessKey, GroupId, UserId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import AgentSelectionStrategy, SequencerStrategy, UserRole
from sokovan.db import tables as t
from sokovan.repositories.tenancy import (
    AlreadyExistsError,
    ResourcePolicyLimits,
    TenancyRepository,
    UnknownReferenceError,
)
from support.factories import T0


@pytest.fixture
def repo(db_engine: AsyncEngine) -> TenancyRepository:
    return TenancyRepository(db_engine, ManualClock(T0))


async def _count(engine: AsyncEngine, table: sa.Table) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


async def _tenant(repo: TenancyRepository) -> GroupId:
    await repo.ensure_domain("default")
    return await repo.ensure_group("default", "default")


async def _user(repo: TenancyRepository, name: str = "alice") -> UserId:
    group_id = await _tenant(repo)
    return await repo.create_user(f"{name}@example.com", name, "default", UserRole.USER, group_id)


async def test_ensure_resource_policy_creates_once_and_keeps_existing_limits(
    repo: TenancyRepository, db_engine: AsyncEngine
) -> None:
    limits = ResourcePolicyLimits(
        total_resource_slots=ResourceSlot({"cpu": "0.5"}), max_concurrent_sessions=3
    )
    assert await repo.ensure_resource_policy("gold", limits) is True
    assert await repo.ensure_resource_policy("gold") is False

    async with db_engine.connect() as conn:
        row = (await conn.execute(sa.select(t.resource_policies))).one()
    assert row.total_resource_slots["cpu"] == Decimal("0.5")
    assert row.max_concurrent_sessions == 3
    assert row.max_pending_session_count is None
    assert row.created_at == T0


async def test_ensure_resource_policy_refuses_negative_limits(
    repo: TenancyRepository, db_engine: AsyncEngine
) -> None:
    with pytest.raises(InvalidInputError, match="max_concurrent_sessions must not be negative"):
        await repo.ensure_resource_policy("bad", ResourcePolicyLimits(max_concurrent_sessions=-1))
    assert await _count(db_engine, t.resource_policies) == 0


async def test_ensure_domain_is_idempotent_and_links_its_policy(
    repo: TenancyRepository, db_engine: AsyncEngine
) -> None:
    await repo.ensure_resource_policy("default")
    assert await repo.ensure_domain("default", resource_policy="default") is True
    assert await repo.ensure_domain("default") is False

    async with db_engine.connect() as conn:
        row = (await conn.execute(sa.select(t.domains))).one()
    assert (row.name, row.resource_policy, row.is_active) == ("default", "default", True)


async def test_ensure_domain_with_unknown_policy_writes_nothing(
    repo: TenancyRepository, db_engine: AsyncEngine
) -> None:
    with pytest.raises(UnknownReferenceError, match="resource policy 'missing' does not exist"):
        await repo.ensure_domain("default", resource_policy="missing")
    assert await _count(db_engine, t.domains) == 0


@pytest.mark.parametrize("name", ["", " padded", "x" * 65])
async def test_invalid_names_are_refused_before_writing(
    repo: TenancyRepository, db_engine: AsyncEngine, name: str
) -> None:
    with pytest.raises(InvalidInputError, match="invalid domain name"):
        await repo.ensure_domain(name)
    assert await _count(db_engine, t.domains) == 0


async def test_ensure_group_returns_the_same_id_every_time(repo: TenancyRepository) -> None:
    first = await _tenant(repo)
    assert await repo.ensure_group("default", "default") == first
    assert await repo.ensure_group("default", "research") != first


async def test_ensure_group_in_unknown_domain_is_refused(
    repo: TenancyRepository, db_engine: AsyncEngine
) -> None:
    with pytest.raises(UnknownReferenceError, match="domain 'nowhere' does not exist"):
        await repo.ensure_group("nowhere", "default")
    assert await _count(db_engine, t.groups) == 0


async def test_ensure_scaling_group_stores_strategies_and_keeps_existing(
    repo: TenancyRepository, db_engine: AsyncEngine
) -> None:
    created = await repo.ensure_scaling_group(
        "gpu", SequencerStrategy.DRF, AgentSelectionStrategy.DISPERSED, pending_timeout=60.0
    )
    again = await repo.ensure_scaling_group("gpu", SequencerStrategy.LIFO)

    async with db_engine.connect() as conn:
        row = (await conn.execute(sa.select(t.scaling_groups))).one()
    assert (created, again) == (True, False)
    assert row.scheduler is SequencerStrategy.DRF
    assert row.agent_selection_strategy is AgentSelectionStrategy.DISPERSED
    assert row.pending_timeout == 60.0
    assert row.roundrobin_next_index == 0


async def test_create_user_adds_the_group_membership(
    repo: TenancyRepository, db_engine: AsyncEngine
) -> None:
    group_id = await _tenant(repo)
    user_id = await repo.create_user(
        "admin@sokovan.local", "admin", "default", UserRole.SUPERADMIN, group_id
    )

    user = await repo.get_user_by_email("admin@sokovan.local")
    async with db_engine.connect() as conn:
        members = (await conn.execute(sa.select(t.group_members))).all()
    assert user is not None
    assert (user.id, user.username, user.domain_name) == (user_id, "admin", "default")
    assert (user.role, user.is_active) == (UserRole.SUPERADMIN, True)
    assert [(m.group_id, m.user_id) for m in members] == [(group_id, user_id)]


async def test_get_user_by_email_returns_none_for_strangers(repo: TenancyRepository) -> None:
    assert await repo.get_user_by_email("nobody@example.com") is None


@pytest.mark.parametrize(
    ("email", "username", "error", "message"),
    [
        ("alice@example.com", "other", AlreadyExistsError, "e-mail address 'alice@example.com'"),
        ("other@example.com", "alice", AlreadyExistsError, "username 'alice' already exists"),
        ("not-an-email", "bob", InvalidInputError, "invalid e-mail address"),
    ],
)
async def test_create_user_refuses_duplicates_and_malformed_input(
    repo: TenancyRepository,
    db_engine: AsyncEngine,
    email: str,
    username: str,
    error: type[Exception],
    message: str,
) -> None:
    group_id = await _tenant(repo)
    await repo.create_user("alice@example.com", "alice", "default", UserRole.USER, group_id)

    with pytest.raises(error, match=message):
        await repo.create_user(email, username, "default", UserRole.USER, group_id)
    assert await _count(db_engine, t.users) == 1
    assert await _count(db_engine, t.group_members) == 1


async def test_create_user_refuses_unknown_domain_and_foreign_group(
    repo: TenancyRepository, db_engine: AsyncEngine
) -> None:
    group_id = await _tenant(repo)
    await repo.ensure_domain("other")

    with pytest.raises(UnknownReferenceError, match="domain 'nowhere' does not exist"):
        await repo.create_user("a@example.com", "a", "nowhere", UserRole.USER, group_id)
    with pytest.raises(NotFoundError, match="group in domain 'other'"):
        await repo.create_user("a@example.com", "a", "other", UserRole.USER, group_id)
    with pytest.raises(NotFoundError, match="group in domain 'default'"):
        await repo.create_user(
            "a@example.com", "a", "default", UserRole.USER, GroupId(uuid.uuid4())
        )
    assert await _count(db_engine, t.users) == 0


async def test_keypair_round_trips_without_the_secret(repo: TenancyRepository) -> None:
    user_id = await _user(repo)
    await repo.ensure_resource_policy("default")
    await repo.create_keypair(
        user_id, UserRole.USER, AccessKey("AKSK0001"), "scrypt$hash", resource_policy="default"
    )

    keypair = await repo.get_keypair(AccessKey("AKSK0001"))
    assert keypair is not None
    assert keypair.secret_key_hash == "scrypt$hash"
    assert (keypair.user_id, keypair.role, keypair.is_active) == (user_id, UserRole.USER, True)
    assert keypair.resource_policy == "default"
    assert "scrypt$hash" not in repr(keypair)
    assert await repo.get_keypair(AccessKey("AKSK0002")) is None


async def test_create_keypair_refuses_duplicates_and_unknown_references(
    repo: TenancyRepository, db_engine: AsyncEngine
) -> None:
    user_id = await _user(repo)
    await repo.create_keypair(user_id, UserRole.USER, AccessKey("AKSK0001"), "h1")

    with pytest.raises(AlreadyExistsError, match="access key 'AKSK0001' already exists"):
        await repo.create_keypair(user_id, UserRole.USER, AccessKey("AKSK0001"), "h2")
    with pytest.raises(UnknownReferenceError, match="user"):
        await repo.create_keypair(UserId(uuid.uuid4()), UserRole.USER, AccessKey("AKSK0002"), "h")
    with pytest.raises(UnknownReferenceError, match="resource policy 'gold'"):
        await repo.create_keypair(
            user_id, UserRole.USER, AccessKey("AKSK0003"), "h", resource_policy="gold"
        )
    with pytest.raises(InvalidInputError, match="invalid access key"):
        await repo.create_keypair(user_id, UserRole.USER, AccessKey("has space"), "h")
    keypair = await repo.get_keypair(AccessKey("AKSK0001"))
    assert keypair is not None
    assert keypair.secret_key_hash == "h1"
    assert await _count(db_engine, t.keypairs) == 1


async def test_ensure_image_returns_the_same_id_and_keeps_the_first_environment(
    repo: TenancyRepository, db_engine: AsyncEngine
) -> None:
    first = await repo.ensure_image("python:3.11", "x86_64", {"command": ["python3"]})
    again = await repo.ensure_image("python:3.11", "x86_64", {"command": ["other"]})
    arm = await repo.ensure_image("python:3.11", "aarch64", {"command": ["python3"]})

    async with db_engine.connect() as conn:
        rows = (await conn.execute(sa.select(t.images).order_by(t.images.c.architecture))).all()
    assert first == again != arm
    assert [(r.architecture, r.environment) for r in rows] == [
        ("aarch64", {"command": ["python3"]}),
        ("x86_64", {"command": ["python3"]}),
    ]
    assert rows[1].min_slots == ResourceSlot()
