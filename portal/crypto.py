"""Field encryption for secrets at rest (MP121 install codes) with MultiFernet.

``settings.FIELD_ENCRYPTION_KEYS`` lists Fernet keys newest first: new values are encrypted with
the first key, and any listed key decrypts. To rotate: put a new key first, deploy, run
``manage.py rotate_encryption_keys`` (which re-encrypts every stored value with the newest key),
then drop the old key from the list.
"""
from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class DecryptionFailed(Exception):
    """The ciphertext was made with a key no longer in ``FIELD_ENCRYPTION_KEYS`` (or was tampered with)."""


@lru_cache(maxsize=8)
def _multifernet_for(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise RuntimeError("FIELD_ENCRYPTION_KEYS is empty: at least one Fernet key is needed.")
    return MultiFernet([Fernet(key.encode() if isinstance(key, str) else key) for key in keys])


def multifernet() -> MultiFernet:
    """The MultiFernet for the current settings (cached per key list, so tests may override the setting)."""
    return _multifernet_for(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_text(clear: str) -> str:
    """Encrypt ``clear`` with the newest key; returns the Fernet token as text."""
    return multifernet().encrypt(clear.encode()).decode()


def decrypt_text(token: str) -> str:
    try:
        return multifernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise DecryptionFailed("The value cannot be decrypted with any configured key.") from error


def reencrypt_text(token: str) -> str:
    """Return ``token`` re-encrypted with the newest key (the clear value never leaves this call)."""
    try:
        return multifernet().rotate(token.encode()).decode()
    except InvalidToken as error:
        raise DecryptionFailed("The value cannot be decrypted with any configured key.") from error
