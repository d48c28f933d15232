"""Key-holding sessions: an unlocked private key kept server-side, encrypted under a cookie key.

The cookie carries a random session id and a random session key. The database keeps only a
digest of the id, the expiry times and the payload (subject and private key) encrypted under the
session key. Neither a database dump nor the cookie alone yields the private key, and any number
of app workers can share the store. Logout and expiry delete the record.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from crypto.digests import digest
from crypto.keys import KeyPair, keypair_from_private, random_key
from redress.keys import contexts
from redress.keys.sealed import UnreadableRecordError, open_record, seal_record
from redress.store import clock
from redress.store.config import Config
from redress.store.models import SessionApp, SessionRecord

_ID_DOMAIN = b"redress-session-id"
# Reporter sessions keep their expiry in coarse slots so no exact activity time is stored.
REPORTER_TIME_SLOT_MINUTES = 5


@dataclass(frozen=True)
class SessionToken:
    """What the cookie holds."""

    session_id: str
    session_key: bytes = field(repr=False)

    def encode(self) -> str:
        return f"{self.session_id}.{self.session_key.hex()}"

    @classmethod
    def decode(cls, value: object) -> SessionToken | None:
        if not isinstance(value, str) or value.count(".") != 1:
            return None
        session_id, key_hex = value.split(".")
        try:
            key = bytes.fromhex(key_hex)
            bytes.fromhex(session_id)
        except ValueError:
            return None
        return cls(session_id, key) if len(key) == 32 and len(session_id) == 64 else None


@dataclass(frozen=True)
class SessionData:
    subject: dict[str, str]
    private_key: bytes = field(repr=False)

    @property
    def keypair(self) -> KeyPair:
        """The unlocked key pair this session holds."""
        return keypair_from_private(self.private_key)


@dataclass(frozen=True)
class SessionPolicy:
    app: SessionApp
    idle: timedelta
    absolute: timedelta

    @classmethod
    def for_app(cls, app: SessionApp, config: Config) -> SessionPolicy:
        return cls(
            app=app,
            idle=timedelta(minutes=config.session_idle_minutes),
            absolute=timedelta(hours=config.session_absolute_hours),
        )

    def stamp(self, moment: datetime) -> datetime:
        if self.app is SessionApp.INTAKE:
            return clock.round_up(moment, REPORTER_TIME_SLOT_MINUTES)
        return moment


def _record_id(token: SessionToken) -> str:
    return digest(bytes.fromhex(token.session_id), domain=_ID_DOMAIN).hex()


def start_session(
    db: Session,
    policy: SessionPolicy,
    subject: dict[str, str],
    private_key: bytes,
    *,
    caseworker_id: str | None = None,
) -> SessionToken:
    token = SessionToken(secrets.token_hex(32), random_key())
    record_id = _record_id(token)
    payload = {"subject": subject, "key": private_key.hex()}
    now = clock.utcnow()
    db.add(
        SessionRecord(
            id=record_id,
            app=policy.app,
            caseworker_id=caseworker_id,
            payload=seal_record(token.session_key, payload, contexts.session_payload(record_id)),
            idle_expires_at=policy.stamp(now + policy.idle),
            absolute_expires_at=policy.stamp(now + policy.absolute),
        )
    )
    return token


def load_session(db: Session, policy: SessionPolicy, token: SessionToken) -> SessionData | None:
    """The session's subject and key, extending its idle expiry; None if gone or expired."""
    record_id = _record_id(token)
    record = db.get(SessionRecord, record_id)
    now = clock.utcnow()
    if record is None or record.app is not policy.app:
        return None
    if now >= record.idle_expires_at or now >= record.absolute_expires_at:
        db.delete(record)
        return None
    try:
        payload = open_record(
            token.session_key, record.payload, contexts.session_payload(record_id)
        )
        data = SessionData(subject=payload["subject"], private_key=bytes.fromhex(payload["key"]))
    except (UnreadableRecordError, KeyError, TypeError, ValueError):
        return None
    idle_expiry = min(policy.stamp(now + policy.idle), record.absolute_expires_at)
    if idle_expiry != record.idle_expires_at:
        record.idle_expires_at = idle_expiry
    return data


def end_session(db: Session, token: SessionToken) -> None:
    db.execute(delete(SessionRecord).where(SessionRecord.id == _record_id(token)))


def purge_expired(db: Session) -> int:
    now = clock.utcnow()
    result = db.execute(
        delete(SessionRecord).where(
            (SessionRecord.idle_expires_at <= now) | (SessionRecord.absolute_expires_at <= now)
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
