"""The reporter's intake in a real browser, JavaScript off, in four languages; its accessibility.

One `redress serve` (created with `redress init` and `redress caseworker add`) serves the whole
module on free loopback ports; headless Chromium (Debian's, via tests/support/browser.py) drives it.

- The main path, in English, Spanish, French and Arabic, with JavaScript disabled as on Tor
  Browser's "Safest" level: choose the language with the header's selector, send a report with
  three files (one of 50 MB), write down and confirm the receipt, read the status, log out; a
  caseworker replies in the console; the reporter logs back in, reads the reply, answers with a
  file and logs out. Labels and buttons are found by their translated text (from the compiled
  catalogs the server uses), and every page's ``<html lang dir>`` is checked.
- axe-core (npm, pinned in tests/browser) audits every intake page in every language and fails on
  serious or critical violations; each page is audited as the JavaScript-off reporter saw it
  (tests/support/axe.py replays it in a JavaScript-on context, which axe needs).
- Keyboard only: the report form is filled and sent, the receipt confirmed and the session ended
  with the keyboard alone, every control taking focus in order; each focused element shows a
  focus indicator with enough contrast.
- Reflow: no page scrolls sideways on a 320 px phone screen or at 200% zoom.
- With JavaScript on (Tor Browser "Standard"), the login page's own script solves its proof of
  work under the page's Content-Security-Policy, and the login it sends carries a valid proof.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image
from playwright.sync_api import Browser, FilePayload, Locator, Page, expect

from redress.i18n.languages import LANGUAGES
from redress.reporting.challenges import LoginChallenges
from redress.staff import totp
from redress.store.config import load_config
from tests.support.axe import (
    PageSnapshot,
    audit,
    axe_or_unavailable,
    describe_audit,
    failing_only,
    replay,
)
from tests.support.browser import launched_browser
from tests.support.browser_flows import (
    SLOW_MS,
    Texts,
    check_language,
    choose_language,
    choose_passphrase,
    confirm_receipt,
    log_in,
    log_out,
    payload,
    printed_value,
    receipt_on,
    reporter_page,
    sign_in,
)
from tests.support.login_flood import create_receipts
from tests.support.servers import (
    RunningCommand,
    clean_environment,
    run_redress,
    start_serving,
)

# The module shares one server, browser and signed-in console (module-scoped fixtures) and counts
# the cases on that server: under pytest-xdist it runs on one worker (make test: --dist loadfile).
pytestmark = pytest.mark.browser

LANGUAGE_CODES = tuple(LANGUAGES)  # en, es, fr, ar
CASE_PATH = re.compile(r"/cases/[0-9a-f]{32}")
# "One 50 MB" attachment, sent in every language's run (1-3 s each on two cores).
BIG_FILE_BYTES = 50_000_000


# The running instance and the two kinds of visitor.


@dataclass(frozen=True)
class Instance:
    """A running `redress serve` and the first caseworker's printed credentials."""

    command: RunningCommand
    intake: str
    console: str
    password: str
    totp_secret: str
    path: Path


@pytest.fixture(scope="module")
def redress(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    """One instance and server for the module (starting one takes seconds); stopped at its end."""
    root = tmp_path_factory.mktemp("intake-browser")
    home = root / "home"
    home.mkdir()
    environ = clean_environment(home)
    instance = root / "instance"
    run_redress(["--instance", str(instance), "init", "--threshold", "2", "--shares", "3"], environ)
    added = run_redress(["--instance", str(instance), "caseworker", "add", "alice"], environ)
    command, intake, console = start_serving(["--instance", str(instance), "serve"], environ)
    try:
        yield Instance(
            command,
            intake,
            console,
            printed_value(added.stdout, "password"),
            printed_value(added.stdout, "TOTP secret"),
            instance,
        )
    finally:
        survivors = command.stop()
    assert survivors == [], "redress serve left processes running"
    assert "Traceback" not in command.output, command.output


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launched_browser()


@pytest.fixture(scope="module")
def axe() -> str:
    """The axe-core script from tests/browser/node_modules."""
    return axe_or_unavailable()


class Console:
    """The caseworker in the staff console (JavaScript off), signed in once for the module.

    A TOTP code can be used once only, so the module signs in once and keeps the session.
    """

    def __init__(self, page: Page, base: str) -> None:
        self.page = page
        self.base = base

    def sign_in_first_time(self, username: str, password: str, secret: str) -> None:
        sign_in(self.page, self.base, username, password, totp.current_code(secret))
        choose_passphrase(self.page, self.base, password, timeout=SLOW_MS)
        self.page.wait_for_url(self.base, timeout=SLOW_MS)

    def cases(self) -> set[str]:
        """The paths of the cases on the caseworker's list (newest first, well within a page)."""
        self.page.goto(self.base)
        links = self.page.get_by_role("main").locator('a[href^="/cases/"]').all()
        paths = {link.get_attribute("href") or "" for link in links}
        return {path for path in paths if CASE_PATH.fullmatch(path)}

    def case_added_since(self, before: set[str]) -> str:
        """The one case that appeared since ``before`` (tests in the module run one by one)."""
        added = self.cases() - before
        assert len(added) == 1, (
            f"expected one new case, found {sorted(added)} on {self.page.url}:\n"
            + self.page.get_by_role("main").inner_text()
        )
        return added.pop()

    def open(self, case: str) -> Locator:
        self.page.goto(self.base + case.lstrip("/"))
        return self.page.get_by_role("main")

    def download(self, case: str, filename: str) -> str:
        """Download a file of the case; returns its SHA-256 (hex)."""
        self.open(case)
        with self.page.expect_download(timeout=SLOW_MS) as downloading:
            self.page.get_by_role("link", name=filename, exact=True).click()
        return sha256_of(Path(downloading.value.path()))

    def reply(self, case: str, text: str, files: list[FilePayload] | None = None) -> None:
        self.open(case)
        self.page.get_by_label("Reply to the reporter", exact=True).fill(text)
        if files:
            self.page.get_by_label("Files (optional)", exact=True).set_input_files(files)
        self.page.get_by_role("button", name="Send reply").click()
        expect(self.page.get_by_role("status")).to_have_text("Your reply was sent.")


@pytest.fixture(scope="module")
def console(browser: Browser, redress: Instance) -> Iterator[Console]:
    context = browser.new_context(java_script_enabled=False, accept_downloads=True)
    try:
        caseworker = Console(context.new_page(), redress.console)
        caseworker.sign_in_first_time("alice", redress.password, redress.totp_secret)
        yield caseworker
    finally:
        context.close()


def sha256_of(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


# What a reporter does, step by step.


def jpeg_with_camera_details(make: str) -> bytes:
    """A small photo whose EXIF names the camera: metadata the intake should remove."""
    exif = Image.Exif()
    exif[0x010F] = make  # Make
    exif[0x0110] = "Model X"  # Model
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 30)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 50 MB attachment, written once as test input.

    It is a file rather than an in-memory buffer: Playwright sends buffers to the browser as
    base64 inside one protocol message, while a local file is handed to Chromium by its path.
    """
    path = tmp_path_factory.mktemp("upload") / "intercepted-call-recording.bin"
    with path.open("wb") as handle:
        handle.write(b"recording " + secrets.token_hex(8).encode() + b"\n")
        remaining = BIG_FILE_BYTES - handle.tell()
        while remaining:
            chunk = os.urandom(min(remaining, 4 * 1024 * 1024))
            handle.write(chunk)
            remaining -= len(chunk)
    return path


@pytest.mark.parametrize("language", LANGUAGE_CODES)
def test_report_follow_up_and_answer(
    language: str,
    browser: Browser,
    redress: Instance,
    console: Console,
    big_file: Path,
    tmp_path: Path,
) -> None:
    """The main path, JavaScript off: report with three files, receipt, reply, answer, logout."""
    t = Texts(language)
    intake = redress.intake
    token = secrets.token_hex(6)
    story = f"{t('What happened?')} — tracker {token} was installed on our phones."
    # A file name in the reporter's own script for Arabic, to show names survive as typed.
    note_name = f"ملاحظات-{token}.txt" if language == "ar" else f"notes-{token}.txt"
    note = tmp_path / note_name
    note.write_text(f"{story}\n", encoding="utf-8")
    photo = tmp_path / f"photo-{token}.jpg"
    photo.write_bytes(jpeg_with_camera_details(f"Camera-{token}"))
    answer = f"Here is more evidence about {token}."
    answer_file = payload(f"more-{token}.txt", "text/plain", f"second file {token}\n".encode())
    before = console.cases()

    # First visit: choose the language, send the report, keep the receipt, log out.
    with reporter_page(browser, intake) as page:
        page.goto(intake)
        choose_language(page, language)
        page.get_by_role("main").get_by_role("link", name=t("Send a report")).click()
        page.wait_for_url(f"{intake}report")
        check_language(page, language)
        page.get_by_label(t("What happened?"), exact=True).fill(story)
        page.get_by_label(t("Which product or service was involved?"), exact=True).fill(
            f"Tracker {token}"
        )
        page.get_by_label(t("Where did it happen?"), exact=True).fill("Region A")
        page.get_by_label(t("When did it happen?"), exact=True).fill("2025")
        rights = page.get_by_role("group", name=t("Which rights were affected?"))
        rights.get_by_label(t("Privacy"), exact=True).check()
        rights.get_by_label(t("Freedom of expression"), exact=True).check()
        page.get_by_label(t("What would you like to happen?"), exact=True).fill("That it stops.")
        page.get_by_label(t("Files (optional)"), exact=True).set_input_files(
            [note, photo, big_file]
        )
        expect(
            page.get_by_label(t("Remove hidden metadata from my files (recommended)"))
        ).to_be_checked()
        page.get_by_role("button", name=t("Send report")).click()

        receipt = receipt_on(page, t)
        check_language(page, language)
        files = page.get_by_role("main").locator(".files")
        for name in (note_name, photo.name, big_file.name):
            expect(files).to_contain_text(name)
        # The reporter is told what was removed from the photo.
        expect(files.locator("li", has_text=photo.name)).to_contain_text(
            t("Hidden metadata removed:")
        )
        expect(files.locator("li", has_text=photo.name)).to_contain_text(t("camera make and model"))
        confirm_receipt(page, t, intake, receipt)
        check_language(page, language)
        expect(page.get_by_role("heading", level=1)).to_have_text(t("Your report"))
        expect(page.locator(".status")).to_have_text(t("Received"))
        expect(page.locator(".thread .message")).not_to_have_count(0)
        log_out(page, t, intake)
        check_language(page, language)

    # The caseworker finds the report with its three files, intact, and replies.
    case = console.case_added_since(before)
    report = console.open(case)
    expect(report).to_contain_text(story)
    expect(report).to_contain_text(f"Tracker {token}")
    assert console.download(case, note_name) == sha256_of(note)
    if language == "en":
        # The 50 MB upload is sent in every language; reading it back once is enough.
        assert console.download(case, big_file.name) == sha256_of(big_file)
    reply = f"Thank you. We are looking into tracker {token} now."
    console.reply(case, reply)

    # Later, a new browser session: log back in, read the reply, answer with a file, log out.
    with reporter_page(browser, intake) as page:
        page.goto(intake)
        choose_language(page, language)
        page.get_by_role("navigation", name=t("Main")).get_by_role(
            "link", name=t("Follow up")
        ).click()
        page.wait_for_url(f"{intake}login")
        check_language(page, language)
        log_in(page, t, intake, receipt)
        check_language(page, language)
        expect(page.locator(".thread")).to_contain_text(reply)
        expect(page.locator(".thread .message.from-caseworker .meta")).to_contain_text(
            t("Caseworker")
        )
        statuses = {t("Received"), t("Received and acknowledged")}
        assert page.locator(".status").inner_text().strip() in statuses

        page.get_by_label(t("Your message"), exact=True).fill(answer)
        page.get_by_label(t("Files (optional)"), exact=True).set_input_files([answer_file])
        page.get_by_role("button", name=t("Send"), exact=True).click()
        page.wait_for_url(f"{intake}inbox?sent=1")
        check_language(page, language)
        expect(page.get_by_role("status")).to_have_text(t("Your message was sent."))
        mine = page.locator(".thread .message.from-reporter", has_text=answer)
        expect(mine).to_have_count(1)
        with page.expect_download() as downloading:
            mine.get_by_role("link", name=answer_file["name"], exact=True).click()
        assert Path(downloading.value.path()).read_bytes() == answer_file["buffer"]
        log_out(page, t, intake)

    thread = console.open(case).locator(".thread")
    expect(thread).to_contain_text(answer)
    expect(thread.get_by_role("link", name=answer_file["name"], exact=True)).to_have_count(1)


# Every intake page, as seen by a JavaScript-off reporter, for the audits below.


@dataclass
class Walk:
    """Snapshots of every intake page in one language."""

    language: str
    pages: list[PageSnapshot] = field(default_factory=list)

    def keep(self, page: Page, name: str) -> None:
        check_language(page, self.language)
        self.pages.append(PageSnapshot.of(page, name))


# A long but ordinary file name (a tool's export) in the thread: narrow screens must wrap it.
LONG_FILE_NAME = "Interception_Log_Export_Ministry_of_Interior_2025_04_final_v2.csv"


def expect_error_summary(page: Page, t: Texts) -> None:
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading")).to_have_text(t("Please correct the following"))
    expect(summary.get_by_role("link")).not_to_have_count(0)


@pytest.fixture(scope="module", params=LANGUAGE_CODES)
def walk(
    request: pytest.FixtureRequest, browser: Browser, redress: Instance, console: Console
) -> Walk:
    """Visit every intake page in one language (JavaScript off) and keep what was shown."""
    language: str = request.param
    t = Texts(language)
    intake = redress.intake
    seen = Walk(language)
    token = secrets.token_hex(6)
    before = console.cases()
    with reporter_page(browser, intake) as page:
        page.goto(intake)
        choose_language(page, language)
        seen.keep(page, "home")
        page.get_by_role("navigation", name=t("Main")).get_by_role(
            "link", name=t("Before you start")
        ).click()
        page.wait_for_url(f"{intake}before-you-start")
        seen.keep(page, "before-you-start")
        page.get_by_role("main").get_by_role("link", name=t("Send a report")).click()
        page.wait_for_url(f"{intake}report")
        seen.keep(page, "report")
        page.get_by_role("button", name=t("Send report")).click()
        expect_error_summary(page, t)
        seen.keep(page, "report-with-errors")
        page.get_by_label(t("What happened?"), exact=True).fill(f"Walk {token}")
        page.get_by_label(t("Files (optional)"), exact=True).set_input_files(
            [
                payload(LONG_FILE_NAME, "text/csv", b"a,b\n1,2\n"),
                payload(f"{token}.jpg", "image/jpeg", jpeg_with_camera_details("Cam")),
            ]
        )
        page.get_by_role("button", name=t("Send report")).click()
        receipt = receipt_on(page, t)
        seen.keep(page, "receipt")
        page.goto(f"{intake}report/confirm")
        seen.keep(page, "confirm")
        wrong = "ZZZZ" if receipt[-4:] != "ZZZZ" else "YYYY"
        page.get_by_label(t("The last four characters of your receipt code"), exact=True).fill(
            wrong
        )
        page.get_by_role("button", name=t("I have saved my code")).click()
        expect_error_summary(page, t)
        seen.keep(page, "confirm-with-error")
        confirm_receipt(page, t, intake, receipt)
        seen.keep(page, "inbox")
        log_out(page, t, intake)

    case = console.case_added_since(before)
    console.reply(
        case,
        f"We received your report {token}. Please see the attached questions.",
        [payload(f"questions-{token}.txt", "text/plain", b"1. When?\n")],
    )

    with reporter_page(browser, intake) as page:
        page.goto(f"{intake}login")
        choose_language(page, language)
        seen.keep(page, "login")
        # A typo (one character changed) is caught by the check symbol.
        typo = ("Q" if receipt[0] != "Q" else "R") + receipt[1:]
        page.get_by_label(t("Your receipt code"), exact=True).fill(typo)
        page.get_by_role("button", name=t("Continue")).click()
        expect_error_summary(page, t)
        seen.keep(page, "login-with-error")
        log_in(page, t, intake, receipt)
        seen.keep(page, "inbox-with-reply")
        page.get_by_role("button", name=t("Send"), exact=True).click()
        expect_error_summary(page, t)
        seen.keep(page, "inbox-with-errors")
        page.get_by_label(t("Your message"), exact=True).fill(f"Answer {token}")
        page.get_by_label(t("Files (optional)"), exact=True).set_input_files(
            [payload(LONG_FILE_NAME, "text/csv", b"c,d\n3,4\n")]
        )
        page.get_by_role("button", name=t("Send"), exact=True).click()
        page.wait_for_url(f"{intake}inbox?sent=1")
        seen.keep(page, "inbox-message-sent")

        # A form left open in another tab after logging out: it has expired.
        stale = page.context.new_page()
        stale.goto(f"{intake}inbox")
        log_out(page, t, intake)
        stale.get_by_label(t("Your message"), exact=True).fill("late")
        stale.get_by_role("button", name=t("Send"), exact=True).click()
        expect(stale.get_by_role("heading", level=1)).to_have_text(t("This form has expired"))
        seen.keep(stale, "form-expired")

        page.goto(f"{intake}no-such-page")
        expect(page.get_by_role("heading", level=1)).to_have_text(t("Not found"))
        seen.keep(page, "not-found")
    # The busy page (503) is error.html, like the two error pages above; reaching it needs the
    # throttles exhausted, which would slow down or break the other tests on this server.
    return seen


def test_axe_finds_no_serious_violations(axe: str, walk: Walk, browser: Browser) -> None:
    """axe-core (WCAG 2.0/2.1 A and AA, best practices) on every page: nothing serious."""
    found = audit(browser, walk.pages, axe)
    report = describe_audit(found)
    print(f"axe-core on every intake page in {walk.language}:\n{report}")
    failing = failing_only(found)
    assert not failing, f"serious or critical axe violations ({walk.language}):\n" + describe_audit(
        failing
    )
    assert [page.name for page in walk.pages] == list(found)


def test_axe_flags_a_broken_page(axe: str, browser: Browser, redress: Instance) -> None:
    """The audit itself works: a page with known faults gets them reported as failing."""
    broken = PageSnapshot(
        "broken",
        f"{redress.intake}axe-self-check",
        "<!doctype html><html><head><title>Broken</title></head><body><main>"
        '<img src="/static/style.css"><input type="text" name="unlabelled">'
        "</main></body></html>",
    )
    found = audit(browser, [broken], axe)["broken"]
    assert {"html-has-lang", "image-alt", "label"} <= {item.rule for item in found if item.failing}


# Reflow: a 320 px wide phone, and 200% zoom of a 1280 px wide window (640 CSS px, 2 device px).
VIEWPORTS: dict[str, dict[str, Any]] = {
    "phone-320px": {"viewport": {"width": 320, "height": 640}},
    "zoom-200%": {"viewport": {"width": 640, "height": 400}, "device_scale_factor": 2},
}

_MEASURE_OVERFLOW = """
() => {
  const root = document.scrollingElement;
  const width = root.clientWidth;
  const wide = [];
  for (const element of document.body.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    if (box.width > 0 && (box.right > width + 0.5 || box.left < -0.5)
        && !element.matches(".skip:not(:focus)")) {
      const name = element.tagName.toLowerCase() + (element.id ? "#" + element.id : "")
        + (element.className ? "." + String(element.className).split(" ").join(".") : "");
      wide.push(`${name} spans ${Math.round(box.left)}..${Math.round(box.right)} px`);
    }
  }
  return {scrollWidth: root.scrollWidth, clientWidth: width, wide: wide.slice(0, 8)};
}
"""


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_no_horizontal_scrolling(walk: Walk, browser: Browser, viewport: str) -> None:
    """WCAG 1.4.10 Reflow: every page fits the width; nothing needs scrolling sideways."""
    problems = []
    with replay(browser, **VIEWPORTS[viewport]) as replayer:
        for snapshot in walk.pages:
            measured: dict[str, Any] = replayer.show(snapshot).evaluate(_MEASURE_OVERFLOW)
            if measured["scrollWidth"] > measured["clientWidth"]:
                problems.append(
                    f"{snapshot.name}: {measured['scrollWidth']} px wide in a "
                    f"{measured['clientWidth']} px viewport; " + "; ".join(measured["wide"])
                )
    assert problems == [], f"horizontal scrolling ({walk.language}, {viewport}):\n" + "\n".join(
        problems
    )


_MEASURE_CHOICES = """() => [...document.querySelectorAll('ul.choices')].map(list => ({
  bullets: getComputedStyle(list).listStyleType,
  options: [...list.querySelectorAll('li')].map(item => {
    const box = item.querySelector('input').getBoundingClientRect();
    const label = item.querySelector('label').getBoundingClientRect();
    const middle = box.top + box.height / 2;
    return {label: item.innerText.trim(), beside: middle > label.top && middle < label.bottom};
  }),
}))"""


@pytest.mark.parametrize("walk", ["en", "ar"], indirect=True)
def test_choices_are_laid_out_as_groups(walk: Walk, browser: Browser) -> None:
    """A group of checkboxes shows no list bullets, and each box sits beside its label."""
    problems = []
    groups = 0
    with replay(browser) as replayer:
        for snapshot in walk.pages:
            for group in replayer.show(snapshot).evaluate(_MEASURE_CHOICES):
                groups += 1
                if group["bullets"] != "none":
                    problems.append(f"{snapshot.name}: bullets ({group['bullets']})")
                problems += [
                    f"{snapshot.name}: the box of {option['label']!r} is not beside its label"
                    for option in group["options"]
                    if not option["beside"]
                ]
    assert groups, "no group of choices on any page"
    assert problems == [], "\n".join(problems)


# Keyboard only.


def is_focused(page: Page, target: Locator) -> bool:
    return target.and_(page.locator(":focus")).count() == 1


def tab_to(page: Page, target: Locator, limit: int = 60) -> None:
    """Press Tab until ``target`` has focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if is_focused(page, target):
            return
    raise AssertionError(f"Tab never reached {target}")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_keyboard_only(language: str, browser: Browser, redress: Instance) -> None:
    """Send a report, confirm the receipt and log out with the keyboard alone (JavaScript off)."""
    t = Texts(language)
    intake = redress.intake
    with reporter_page(browser, intake) as page:
        page.goto(intake)  # in English: a new session has no language cookie
        page.keyboard.press("Tab")
        skip = page.locator("a.skip")
        expect(skip).to_have_text("Skip to content")
        assert is_focused(page, skip), "the first Tab stop is not the skip link"
        if language != "en":
            tab_to(page, page.get_by_role("banner").get_by_role("link", name=LANGUAGES[language]))
            page.keyboard.press("Enter")
            page.wait_for_url(intake)
            check_language(page, language)
        tab_to(
            page,
            page.get_by_role("navigation", name=t("Main")).get_by_role(
                "link", name=t("Send a report")
            ),
        )
        page.keyboard.press("Enter")
        page.wait_for_url(f"{intake}report")

        # The skip link leads straight to the form, whose controls all take focus in order.
        page.keyboard.press("Tab")
        assert is_focused(page, skip)
        expect(skip).to_have_text(t("Skip to content"))
        page.keyboard.press("Enter")
        page.wait_for_url(f"{intake}report#main")
        controls = page.locator(
            "main form :is(input:not([type=hidden]), textarea, select, button)"
        ).all()
        assert len(controls) > 10
        story = page.get_by_label(t("What happened?"), exact=True)
        privacy = page.get_by_label(t("Privacy"), exact=True)
        order = []
        for number, control in enumerate(controls):
            page.keyboard.press("Tab")
            order.append(control.get_attribute("id") or control.get_attribute("name") or "?")
            assert is_focused(page, control), f"Tab stop {number + 1} is not {order[-1]}"
            if is_focused(page, story):
                page.keyboard.type("Sent with the keyboard only.")
            elif is_focused(page, privacy):
                page.keyboard.press("Space")
        expect(story).to_have_value("Sent with the keyboard only.")
        expect(privacy).to_be_checked()
        # Focus is not trapped: the footer's link comes after the form.
        page.keyboard.press("Tab")
        assert is_focused(page, page.get_by_role("contentinfo").get_by_role("link"))
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Enter")  # on the submit button

        receipt = receipt_on(page, t)
        last_group = page.get_by_label(t("The last four characters of your receipt code"))
        tab_to(page, last_group)
        page.keyboard.type(receipt[-4:])
        page.keyboard.press("Enter")
        page.wait_for_url(f"{intake}inbox", timeout=SLOW_MS)
        tab_to(page, page.get_by_role("button", name=t("Log out")))
        page.keyboard.press("Enter")
        page.wait_for_url(intake)


# Visible focus, measured in a JavaScript-on replay of each page (the page itself has no script).
# Tab order is checked with the keyboard above; here each element that can take focus is focused
# in turn, after one real Tab press so the browser is in keyboard mode (:focus-visible applies).

_FOCUS_STYLES = """
() => {
  const selector = "a[href], button, input:not([type=hidden]), select, textarea, [tabindex]";
  const transparent = (colour) => colour === "rgba(0, 0, 0, 0)" || colour === "transparent";
  const around = (element) => {
    for (let behind = element.parentElement; behind; behind = behind.parentElement) {
      const colour = getComputedStyle(behind).backgroundColor;
      if (!transparent(colour)) return colour;
    }
    return "rgb(255, 255, 255)";
  };
  const look = (element) => {
    const style = getComputedStyle(element);
    const box = element.getBoundingClientRect();
    return {
      outlineStyle: style.outlineStyle,
      outlineWidth: parseFloat(style.outlineWidth) || 0,
      outlineColor: style.outlineColor,
      boxShadow: style.boxShadow,
      around: around(element),
      onScreen: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0
        && box.top < innerHeight && box.left < innerWidth,
    };
  };
  const elements = [...document.querySelectorAll(selector)];
  const before = elements.map(look);
  const seen = [];
  elements.forEach((element, index) => {
    element.focus();
    if (document.activeElement === element) {
      const html = element.outerHTML.slice(0, 90);
      seen.push({element: html, before: before[index], after: look(element)});
    }
  });
  return seen;
}
"""


def _rgb(colour: str) -> tuple[float, float, float]:
    numbers = [float(part) for part in re.findall(r"[\d.]+", colour)[:3]]
    assert len(numbers) == 3, colour
    return numbers[0], numbers[1], numbers[2]


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two CSS rgb() colours."""

    def luminance(colour: str) -> float:
        channels = [value / 255 for value in _rgb(colour)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def focus_problem(before: dict[str, Any], after: dict[str, Any]) -> str | None:
    """Why a focused element's indicator is not clearly visible (WCAG 2.4.7, 1.4.11)."""
    if not after["onScreen"]:
        return "the focused element is not on screen"
    if after["outlineStyle"] != "none" and after["outlineWidth"] >= 2:
        ratio = contrast(after["outlineColor"], after["around"])
        if ratio < 3:
            return (
                f"outline {after['outlineColor']} has contrast {ratio:.2f}:1 against "
                f"{after['around']} around it (needs 3:1)"
            )
        return None
    if after["boxShadow"] not in (before["boxShadow"], "none"):
        return None
    return f"no focus indicator: outline {after['outlineStyle']} {after['outlineWidth']}px"


# The focus style is the stylesheet's, whatever the language: left to right and right to left.
@pytest.mark.parametrize("walk", ["en", "ar"], indirect=True)
def test_focus_is_visible(walk: Walk, browser: Browser) -> None:
    """Every element that can take focus, on every page, shows a clear focus indicator."""
    problems: dict[str, list[str]] = {}
    with replay(browser) as replayer:
        for snapshot in walk.pages:
            page = replayer.show(snapshot)
            page.keyboard.press("Tab")
            seen: list[dict[str, Any]] = page.evaluate(_FOCUS_STYLES)
            assert seen, f"nothing on {snapshot.name} can take focus"
            for item in seen:
                problem = focus_problem(item["before"], item["after"])
                if problem:
                    problems.setdefault(problem, []).append(f"{snapshot.name}: {item['element']}")
    # The same style usually fails everywhere: each problem once, with a few of its elements.
    report = [
        f"{problem} — {len(where)} elements, e.g.\n    " + "\n    ".join(where[:6])
        for problem, where in problems.items()
    ]
    assert not problems, f"focus not clearly visible ({walk.language}):\n" + "\n".join(report)


def test_login_with_javascript_sends_a_valid_proof(browser: Browser, redress: Instance) -> None:
    """The optional proof of work, computed by intake/static/proof.js in the browser."""
    port = int(urlsplit(redress.intake).port or 0)
    [receipt] = create_receipts(port, 1)
    config = load_config(redress.path, environ={})
    challenges = LoginChallenges(config.secrets.intake_secret_key, config.login_proof_bits)
    context = browser.new_context(java_script_enabled=True)
    requested: list[str] = []
    console: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    try:
        page = context.new_page()
        page.on("console", lambda message: console.append(message.text))
        page.goto(f"{redress.intake}login")
        expect(page.locator("input[name=proof]")).not_to_have_value("", timeout=SLOW_MS)
        page.get_by_label("Your receipt code", exact=True).fill(receipt)
        with page.expect_request(lambda request: request.method == "POST") as posting:
            page.get_by_role("button", name="Continue").click()
        page.wait_for_url(f"{redress.intake}inbox", timeout=SLOW_MS)
        form = parse_qs(posting.value.post_data or "")
    finally:
        context.close()
    assert form["receipt"] == [receipt]
    assert challenges.check(form["challenge"][0], form["proof"][0]) is not None
    assert [url for url in requested if not url.startswith(redress.intake)] == []
    assert f"{redress.intake}static/proof.js" in requested
    assert [text for text in console if "Content Security Policy" in text] == []
