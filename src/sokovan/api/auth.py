"""Authentication: `Authorization: Bearer <access_key>:<secret_key>` to a `Principal`.

Secrets are stored as scrypt hashes, slow to check on purpose (~tens of ms of CPU). A
successful check is therefore remembered for a short TTL, keyed by the access key and an
HMAC-SHA256 of the secret under a key drawn per process: the cache never holds a secret, and
its keys are useless outside this process. Deactivating a keypair, user or domain through the
API evicts what it affects at once; a change made elsewhere (another manager replica) takes
effect within the TTL. The hash check runs in a worker thread so that it never stalls the
event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sokovan.api.errors import AuthenticationError
from sokovan.auth.secrets import verify_secret
from sokovan.common.clock import Clock
from sokovan.common.ids import AccessKey, UserId
from sokovan.common.scheduling import UserRole
from sokovan.repositories.api.types import CredentialRecord

SCHEME = "bearer"
ACCESS_KEY_MAX = 32
SECRET_MAX = 256
_HOW = "send 'Authorization: Bearer <access_key>:<secret_key>'"
_RANK = {UserRole.USER: 0, UserRole.ADMIN: 1, UserRole.SUPERADMIN: 2}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, and with which role."""

    access_key: AccessKey
    user_id: UserId
    domain_name: str
    role: UserRole

    @property
    def is_admin(self) -> bool:
        return self.role in (UserRole.ADMIN, UserRole.SUPERADMIN)

    @property
    def is_superadmin(self) -> bool:
        return self.role is UserRole.SUPERADMIN


def effective_role(keypair_role: UserRole, user_role: UserRole) -> UserRole:
    """The lesser of the two: a keypair never grants more than its user has, nor the reverse."""
    return min(keypair_role, user_role, key=_RANK.__getitem__)


def parse_authorization(header: str | None) -> tuple[AccessKey, str]:
    """(access key, secret) from the header value; AuthenticationError when absent or malformed."""
    if not header:
        raise AuthenticationError(f"missing credentials: {_HOW}")
    scheme, _, credentials = header.strip().partition(" ")
    access_key, colon, secret = credentials.strip().partition(":")
    well_formed = (
        scheme.lower() == SCHEME
        and colon
        and 0 < len(access_key) <= ACCESS_KEY_MAX
        and access_key.isascii()
        and access_key.isalnum()
        and 0 < len(secret) <= SECRET_MAX
    )
    if not well_formed:
        raise AuthenticationError(f"malformed credentials: {_HOW}")
    return AccessKey(access_key), secret


class CredentialCache:
    """Principals of recently verified credentials; bounded, expiring, never holds secrets."""

    def __init__(self, clock: Clock, ttl: float, max_entries: int) -> None:
        self._clock = clock
        self._ttl = timedelta(seconds=ttl)
        self._max_entries = max_entries
        self._hmac_key = secrets.token_bytes(32)
        self._entries: dict[tuple[AccessKey, bytes], tuple[Principal, datetime]] = {}

    def get(self, access_key: AccessKey, secret: str) -> Principal | None:
        key = (access_key, self._fingerprint(secret))
        entry = self._entries.get(key)
        if entry is None:
            return None
        principal, expires_at = entry
        if self._clock.now() >= expires_at:
            del self._entries[key]
            return None
        return principal

    def put(self, access_key: AccessKey, secret: str, principal: Principal) -> None:
        if self._ttl <= timedelta(0) or self._max_entries <= 0:
            return
        if len(self._entries) >= self._max_entries:
            self._evict()
        key = (access_key, self._fingerprint(secret))
        self._entries[key] = (principal, self._clock.now() + self._ttl)

    def invalidate(self, access_key: AccessKey) -> None:
        """Forget every verification of `access_key`."""
        for key in [key for key in self._entries if key[0] == access_key]:
            del self._entries[key]

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def _evict(self) -> None:
        """Drop expired entries; if none were, drop the oldest (insertion order)."""
        now = self._clock.now()
        for key in [key for key, (_, expires) in self._entries.items() if now >= expires]:
            del self._entries[key]
        if len(self._entries) >= self._max_entries:
            del self._entries[next(iter(self._entries))]

    def _fingerprint(self, secret: str) -> bytes:
        data = secret.encode("utf-8", "surrogatepass")
        return hmac.new(self._hmac_key, data, hashlib.sha256).digest()


class CredentialReader(Protocol):
    async def get_credential(self, access_key: AccessKey) -> CredentialRecord | None: ...


class Authenticator:
    """Checks credentials against the database, through the cache."""

    def __init__(self, repository: CredentialReader, cache: CredentialCache) -> None:
        self._repository = repository
        self._cache = cache

    async def authenticate(self, header: str | None) -> Principal:
        """The caller's principal; AuthenticationError for missing, wrong or inactive keys."""
        access_key, secret = parse_authorization(header)
        cached = self._cache.get(access_key, secret)
        if cached is not None:
            return cached
        record = await self._repository.get_credential(access_key)
        if record is None or not await asyncio.to_thread(
            verify_secret, secret, record.secret_key_hash
        ):
            raise AuthenticationError("invalid credentials: unknown access key or wrong secret")
        if not record.active:
            # Said only to whoever proved they hold the secret.
            raise AuthenticationError(
                f"keypair {access_key} is inactive (or its user or domain is); "
                "ask an administrator to reactivate it"
            )
        principal = Principal(
            access_key=record.access_key,
            user_id=record.user_id,
            domain_name=record.domain_name,
            role=effective_role(record.keypair_role, record.user_role),
        )
        self._cache.put(access_key, secret, principal)
        return principal
