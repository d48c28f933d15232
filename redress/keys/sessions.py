"""Key-holding sessions: an unlocked private key kept server-side, encrypted under a cookie key.

The cookie carries a random session id and a random session key. The database keeps a digest of
the id, the payload (subject, private key and the exact idle and absolute expiry) encrypted under
the session key, and in clear only the day from which the record is certainly expired
(``purge_after``), which depends on the day the session began and nothing else. Neither a database
dump nor the cookie alone yields the private key or says when a reporter came or last made a
request, and any number of app workers can share the store. Logout and expiry (checked when the
cookie returns) delete the record; records whose cookie never returns are deleted from their
purge day on, whenever a session starts and by `redress purge`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

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
# A reporter session's idle expiry moves in 5-minute steps, so its record is rewritten at most
# once per step rather than on every request.
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

    def purge_after(self) -> date:
        """For a session beginning today: the day from which its record has certainly expired."""
        return clock.purge_day(self.absolute + timedelta(minutes=REPORTER_TIME_SLOT_MINUTES))


@dataclass(frozen=True)
class _Expiry:
    idle: datetime
    absolute: datetime

    def passed(self, now: datetime) -> bool:
        return now >= self.idle or now >= self.absolute


def _record_id(token: SessionToken) -> str:
    return digest(bytes.fromhex(token.session_id), domain=_ID_DOMAIN).hex()


def _seal(
    token: SessionToken,
    record_id: str,
    subject: dict[str, str],
    private_key: bytes,
    expiry: _Expiry,
) -> bytes:
    payload = {
        "subject": subject,
        "key": private_key.hex(),
        "idle_expires": expiry.idle.isoformat(),
        "absolute_expires": expiry.absolute.isoformat(),
    }
    return seal_record(token.session_key, payload, contexts.session_payload(record_id))


def start_session(
    db: Session,
    policy: SessionPolicy,
    subject: dict[str, str],
    private_key: bytes,
    *,
    caseworker_id: str | None = None,
) -> SessionToken:
    """A new session record (in the caller's transaction), and the token for the cookie.

    Records past their purge day, of visitors who never came back or signed out, go first.
    """
    purge_expired(db)
    token = SessionToken(secrets.token_hex(32), random_key())
    record_id = _record_id(token)
    now = clock.utcnow()
    expiry = _Expiry(policy.stamp(now + policy.idle), policy.stamp(now + policy.absolute))
    db.add(
        SessionRecord(
            id=record_id,
            app=policy.app,
            caseworker_id=caseworker_id,
            payload=_seal(token, record_id, subject, private_key, expiry),
            purge_after=policy.purge_after(),
        )
    )
    return token


def load_session(db: Session, policy: SessionPolicy, token: SessionToken) -> SessionData | None:
    """The session's subject and key, extending its idle expiry; None if gone or expired."""
    record_id = _record_id(token)
    record = db.get(SessionRecord, record_id)
    if record is None or record.app is not policy.app:
        return None
    now = clock.utcnow()
    if record.purge_after <= now.date():
        db.delete(record)
        return None
    try:
        payload = open_record(
            token.session_key, record.payload, contexts.session_payload(record_id)
        )
        subject = payload["subject"]
        private_key = bytes.fromhex(payload["key"])
        expiry = _Expiry(
            datetime.fromisoformat(payload["idle_expires"]),
            datetime.fromisoformat(payload["absolute_expires"]),
        )
        data = SessionData(subject=subject, private_key=private_key)
    except (UnreadableRecordError, KeyError, TypeError, ValueError):
        return None
    if expiry.passed(now):
        db.delete(record)
        return None
    extended = _Expiry(min(policy.stamp(now + policy.idle), expiry.absolute), expiry.absolute)
    if extended != expiry:
        record.payload = _seal(token, record_id, subject, private_key, extended)
    return data


def end_session(db: Session, token: SessionToken) -> None:
    db.execute(delete(SessionRecord).where(SessionRecord.id == _record_id(token)))


def purge_expired(db: Session) -> int:
    """Delete (in the caller's transaction) every record past its purge day; how many."""
    result = db.execute(delete(SessionRecord).where(SessionRecord.purge_after <= clock.today()))
    return int(getattr(result, "rowcount", 0) or 0)
