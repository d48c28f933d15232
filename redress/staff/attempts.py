"""Sign-in attempts, counted in the database in atomic steps, so that the back-off and the
one-use TOTP codes hold against parallel attempts, across threads, worker processes and servers.

Each step is one conditional ``UPDATE ... RETURNING`` on the account's row: PostgreSQL holds the
row's lock from that statement to the commit (a second attempt waits for it, then reads the new
values), SQLite the database's write lock. Nothing is read first and written later from Python,
which is what let parallel attempts overwrite each other's counts.

- :func:`claim` counts an attempt as failed *before* its passphrase is checked, and starts or
  lengthens the back-off; the caller commits that at once (the expensive checks then run without
  holding a lock), and an account that was backing off has its attempt refused, unchecked.
- :func:`claim_totp_step` uses up a TOTP time step; of several sign-ins with the same code, only
  the first to reach the database gets it.
- :func:`succeeded` starts the count again after a sign-in that passed every check.

Recovery codes are used up the same way, row by row (redress.staff.recovery_codes.redeem).
The caller commits, as everywhere in the domain.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from redress.store.models import Caseworker

# Failed sign-ins allowed before the account backs off, and the longest back-off.
FREE_ATTEMPTS = 5
MAX_BACKOFF = timedelta(hours=1)
_FIRST_BACKOFF = timedelta(minutes=1)
# Doublings after which the back-off has reached MAX_BACKOFF (the exponent must stay small:
# 2 ** 46 minutes no longer fits in a timedelta).
_DOUBLINGS = (MAX_BACKOFF // _FIRST_BACKOFF).bit_length()
# The in-session copy of an updated account is refreshed from the database, not guessed.
_SYNC = {"synchronize_session": "fetch"}


def backoff(failures: int) -> timedelta:
    """How long an account backs off after `failures` failed sign-ins in a row (at least
    FREE_ATTEMPTS): a minute, doubling with each further failure, at most MAX_BACKOFF."""
    doublings = min(max(failures - FREE_ATTEMPTS, 0), _DOUBLINGS)
    return min(_FIRST_BACKOFF * (1 << doublings), MAX_BACKOFF)


def claim(db: Session, caseworker_id: str, now: datetime) -> bool:
    """Count one sign-in attempt as failed, before it is checked; False if the account was
    backing off at `now` (the attempt is then refused unchecked, and still counts).

    The count and the back-off it brings change together: the increment's row lock (or the
    SQLite write lock) is held until the caller commits, and the caller commits before checking
    anything, so no attempt is checked unless it was counted first.
    """
    failures, locked_until = db.execute(
        update(Caseworker)
        .where(Caseworker.id == caseworker_id)
        .values(failed_logins=Caseworker.failed_logins + 1)
        .returning(Caseworker.failed_logins, Caseworker.locked_until),
        execution_options=_SYNC,
    ).one()
    backing_off = locked_until is not None and locked_until > now
    if failures >= FREE_ATTEMPTS:
        until = now + backoff(failures)
        # An attempt that read the clock earlier never shortens a later one's back-off.
        if locked_until is None or until > locked_until:
            db.execute(
                update(Caseworker).where(Caseworker.id == caseworker_id).values(locked_until=until),
                execution_options=_SYNC,
            )
    return not backing_off


def claim_totp_step(db: Session, caseworker_id: str, step: int) -> bool:
    """Use up TOTP time `step` for the account: True for the one sign-in that gets it, False if
    that step or a later one is already used (a replay, or a parallel sign-in got there first)."""
    claimed = db.execute(
        update(Caseworker)
        .where(Caseworker.id == caseworker_id, Caseworker.totp_last_step < step)
        .values(totp_last_step=step)
        .returning(Caseworker.id),
        execution_options=_SYNC,
    ).first()
    return claimed is not None


def succeeded(db: Session, caseworker_id: str) -> None:
    """A sign-in passed every check: the failure count starts again and any back-off ends."""
    db.execute(
        update(Caseworker)
        .where(Caseworker.id == caseworker_id)
        .values(failed_logins=0, locked_until=None),
        execution_options=_SYNC,
    )
