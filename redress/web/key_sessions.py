"""Key-holding sessions as a view sees them: the cookie holds only the session key
(:mod:`redress.keys.sessions` keeps the private key, encrypted under it, server-side)."""

from __future__ import annotations

from flask import current_app, g, session

from redress.keys import sessions
from redress.store.models import SessionApp
from redress.web.services import db

_COOKIE_TOKEN = "k"  # noqa: S105 - the name of a cookie field, not a secret


def begin_key_session(
    policy: sessions.SessionPolicy,
    subject: dict[str, str],
    private_key: bytes,
    caseworker_id: str | None = None,
) -> None:
    """Start a key-holding session in a fresh cookie session (no fixation of the session id).

    Staff sessions also get a new CSRF secret. A reporter's keeps it, so that a report form
    sent twice (a double click, a reload of the receipt page) still passes CSRF and can be
    answered with the same receipt instead of "this form has expired".
    """
    token = sessions.start_session(db(), policy, subject, private_key, caseworker_id=caseworker_id)
    db().commit()
    csrf_field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    csrf_secret = session.get(csrf_field)
    session.clear()
    if policy.app is SessionApp.INTAKE and csrf_secret is not None:
        session[csrf_field] = csrf_secret
    else:
        # Flask-WTF cached a token signed for the old secret in this request: drop it.
        g.pop(csrf_field, None)
    session[_COOKIE_TOKEN] = token.encode()


def current_key_session(policy: sessions.SessionPolicy) -> sessions.SessionData | None:
    if "key_session" not in g:
        token = sessions.SessionToken.decode(session.get(_COOKIE_TOKEN))
        g.key_session = sessions.load_session(db(), policy, token) if token else None
        db().commit()
        if g.key_session is None and token is not None:
            session.clear()
    found: sessions.SessionData | None = g.key_session
    return found


def end_key_session() -> None:
    token = sessions.SessionToken.decode(session.get(_COOKIE_TOKEN))
    if token is not None:
        sessions.end_session(db(), token)
        db().commit()
    session.clear()
    g.pop("key_session", None)
