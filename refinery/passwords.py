"""bcrypt hashing, and checks that cost at least the configured work whatever the account."""

from __future__ import annotations

import functools

import bcrypt


def hash_password(password: str, rounds: int) -> str:
    """Hash a password (8..72 bytes, checked by the caller) at the given cost."""
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds)).decode()


def hash_cost(password_hash: str) -> int:
    """The cost (log2 rounds) a bcrypt hash was made at: "$2b$12$..." -> 12."""
    return int(password_hash.split("$")[2])


def needs_rehash(password_hash: str, rounds: int) -> bool:
    """True when a stored hash was made at another cost than the configured one."""
    return hash_cost(password_hash) != rounds


@functools.cache
def _dummy_hash(rounds: int) -> bytes:
    """A hash of nothing anyone knows, at the same cost as real ones."""
    return bcrypt.hashpw(b"refinery-dummy-password", bcrypt.gensalt(rounds))


def check_password(password: str, password_hash: str | None, rounds: int) -> bool:
    """True when the password matches; every "no" spends at least one check at `rounds`.

    With no hash (an unknown e-mail), one check against a dummy hash at the configured cost.
    A wrong password against a hash made at a lower cost (before BCRYPT_ROUNDS was raised)
    also spends one dummy check at the configured cost, so it is no faster than an unknown
    e-mail; a right one is rehashed at that cost by the caller (needs_rehash).
    """
    secret = password.encode()
    # No stored password is over 72 bytes (registration refuses them), so a longer one
    # cannot match; it still costs one bcrypt check, like every other failure.
    if password_hash is None or len(secret) > 72:
        bcrypt.checkpw(secret[:72], _dummy_hash(rounds))
        return False
    matched = bcrypt.checkpw(secret, password_hash.encode())
    if not matched and hash_cost(password_hash) < rounds:
        bcrypt.checkpw(secret, _dummy_hash(rounds))
    return matched
