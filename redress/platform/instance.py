"""Creating a Redress instance: directory, secrets, organisation keys and the database.

The organisation recovery key is generated here, split into SLIP-39 shares for its trustees and
then forgotten: only its public half is written down. The shares are returned once for printing.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from crypto.keys import generate_keypair
from crypto.recovery import split_recovery_key
from crypto.signing import generate_signing_key, key_id
from redress.store.config import INSTANCE_FILE, Config, load_config
from redress.store.migrations import upgrade


class InstanceExistsError(Exception):
    """Refusing to overwrite an existing instance."""


@dataclass(frozen=True)
class NewInstance:
    config: Config
    signing_key_id: str
    recovery_threshold: int
    # Printed once for the trustees, never stored.
    recovery_shares: list[str] = field(repr=False)


def _toml_settings(settings: dict[str, str]) -> str:
    lines = [f'{name} = "{value}"' for name, value in settings.items()]
    return "\n".join(lines)


def create_instance(
    path: Path,
    *,
    threshold: int,
    shares: int,
    database_url: str | None = None,
) -> NewInstance:
    path = path.resolve()
    if (path / INSTANCE_FILE).exists():
        raise InstanceExistsError(f"an instance already exists at {path}; refusing to overwrite it")
    recovery = generate_keypair()
    recovery_shares = split_recovery_key(recovery.private, threshold, shares)
    signing = generate_signing_key()
    settings = {"database_url": database_url} if database_url else {}
    text = f"""# Redress instance configuration, written by `redress init`. Keep this file secret.

[settings]
{_toml_settings(settings)}

[secrets]
intake_secret_key = "{secrets.token_hex(32)}"
console_secret_key = "{secrets.token_hex(32)}"
receipt_salt = "{secrets.token_hex(16)}"
signing_key_seed = "{signing.seed.hex()}"

[organisation]
recovery_public_key = "{recovery.public.hex()}"
signing_public_key = "{signing.public.hex()}"
"""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path / INSTANCE_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    try:
        config = load_config(path)
        upgrade(config.database_url)
    except BaseException:
        # Leave no half-made instance behind that would block a corrected retry.
        (path / INSTANCE_FILE).unlink()
        raise
    return NewInstance(config, key_id(signing.public), threshold, recovery_shares)
