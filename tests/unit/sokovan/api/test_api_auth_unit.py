"""Credential parsing, role resolution, the verified-credential cache and the authenticator."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from sokovan.api.auth import (
    Authenticator,
    CredentialCache,
    Principal,
    effective_role,
    parse_authorization,
)
from sokovan.api.errors import AuthenticationError
from sokovan.auth.secrets import hash_secret
from sokovan.common.clock import ManualClock
from sokovan.common.ids import AccessKey, UserId
from sokovan.common.scheduling import UserRole
from sokovan.repositories.api.types import CredentialRecord

KEY = AccessKey("AKTEST")
SECRET = "s3cret"
HASH = hash_secret(SECRET)


def _principal(role: UserRole = UserRole.USER) -> Principal:
    return Principal(KEY, UserId(uuid.UUID(int=1)), "default", role)


class RecordingCredentials:
    """A `CredentialReader` over one record, counting lookups."""

    def __init__(self, record: CredentialRecord | None) -> None:
        self.record = record
        self.lookups = 0

    async def get_credential(self, access_key: AccessKey) -> CredentialRecord | None:
        self.lookups += 1
        return self.record if self.record and self.record.access_key == access_key else None


def _record(active: bool = True, keypair_role: UserRole = UserRole.ADMIN) -> CredentialRecord:
    return CredentialRecord(
        access_key=KEY,
        secret_key_hash=HASH,
        keypair_role=keypair_role,
        user_id=UserId(uuid.UUID(int=1)),
        user_role=UserRole.SUPERADMIN,
        domain_name="default",
        active=active,
    )


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Bearer AKTEST:s3cret", (KEY, SECRET)),
        ("bearer AKTEST:s3c:ret", (KEY, "s3c:ret")),
        ("  Bearer   AKTEST:s3cret ", (KEY, SECRET)),
    ],
)
def test_parse_authorization_accepts_bearer_key_and_secret(
    header: str, expected: tuple[AccessKey, str]
) -> None:
    assert parse_authorization(header) == expected


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Basic AKTEST:s3cret",
        "Bearer AKTEST",
        "Bearer :x",
        "Bearer AK-1:x",
        "Bearer AKTEST:",
        "Bearer " + "A" * 33 + ":x",
        "Bearer AKTEST:" + "x" * 257,
        "Bearer ÄK:x",
    ],
)
def test_parse_authorization_refuses_anything_else(header: str | None) -> None:
    with pytest.raises(AuthenticationError):
        parse_authorization(header)


@pytest.mark.parametrize(
    ("keypair", "user", "expected"),
    [
        (UserRole.SUPERADMIN, UserRole.USER, UserRole.USER),
        (UserRole.USER, UserRole.SUPERADMIN, UserRole.USER),
        (UserRole.ADMIN, UserRole.SUPERADMIN, UserRole.ADMIN),
        (UserRole.SUPERADMIN, UserRole.SUPERADMIN, UserRole.SUPERADMIN),
    ],
)
def test_effective_role_is_the_lesser(
    keypair: UserRole, user: UserRole, expected: UserRole
) -> None:
    assert effective_role(keypair, user) is expected


def test_cache_returns_a_principal_only_for_the_same_secret_until_the_ttl() -> None:
    clock = ManualClock()
    cache = CredentialCache(clock, ttl=60, max_entries=10)
    cache.put(KEY, SECRET, _principal())

    assert cache.get(KEY, SECRET) == _principal()
    assert cache.get(KEY, "other") is None
    clock.advance(timedelta(seconds=59))
    assert cache.get(KEY, SECRET) is not None
    clock.advance(timedelta(seconds=1))
    assert cache.get(KEY, SECRET) is None
    assert len(cache) == 0


def test_cache_never_holds_the_secret_and_invalidates_per_key() -> None:
    cache = CredentialCache(ManualClock(), ttl=60, max_entries=10)
    cache.put(KEY, SECRET, _principal())
    cache.put(AccessKey("OTHER"), SECRET, _principal())

    assert all(SECRET not in repr(key) and SECRET.encode() not in key[1] for key in cache._entries)
    cache.invalidate(KEY)
    assert cache.get(KEY, SECRET) is None
    assert cache.get(AccessKey("OTHER"), SECRET) is not None
    cache.clear()
    assert len(cache) == 0


def test_cache_is_bounded_dropping_expired_then_oldest() -> None:
    clock = ManualClock()
    cache = CredentialCache(clock, ttl=10, max_entries=2)
    cache.put(AccessKey("A"), SECRET, _principal())
    clock.advance(timedelta(seconds=5))
    cache.put(AccessKey("B"), SECRET, _principal())
    cache.put(AccessKey("C"), SECRET, _principal())

    assert len(cache) == 2
    assert cache.get(AccessKey("A"), SECRET) is None
    clock.advance(timedelta(seconds=6))
    cache.put(AccessKey("D"), SECRET, _principal())
    assert cache.get(AccessKey("C"), SECRET) is not None
    assert cache.get(AccessKey("D"), SECRET) is not None


def test_a_zero_ttl_disables_the_cache() -> None:
    cache = CredentialCache(ManualClock(), ttl=0, max_entries=10)
    cache.put(KEY, SECRET, _principal())
    assert cache.get(KEY, SECRET) is None


async def test_authenticator_verifies_once_then_serves_from_the_cache() -> None:
    credentials = RecordingCredentials(_record())
    authenticator = Authenticator(credentials, CredentialCache(ManualClock(), 60, 10))

    first = await authenticator.authenticate(f"Bearer {KEY}:{SECRET}")
    second = await authenticator.authenticate(f"Bearer {KEY}:{SECRET}")

    assert first == second == Principal(KEY, UserId(uuid.UUID(int=1)), "default", UserRole.ADMIN)
    assert credentials.lookups == 1


@pytest.mark.parametrize(
    ("record", "header", "message"),
    [
        (None, f"Bearer {KEY}:{SECRET}", "unknown access key or wrong secret"),
        (_record(), f"Bearer {KEY}:wrong", "unknown access key or wrong secret"),
        (_record(active=False), f"Bearer {KEY}:{SECRET}", "inactive"),
        (_record(active=False), f"Bearer {KEY}:wrong", "unknown access key or wrong secret"),
    ],
    ids=["unknown", "wrong-secret", "inactive", "inactive-wrong-secret"],
)
async def test_authenticator_refuses_and_caches_nothing(
    record: CredentialRecord | None, header: str, message: str
) -> None:
    cache = CredentialCache(ManualClock(), 60, 10)
    authenticator = Authenticator(RecordingCredentials(record), cache)

    with pytest.raises(AuthenticationError, match=message):
        await authenticator.authenticate(header)

    assert len(cache) == 0
