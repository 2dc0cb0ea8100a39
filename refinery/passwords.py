"""bcrypt hashing, and an equal-cost check for unknown accounts."""

from __future__ import annotations

import functools

import bcrypt


def hash_password(password: str, rounds: int) -> str:
    """Hash a password (8..72 bytes, checked by the caller) at the given cost."""
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds)).decode()


@functools.cache
def _dummy_hash(rounds: int) -> bytes:
    """A hash of nothing anyone knows, at the same cost as real ones."""
    return bcrypt.hashpw(b"refinery-dummy-password", bcrypt.gensalt(rounds))


def check_password(password: str, password_hash: str | None, rounds: int) -> bool:
    """True when the password matches; with no hash, spend the same time and say no."""
    secret = password.encode()
    # No stored password is over 72 bytes (registration refuses them), so a longer one
    # cannot match; it still costs one bcrypt check, like every other failure.
    if password_hash is None or len(secret) > 72:
        bcrypt.checkpw(secret[:72], _dummy_hash(rounds))
        return False
    return bcrypt.checkpw(secret, password_hash.encode())
