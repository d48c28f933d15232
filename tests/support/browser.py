"""Headless Chromium pages for browser tests, driven by Playwright.

Playwright always launches the system's Chromium (Debian's ``/usr/bin/chromium``, or the path in
``REDRESS_CHROMIUM``) and never a browser build of its own, which it could not download here.
JavaScript is off unless a test asks for it: that is how reporters on Tor Browser's "Safest"
level use Redress.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.availability import unavailable

CHROMIUM_ENV = "REDRESS_CHROMIUM"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps trying to reach Google's services,
# which a closed test network refuses many times a second.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


class BrowserUnavailable(Exception):
    """No Chromium executable is available to drive."""


def chromium_path() -> str | None:
    """The Chromium executable to launch, or None when there is none."""
    path = Path(os.environ.get(CHROMIUM_ENV) or DEFAULT_CHROMIUM)
    return str(path) if path.is_file() and os.access(path, os.X_OK) else None


@contextmanager
def chromium_page(*, javascript: bool = False) -> Iterator[Page]:
    """Yield a page in a fresh headless Chromium context; close everything on exit."""
    executable = chromium_path()
    if executable is None:
        raise BrowserUnavailable(
            f"no Chromium executable at {os.environ.get(CHROMIUM_ENV) or DEFAULT_CHROMIUM}; "
            f"install Debian's 'chromium' or set {CHROMIUM_ENV}"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            context = browser.new_context(java_script_enabled=javascript)
            try:
                yield context.new_page()
            finally:
                context.close()
        finally:
            browser.close()


def launched_browser() -> Iterator[Browser]:
    """For fixtures (``yield from``): headless Chromium whose contexts the test makes itself;
    without Chromium the test is reported unavailable (skipped locally, failed in CI)."""
    with ExitStack() as stack:
        try:
            page = stack.enter_context(chromium_page(javascript=False))
        except BrowserUnavailable as error:
            unavailable(str(error))
        assert page.context.browser is not None
        yield page.context.browser
