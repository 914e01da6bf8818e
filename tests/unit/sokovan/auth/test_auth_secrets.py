"""Keypair generation and scrypt secret hashing."""

from __future__ import annotations

import base64
import hashlib

import pytest

from sokovan.auth.secrets import (
    ACCESS_KEY_LENGTH,
    ACCESS_KEY_PREFIX,
    generate_access_key,
    generate_keypair,
    hash_secret,
    verify_secret,
)


def test_access_keys_are_random_upper_case_alphanumerics_of_fixed_length() -> None:
    keys = {generate_access_key() for _ in range(50)}
    assert len(keys) == 50
    for key in keys:
        assert key.startswith(ACCESS_KEY_PREFIX)
        assert len(key) == ACCESS_KEY_LENGTH
        assert key.isalnum()
        assert key.isupper()


def test_keypair_secret_is_long_and_hidden_from_repr() -> None:
    keypair = generate_keypair()
    assert len(keypair.secret_key) >= 40
    assert keypair.secret_key not in repr(keypair)
    assert keypair.access_key in repr(keypair)


def test_hash_is_self_describing_and_salted() -> None:
    first, second = hash_secret("s3cret"), hash_secret("s3cret")
    assert first.startswith("scrypt$n=16384,r=8,p=1$")
    assert first != second
    assert len(first) <= 256


def test_verify_accepts_the_secret_and_rejects_others() -> None:
    encoded = hash_secret("s3cret")
    assert verify_secret("s3cret", encoded)
    assert not verify_secret("s3cret ", encoded)
    assert not verify_secret("", encoded)


def test_verify_honours_the_parameters_stored_in_the_hash() -> None:
    # Same secret, cheaper parameters than the current default: must still verify, which is
    # what lets the default cost be raised without invalidating stored hashes.
    encoded = hash_secret("s3cret").replace("n=16384", "n=1024")
    salt, digest = encoded.split("$")[2:]
    raw_salt = base64.urlsafe_b64decode(salt + "=" * (-len(salt) % 4))
    cheap = hashlib.scrypt(b"s3cret", salt=raw_salt, n=1024, r=8, p=1, dklen=32)
    rebuilt = encoded.replace(digest, base64.urlsafe_b64encode(cheap).rstrip(b"=").decode())
    assert verify_secret("s3cret", rebuilt)
    assert not verify_secret("s3cret", encoded)


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "unused-in-tests",
        "bcrypt$n=16384,r=8,p=1$c2FsdA$ZGlnZXN0",
        "scrypt$n=16384,r=8$c2FsdA$ZGlnZXN0ZGlnZXN0ZGlnZXN0",
        "scrypt$n=1000,r=8,p=1$c2FsdA$ZGlnZXN0ZGlnZXN0ZGlnZXN0",
        "scrypt$n=2147483648,r=8,p=1$c2FsdA$ZGlnZXN0ZGlnZXN0ZGlnZXN0",
        "scrypt$n=16384,r=8,p=1$$ZGlnZXN0ZGlnZXN0ZGlnZXN0",
        "scrypt$n=16384,r=8,p=1$c2FsdA$!!!",
        "scrypt$n=16384,r=8,p=1$c2FsdA$c2hvcnQ",
        "scrypt$n=x,r=8,p=1$c2FsdA$ZGlnZXN0ZGlnZXN0ZGlnZXN0",
        "scrypt$garbage$c2FsdA$ZGlnZXN0ZGlnZXN0ZGlnZXN0",
        "scrypt$n=16384,r=8,p=1$sält$ZGlnZXN0ZGlnZXN0ZGlnZXN0",
    ],
)
def test_malformed_or_unreasonable_hashes_never_verify(encoded: str) -> None:
    assert verify_secret("s3cret", encoded) is False
