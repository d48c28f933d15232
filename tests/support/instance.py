"""Throwaway instance configuration for tests and benchmarks: random secrets, cheap Argon2.

Cheap key-derivation parameters live here and only here (never in crypto/ or redress/).
"""

from __future__ import annotations

import secrets
from pathlib import Path

from crypto.params import KdfParams
from redress.store.config import Config, Secrets

CHEAP_KDF = KdfParams(opslimit=1, memlimit=8192)


def throwaway_config(
    instance: Path, database_url: str, recovery_public_key: bytes, *, testing: bool = True
) -> Config:
    """A configuration for an instance directory that exists only for one test or benchmark."""
    return Config(
        instance_path=instance,
        database_url=database_url,
        blob_dir=instance / "blobs",
        log_dir=instance / "logs",
        secrets=Secrets(
            intake_secret_key=secrets.token_bytes(32),
            console_secret_key=secrets.token_bytes(32),
            receipt_salt=secrets.token_bytes(16),
            signing_key_seed=secrets.token_bytes(32),
        ),
        recovery_public_key=recovery_public_key,
        kdf=CHEAP_KDF,
        receipt_kdf=CHEAP_KDF,
        testing=testing,
    )
