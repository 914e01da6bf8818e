"""ApiRepository administration on both backends: lists, group creation, changes, refusals."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.common.clock import ManualClock
from sokovan.common.errors import InvalidInputError, NotFoundError
from sokovan.common.ids import AccessKey, GroupId, UserId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import AgentSelectionStrategy, UserRole
from sokovan.db import tables as t
from sokovan.repositories.api import ApiRepository
from sokovan.repositories.api.types import (
    UNSET,
    DomainChanges,
    GroupChanges,
    KeypairChanges,
    ListWindow,
    NewGroup,
    ResourcePolicyChanges,
    ScalingGroupChanges,
    UserChanges,
    assigned,
)
from sokovan.repositories.tenancy import AlreadyExistsError, UnknownReferenceError
from support.factories import T0, add_resource_policy, add_scaling_group, add_tenant


@pytest.fixture
def repo(db_engine: AsyncEngine) -> ApiRepository:
    return ApiRepository(db_engine, ManualClock(T0))


async def _counts(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        return {
            table.name: await conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0
            for table in t.metadata.sorted_tables
        }


def test_assigned_names_only_the_fields_set() -> None:
    assert assigned(DomainChanges()) == {}
    assert assigned(DomainChanges(resource_policy=None, is_active=False)) == {
        "is_active": False,
        "resource_policy": None,
    }
    assert DomainChanges().description is UNSET
    with pytest.raises(TypeError):
        assigned(object())


async def test_groups_are_created_listed_and_changed(
    db_engine: AsyncEngine, repo: ApiRepository
) -> None:
    await add_tenant(db_engine)
    await add_resource_policy(db_engine, "gold")

    created = await repo.create_group(NewGroup("default", "research", "ML", "gold"))
    changed = await repo.update_group(created.id, GroupChanges(is_active=False))
    listed = await repo.list_groups("default", ListWindow())

    assert (created.name, created.description, created.resource_policy) == (
        "research",
        "ML",
        "gold",
    )
    assert created.created_at == T0
    assert changed.is_active is False
    assert [g.name for g in listed] == ["default", "research"]
    assert await repo.list_groups("elsewhere", ListWindow()) == []


@pytest.mark.parametrize(
    ("group", "error"),
    [
        (NewGroup("default", "default"), AlreadyExistsError),
        (NewGroup("ghost", "g"), UnknownReferenceError),
        (NewGroup("default", "g", resource_policy="none"), UnknownReferenceError),
        (NewGroup("default", " spaced"), InvalidInputError),
    ],
    ids=["taken", "no-domain", "no-policy", "bad-name"],
)
async def test_refused_group_creation_writes_nothing(
    db_engine: AsyncEngine, repo: ApiRepository, group: NewGroup, error: type[Exception]
) -> None:
    await add_tenant(db_engine)
    before = await _counts(db_engine)

    with pytest.raises(error):
        await repo.create_group(group)

    assert await _counts(db_engine) == before


async def test_domains_users_and_keypairs_change_and_list(
    db_engine: AsyncEngine, repo: ApiRepository
) -> None:
    tenant = await add_tenant(db_engine)
    await add_resource_policy(db_engine, "gold")

    domain = await repo.update_domain("default", DomainChanges("main", resource_policy="gold"))
    user = await repo.update_user(tenant.user_id, UserChanges(role=UserRole.ADMIN))
    keypair = await repo.update_keypair(tenant.access_key, KeypairChanges(is_active=False))

    assert (domain.description, domain.resource_policy) == ("main", "gold")
    assert (user.role, user.group_ids) == (UserRole.ADMIN, (tenant.group_id,))
    assert keypair.is_active is False
    assert await repo.get_domain("default") == domain
    assert await repo.get_user(tenant.user_id) == user
    assert await repo.get_keypair_info(tenant.access_key) == keypair
    assert [u.id for u in await repo.list_users("default", ListWindow())] == [tenant.user_id]
    assert await repo.list_keypairs(tenant.user_id, ListWindow()) == [keypair]
    assert await repo.get_user(UserId(uuid.uuid4())) is None


async def test_lists_are_windowed(db_engine: AsyncEngine, repo: ApiRepository) -> None:
    for name in ("a", "b", "c"):
        await add_resource_policy(db_engine, name)

    page = await repo.list_resource_policies(ListWindow(limit=2, offset=1))

    assert [p.name for p in page] == ["b", "c"]


async def test_changes_to_missing_rows_or_policies_are_refused_and_write_nothing(
    db_engine: AsyncEngine, repo: ApiRepository
) -> None:
    tenant = await add_tenant(db_engine)
    await add_scaling_group(db_engine)
    before = await _counts(db_engine)
    async with db_engine.connect() as conn:
        rows_before = (await conn.execute(sa.select(t.keypairs))).all()

    with pytest.raises(NotFoundError, match="domain 'ghost' does not exist"):
        await repo.update_domain("ghost", DomainChanges(is_active=False))
    with pytest.raises(NotFoundError, match="group"):
        await repo.update_group(GroupId(uuid.uuid4()), GroupChanges())
    with pytest.raises(UnknownReferenceError, match="resource policy 'none'"):
        await repo.update_keypair(
            tenant.access_key, KeypairChanges(is_active=False, resource_policy="none")
        )
    with pytest.raises(NotFoundError, match="keypair 'NOPE'"):
        await repo.update_keypair(AccessKey("NOPE"), KeypairChanges(is_active=False))
    with pytest.raises(InvalidInputError, match="max_pending_session_count"):
        await repo.update_resource_policy(
            "any", ResourcePolicyChanges(max_pending_session_count=-1)
        )
    with pytest.raises(InvalidInputError, match="pending_timeout"):
        await repo.update_scaling_group("default", ScalingGroupChanges(pending_timeout=-1.0))

    assert await _counts(db_engine) == before
    async with db_engine.connect() as conn:
        assert (await conn.execute(sa.select(t.keypairs))).all() == rows_before


async def test_policies_and_scaling_groups_change(
    db_engine: AsyncEngine, repo: ApiRepository
) -> None:
    await add_resource_policy(db_engine, "team", max_pending_session_count=3)
    await add_scaling_group(db_engine)

    policy = await repo.update_resource_policy(
        "team",
        ResourcePolicyChanges(
            total_resource_slots=ResourceSlot({"cpu": 8}), max_pending_session_count=None
        ),
    )
    group = await repo.update_scaling_group(
        "default",
        ScalingGroupChanges(
            agent_selection_strategy=AgentSelectionStrategy.DISPERSED,
            agent_selection_resource_priority=("cuda.device", "cpu"),
            max_container_count=4,
        ),
    )

    assert policy.total_resource_slots == ResourceSlot({"cpu": 8})
    assert policy.max_pending_session_count is None
    assert await repo.get_resource_policy("team") == policy
    assert group.agent_selection_strategy is AgentSelectionStrategy.DISPERSED
    assert group.agent_selection_resource_priority == ("cuda.device", "cpu")
    assert group.max_container_count == 4
    assert await repo.list_scaling_groups(ListWindow()) == [group]
    assert await repo.get_scaling_group("nowhere") is None
