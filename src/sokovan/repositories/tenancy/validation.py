"""Input checks run before any tenancy write, so bad input fails the same way on every backend.

PostgreSQL would reject an over-long name and SQLite would store it; checking here first keeps
the behaviour (and the message) identical and guarantees nothing is written.
"""

from __future__ import annotations

from sokovan.common.errors import InvalidInputError
from sokovan.repositories.tenancy.types import ResourcePolicyLimits

NAME_MAX = 64
EMAIL_MAX = 256
ACCESS_KEY_MAX = 32
SECRET_HASH_MAX = 256
IMAGE_NAME_MAX = 256
ARCHITECTURE_MAX = 32


def check_text(kind: str, value: str, max_length: int = NAME_MAX) -> None:
    """A name must be 1..max_length characters with no surrounding whitespace."""
    if not value or value != value.strip() or len(value) > max_length:
        raise InvalidInputError(
            f"invalid {kind} {value!r}: use 1 to {max_length} characters "
            "without leading or trailing spaces"
        )


def check_email(email: str) -> None:
    local, at, host = email.partition("@")
    if not (local and at and host) or "@" in host or any(ch.isspace() for ch in email):
        raise InvalidInputError(f"invalid e-mail address {email!r}: expected NAME@HOST")
    check_text("e-mail address", email, EMAIL_MAX)


def check_access_key(access_key: str) -> None:
    if not access_key.isascii() or not access_key.isalnum() or len(access_key) > ACCESS_KEY_MAX:
        raise InvalidInputError(
            f"invalid access key {access_key!r}: use 1 to {ACCESS_KEY_MAX} letters or digits"
        )


def check_limits(limits: ResourcePolicyLimits) -> None:
    """Counts and lifetimes, where set, must not be negative."""
    numbers = {
        "max_concurrent_sessions": limits.max_concurrent_sessions,
        "max_pending_session_count": limits.max_pending_session_count,
        "max_session_lifetime": limits.max_session_lifetime,
    }
    for name, number in numbers.items():
        if number is not None and number < 0:
            raise InvalidInputError(f"{name} must not be negative, not {number}")
