"""Staff accounts: login hash, wrapped X25519 key and sealed TOTP secret."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from redress.store.models.base import Base, new_id
from redress.store.models.enums import Role, stored


class Caseworker(Base):
    __tablename__ = "caseworkers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(stored(Role))
    # argon2-cffi PHC string, checked before the (separate) key unwrapping.
    password_hash: Mapped[str] = mapped_column(String(256))
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    # Private key wrapped under a key derived from the passphrase (crypto.keys.wrap_private_key).
    wrapped_private_key: Mapped[bytes] = mapped_column(LargeBinary)
    # TOTP secret sealed to the caseworker's own public key: usable only after unwrapping.
    sealed_totp_secret: Mapped[bytes] = mapped_column(LargeBinary)
    # The last accepted TOTP time step; a code at or before it is a replay.
    totp_last_step: Mapped[int] = mapped_column(default=0)
    must_change_password: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime]
    # The administrator who created the account in the console, who may not add it to the
    # receiving team; None: the operator at the command line (or an account from before 0004
    # whose creation the audit log does not name). An account id, as in the audit log, without
    # a foreign key: SQLite adds one to an existing table only by rebuilding the table, which
    # would cascade into every table referring to accounts. Accounts are never deleted.
    created_by: Mapped[str | None] = mapped_column(String(32), default=None)
