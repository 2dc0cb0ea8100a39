"""Provider credentials at rest: Fernet via MultiFernet, keys from ENCRYPTION_KEY."""

from __future__ import annotations

import functools

from cryptography.fernet import Fernet, MultiFernet


@functools.cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    """The first key encrypts; any key decrypts."""
    return MultiFernet([Fernet(key) for key in keys])


def encrypt_secret(keys: tuple[str, ...], secret: str) -> str:
    """Encrypt a secret under the first key."""
    return _fernet(keys).encrypt(secret.encode()).decode()


def decrypt_secret(keys: tuple[str, ...], token: str) -> str:
    """Decrypt a secret made under any of the keys."""
    return _fernet(keys).decrypt(token.encode()).decode()


def reencrypt_secret(keys: tuple[str, ...], token: str) -> str:
    """The same secret, encrypted again under the first key."""
    return _fernet(keys).rotate(token.encode()).decode()


def mask_secret(secret: str) -> str:
    """A hint that identifies a key without revealing it: 'sk-…abcd'."""
    if len(secret) < 12:
        return "…" + secret[-2:]
    head = secret[:3]
    return f"{head}…{secret[-4:]}"
