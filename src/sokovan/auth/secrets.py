"""Keypairs and secret hashing.

A keypair is a public access key plus a secret shown to its owner once. Only a salted scrypt
hash of the secret is stored. The hash is self-describing —
`scrypt$n=16384,r=8,p=1$<salt>$<digest>` (unpadded URL-safe base64) — so the cost parameters
can be raised later without invalidating hashes that already exist.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass, field

from sokovan.common.ids import AccessKey

ACCESS_KEY_PREFIX = "AKSK"
ACCESS_KEY_LENGTH = 20
_ACCESS_KEY_ALPHABET = string.ascii_uppercase + string.digits
_SECRET_BYTES = 30

_SCHEME = "scrypt"
_N, _R, _P = 2**14, 8, 1
_SALT_BYTES = 16
_DIGEST_BYTES = 32
# Bounds on parameters read back from a stored hash: a tampered row must not be able to make
# verification allocate gigabytes or spin for minutes.
_MAX_N = 2**20
_MAX_RP = 64


@dataclass(frozen=True, slots=True)
class GeneratedKeypair:
    """A fresh keypair; `secret_key` exists only here and in what its owner is given."""

    access_key: AccessKey
    secret_key: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class _ScryptParams:
    n: int
    r: int
    p: int

    def is_reasonable(self) -> bool:
        power_of_two = self.n > 1 and self.n & (self.n - 1) == 0
        return power_of_two and self.n <= _MAX_N and 0 < self.r * self.p <= _MAX_RP

    def encode(self) -> str:
        return f"n={self.n},r={self.r},p={self.p}"


def generate_access_key() -> AccessKey:
    """A random access key: the prefix and 16 upper-case letters or digits."""
    body = "".join(
        secrets.choice(_ACCESS_KEY_ALPHABET)
        for _ in range(ACCESS_KEY_LENGTH - len(ACCESS_KEY_PREFIX))
    )
    return AccessKey(ACCESS_KEY_PREFIX + body)


def generate_keypair() -> GeneratedKeypair:
    """A random access key and a random 240-bit URL-safe secret."""
    return GeneratedKeypair(generate_access_key(), secrets.token_urlsafe(_SECRET_BYTES))


def hash_secret(secret: str) -> str:
    """A salted scrypt hash of `secret` in the self-describing format; never the same twice."""
    params = _ScryptParams(_N, _R, _P)
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _scrypt(secret, salt, params)
    return f"{_SCHEME}${params.encode()}${_b64encode(salt)}${_b64encode(digest)}"


def verify_secret(secret: str, encoded: str) -> bool:
    """Whether `secret` matches `encoded`; False (never an exception) for malformed hashes.

    The digests are compared in constant time.
    """
    parsed = _parse(encoded)
    if parsed is None:
        return False
    params, salt, expected = parsed
    actual = _scrypt(secret, salt, params, length=len(expected))
    return hmac.compare_digest(actual, expected)


def _scrypt(secret: str, salt: bytes, params: _ScryptParams, length: int = _DIGEST_BYTES) -> bytes:
    # scrypt needs about 128·r·(n + p) bytes; hashlib refuses more than `maxmem` (32 MiB by
    # default), so the limit follows the parameters, which `_parse` has already bounded.
    needed = 128 * params.r * (params.n + params.p)
    return hashlib.scrypt(
        secret.encode(),
        salt=salt,
        n=params.n,
        r=params.r,
        p=params.p,
        maxmem=2 * needed,
        dklen=length,
    )


def _parse(encoded: str) -> tuple[_ScryptParams, bytes, bytes] | None:
    parts = encoded.split("$")
    if len(parts) != 4 or parts[0] != _SCHEME:
        return None
    params = _parse_params(parts[1])
    try:
        salt, digest = _b64decode(parts[2]), _b64decode(parts[3])
    except (binascii.Error, ValueError):
        return None
    if params is None or not params.is_reasonable() or not salt or not 16 <= len(digest) <= 64:
        return None
    return params, salt, digest


def _parse_params(text: str) -> _ScryptParams | None:
    try:
        pairs = dict(item.split("=", 1) for item in text.split(","))
        return _ScryptParams(int(pairs["n"]), int(pairs["r"]), int(pairs["p"]))
    except (KeyError, ValueError):
        return None


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
