"""The intake's flood and brute-force limits (redress.reporting.throttle) wired into requests.

Submissions are counted and slowed before their body is parsed; Argon2id work runs in a bounded
pool of slots; failed receipts share a per-minute budget. Over a limit the reporter gets a plain
"busy" page with 503 and Retry-After, and nothing is stored.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass

from flask import Flask, current_app, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from redress.reporting.throttle import Busy, KdfSlots, WindowBudget
from redress.store.config import Config
from redress.web import render_error

# How long a request may wait in the queue for a key-derivation slot.
KDF_WAIT_SECONDS = 10.0


@dataclass(frozen=True)
class IntakeLimits:
    kdf: KdfSlots
    failed_receipts: WindowBudget
    submissions: WindowBudget


def limits() -> IntakeLimits:
    found: IntakeLimits = current_app.extensions["redress.limits"]
    return found


def kdf_slot() -> AbstractContextManager[None]:
    return limits().kdf.slot()


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


def init_limits(app: Flask, config: Config) -> None:
    """Call before CSRF protection is registered, so a flood is refused before parsing."""
    app.extensions["redress.limits"] = IntakeLimits(
        kdf=KdfSlots(config.kdf_slots, config.kdf_queue, KDF_WAIT_SECONDS),
        failed_receipts=WindowBudget(
            config.failed_receipts_per_minute // 2, config.failed_receipts_per_minute
        ),
        submissions=WindowBudget(config.submissions_per_minute // 2, config.submissions_per_minute),
    )
    app.before_request(_check_submission_budget)
    app.register_error_handler(Busy, _busy)
