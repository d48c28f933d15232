"""The intake's flood and brute-force limits (redress.reporting.throttle) wired into requests.

Submissions are counted and slowed before their body is parsed and derive in a pool of Argon2id
slots of their own. Receipt logins go through lanes: one for logins without a proof of work, one
for logins with a valid proof (redress.reporting.challenges), each with its own slots, queue and
budget of wrong receipts. Over a limit the reporter gets a plain "busy" page (for a login, the
login form again with the code kept) with 503 and Retry-After, and nothing is stored.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass

from flask import Flask, current_app, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from redress.reporting.challenges import LoginChallenges
from redress.reporting.throttle import (
    Attempt,
    Busy,
    FailureBudget,
    KdfSlots,
    Lane,
    LoginLanes,
    LoginPolicy,
    SharedLogins,
    WindowBudget,
)
from redress.store.config import Config
from redress.web import render_error

# How long a request may wait in the queue for a key-derivation slot.
KDF_WAIT_SECONDS = 10.0


@dataclass(frozen=True)
class IntakeLimits:
    kdf: KdfSlots  # submissions, and showing an earlier receipt again
    submissions: WindowBudget
    logins: LoginPolicy
    challenges: LoginChallenges | None  # None: no proof of work is offered


def limits() -> IntakeLimits:
    found: IntakeLimits = current_app.extensions["redress.limits"]
    return found


def kdf_slot() -> AbstractContextManager[None]:
    return limits().kdf.slot()


def login_attempt(proof: tuple[str, str] | None) -> AbstractContextManager[Attempt]:
    """Admit a receipt login, in the proven lane if `proof` (challenge, counter) redeems."""
    found = limits()
    proven = proof is not None and found.challenges is not None and found.challenges.redeem(*proof)
    return found.logins.attempt(proven)


def new_challenge() -> str | None:
    challenges = limits().challenges
    return challenges.issue() if challenges is not None else None


def _check_submission_budget() -> None:
    if request.method == "POST" and request.endpoint == "intake.report":
        limits().submissions.check()


def _busy(error: Busy) -> ResponseReturnValue:
    page, status = render_error(
        503,
        _("Too busy right now"),
        _(
            "Many people are using this service at the moment. Nothing was stored. "
            "Please try again in a minute."
        ),
    )
    return page, status, {"Retry-After": str(error.retry_after)}


def build_limits(config: Config) -> IntakeLimits:
    kdf = KdfSlots(config.kdf_slots, config.kdf_queue, KDF_WAIT_SECONDS)
    submissions = WindowBudget(config.submissions_per_minute // 2, config.submissions_per_minute)
    per_minute = config.failed_receipts_per_minute
    if not config.login_lanes:
        return IntakeLimits(
            kdf, submissions, SharedLogins(kdf, WindowBudget(per_minute // 2, per_minute)), None
        )

    def lane(name: str) -> Lane:
        return Lane(
            name,
            config.login_kdf_slots,
            config.login_kdf_queue,
            KDF_WAIT_SECONDS,
            FailureBudget(per_minute),
        )

    bits = config.login_proof_bits
    return IntakeLimits(
        kdf,
        submissions,
        LoginLanes(lane("open"), lane("proven") if bits else None),
        LoginChallenges(config.secrets.intake_secret_key, bits) if bits else None,
    )


def init_limits(app: Flask, config: Config) -> None:
    """Call before CSRF protection is registered, so a flood is refused before parsing."""
    app.extensions["redress.limits"] = build_limits(config)
    app.before_request(_check_submission_budget)
    app.register_error_handler(Busy, _busy)
