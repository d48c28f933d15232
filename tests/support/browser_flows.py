"""What people do in the browser, shared by the browser test modules.

Pages are driven through their labels and roles with JavaScript off, as on Tor Browser's "Safest"
level; `redress` subprocesses create the instances (tests/support/servers.py).
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from babel.support import Translations
from playwright.sync_api import Browser, FilePayload, Page, expect

from redress.i18n.languages import LANGUAGES, RIGHT_TO_LEFT
from tests.helpers import NEW_PASSPHRASE
from tests.support.servers import REPO_ROOT, run_redress

RECEIPT = re.compile(r"[0-9A-Z]{4}(?:-[0-9A-Z]{4}){4}")
# Slow steps (Argon2id at production cost, a 50 MB upload, gunicorn workers booting) on a busy
# two-core CI machine.
SLOW_MS = 60_000
TRANSLATIONS = REPO_ROOT / "redress" / "i18n" / "translations"


@contextmanager
def js_off_page(browser: Browser, *origins: str) -> Iterator[Page]:
    """A page in a fresh context (own cookies) with JavaScript disabled.

    Every request the page makes must go to one of ``origins``: no third-party resources.
    """
    context = browser.new_context(java_script_enabled=False, accept_downloads=True)
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    try:
        yield context.new_page()
    finally:
        context.close()
    assert requested
    assert [url for url in requested if not url.startswith(origins)] == []


def printed_value(output: str, name: str) -> str:
    """The value of a `name:   value` line the CLI printed."""
    match = re.search(rf"^{re.escape(name)}:\s+(\S+)\s*$", output, re.MULTILINE)
    assert match, f"no {name!r} line in:\n{output}"
    return match[1]


def create_instance(instance: Path, environ: dict[str, str]) -> None:
    created = run_redress(
        ["--instance", str(instance), "init", "--threshold", "2", "--shares", "3"], environ
    )
    assert len(re.findall(r"^  share \d: ", created.stdout, re.MULTILINE)) == 3


# A console user.


def sign_in(page: Page, console: str, username: str, passphrase: str, code: str) -> None:
    """Fill in the console's sign-in form and send it."""
    page.goto(f"{console}login")
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Passphrase", exact=True).fill(passphrase)
    page.get_by_label("Authentication code", exact=True).fill(code)
    page.get_by_role("button", name="Sign in").click()


def choose_passphrase(page: Page, console: str, current: str, timeout: float = SLOW_MS) -> None:
    """A first sign-in leads to the passphrase page: replace ``current`` with NEW_PASSPHRASE."""
    page.wait_for_url(f"{console}passphrase", timeout=timeout)
    page.get_by_label("Current passphrase", exact=True).fill(current)
    page.get_by_label("New passphrase", exact=True).fill(NEW_PASSPHRASE)
    page.get_by_label("New passphrase again", exact=True).fill(NEW_PASSPHRASE)
    page.get_by_role("button", name="Change passphrase").click()


# A reporter.


def send_report(page: Page, intake: str, text: str, filename: str, content: bytes) -> str:
    """Send a report with one file, go to the inbox, log out; returns the receipt code."""
    page.goto(intake)
    page.get_by_role("main").get_by_role("link", name="Send a report").click()
    page.wait_for_url(f"{intake}report")
    page.get_by_label("What happened?", exact=True).fill(text)
    page.get_by_label("Files (optional)", exact=True).set_input_files(
        files=[{"name": filename, "mimeType": "application/octet-stream", "buffer": content}]
    )
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("heading", name="Your report was received")).to_be_visible(
        timeout=SLOW_MS
    )
    receipt = page.locator("#receipt").inner_text().strip()
    assert RECEIPT.fullmatch(receipt), receipt

    # The reporter proves they wrote the code down by typing its last group.
    page.get_by_label("The last four characters of your receipt code", exact=True).fill(
        receipt[-4:]
    )
    page.get_by_role("button", name="I have saved my code").click()
    page.wait_for_url(f"{intake}inbox")
    expect(page.locator(".status")).to_have_text("Received")

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(intake)
    page.goto(f"{intake}inbox")
    page.wait_for_url(f"{intake}login")  # the session ended with the logout
    return receipt


def follow_up(page: Page, intake: str, receipt: str, reply: str) -> None:
    """Log back in with the receipt as a person might type it, and read the reply."""
    page.goto(f"{intake}login")
    page.get_by_label("Your receipt code", exact=True).fill(receipt.lower().replace("-", " "))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{intake}inbox", timeout=SLOW_MS)
    expect(page.locator(".thread")).to_contain_text(reply)


# A reporter, in any of the four languages.


class Texts:
    """The reporter-facing strings in one language, looked up by their English msgid."""

    def __init__(self, language: str) -> None:
        self.language = language
        self._catalog = _catalog(language)

    def __call__(self, msgid: str) -> str:
        return self._catalog.gettext(msgid)


@cache
def _catalog(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    catalog = Translations.load(str(TRANSLATIONS), [language])
    assert isinstance(catalog, Translations), f"no compiled catalog for {language}"
    return catalog


def reporter_page(browser: Browser, intake: str) -> AbstractContextManager[Page]:
    """A JavaScript-off page in a fresh context (no cookies), as a new Tor Browser session; every
    request must go to the intake: no third-party resource, nothing from the console."""
    return js_off_page(browser, intake)


def check_language(page: Page, language: str) -> None:
    """The page is in ``language``: <html lang>, its direction, and the selector's current item."""
    html = page.locator("html")
    expect(html).to_have_attribute("lang", language)
    expect(html).to_have_attribute("dir", "rtl" if language in RIGHT_TO_LEFT else "ltr")
    current = page.get_by_role("banner").locator('[aria-current="true"]')
    expect(current).to_have_text(LANGUAGES[language])


def click_language(page: Page, language: str) -> None:
    """Click ``language`` in the header's language selector; the same page comes back."""
    path = urlsplit(page.url).path
    page.get_by_role("banner").get_by_role("link", name=LANGUAGES[language], exact=True).click()
    page.wait_for_url(lambda url: urlsplit(url).path == path)
    check_language(page, language)


def choose_language(page: Page, language: str) -> None:
    """Choose ``language`` with the selector link, as a person would.

    English is the default, so for English the reporter goes to Spanish and back: the selector
    link is clicked in every run.
    """
    check_language(page, "en")
    if language == "en":
        click_language(page, "es")
    click_language(page, language)


def receipt_on(page: Page, t: Texts) -> str:
    expect(page.get_by_role("heading", level=1)).to_have_text(
        t("Your report was received"), timeout=SLOW_MS
    )
    receipt = page.locator("#receipt").inner_text().strip()
    assert RECEIPT.fullmatch(receipt), receipt
    return receipt


def confirm_receipt(page: Page, t: Texts, intake: str, receipt: str) -> None:
    """Type the last group of the code to show it was written down; the inbox follows."""
    field_label = t("The last four characters of your receipt code")
    page.get_by_label(field_label, exact=True).fill(receipt[-4:])
    page.get_by_role("button", name=t("I have saved my code")).click()
    page.wait_for_url(f"{intake}inbox")


def log_in(page: Page, t: Texts, intake: str, receipt: str) -> None:
    page.get_by_label(t("Your receipt code"), exact=True).fill(receipt)
    page.get_by_role("button", name=t("Continue")).click()
    page.wait_for_url(f"{intake}inbox", timeout=SLOW_MS)


def log_out(page: Page, t: Texts, intake: str) -> None:
    page.get_by_role("button", name=t("Log out")).click()
    page.wait_for_url(intake)
    page.goto(f"{intake}inbox")
    page.wait_for_url(f"{intake}login")  # the session ended with the logout


def payload(name: str, mime_type: str, content: bytes) -> FilePayload:
    """A small file to attach, given in memory."""
    return {"name": name, "mimeType": mime_type, "buffer": content}
