"""Time-based one-time codes (pyotp) with replay protection by time step.

A code is accepted only for a step newer than the last one used; sign-in then uses that step up
in one atomic update (redress.staff.attempts.claim_totp_step), so a code works once even when
several sign-ins send it at the same moment.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime

import pyotp

# Accept the previous and next 30-second step to allow for clock drift.
_DRIFT_STEPS = 1


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def _aware(moment: datetime) -> datetime:
    # The store keeps naive UTC; pyotp would read a naive time as local time.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def current_code(secret: str, at: datetime | None = None) -> str:
    totp = pyotp.TOTP(secret)
    return totp.at(_aware(at)) if at is not None else totp.now()


def accepted_step(secret: str, code: str, *, last_step: int, at: datetime) -> int | None:
    """The time step `code` belongs to, if valid and newer than `last_step` (else None)."""
    totp = pyotp.TOTP(secret)
    code = code.strip().replace(" ", "")
    now_step = int(totp.timecode(_aware(at)))
    for step in range(now_step - _DRIFT_STEPS, now_step + _DRIFT_STEPS + 1):
        if step > last_step and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None
