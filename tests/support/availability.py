"""Decide what a test does when the infrastructure it needs is missing.

On a developer's machine a missing PostgreSQL or Chromium skips the test, with the reason shown
in pytest's ``-ra`` summary. In CI the same absence fails the test: CI installs both, so a skip
there would hide a broken install step behind a green run.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    """Whether we run in CI, where every optional dependency must be present."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1"}


def unavailable(reason: str) -> NoReturn:
    """Skip the current test because of ``reason``, or fail it when running in CI."""
    if in_ci():
        pytest.fail(f"infrastructure missing, but required in CI: {reason}", pytrace=False)
    pytest.skip(reason)
