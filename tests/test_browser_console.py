"""The caseworker console's day with one case, in a real browser with JavaScript off (issue 4).

`redress init`, `redress caseworker add` and `redress serve` run as subprocesses on free loopback
ports; headless Chromium (Debian's, via tests/support/browser.py) drives every visitor with
JavaScript disabled. A reporter sends a report. Alice signs in with her one-time password and a
TOTP code, changes her passphrase, finds the case flagged for acknowledgement, acknowledges it
(telling the reporter), triages it, adds an internal note, grants it to Bob and replies with a
file. Bob, added after the report arrived and so holding nothing until the grant, then reads the
report and the note. The reporter logs back in with the receipt, reads the status update and the
reply, downloads the file, and sees nothing of the internal note or the triage. No page answers
with a server error and the server prints no traceback.

axe-core then audits the console as a caseworker, an approver and an administrator see it: the
case list, a case page with an interim measure and with refused forms, the approvals queue, the
receiving team, the accounts and the settings page.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, FilePayload, Page, Response, expect

from redress.i18n.console import SETTING_LABELS
from tests.helpers import Authenticator
from tests.support.axe import PageSnapshot, audit, axe_or_unavailable, describe_audit, failing_only
from tests.support.browser import launched_browser
from tests.support.browser_flows import (
    SLOW_MS,
    choose_passphrase,
    create_instance,
    follow_up,
    js_off_page,
    printed_value,
    send_report,
    sign_in,
)
from tests.support.servers import RunningCommand, clean_environment, run_redress, start_serving

pytestmark = pytest.mark.browser

CASE_URL = re.compile(r"/cases/[0-9a-f]{32}")
ACKNOWLEDGED_UPDATE = "Your report has been acknowledged."


@dataclass(frozen=True)
class Account:
    """A caseworker created with `redress caseworker add`, as its printed credentials."""

    username: str
    password: str
    authenticator: Authenticator


@dataclass(frozen=True)
class Instance:
    """A running `redress serve`: its base URLs and a way to add caseworkers while it runs."""

    command: RunningCommand
    intake: str
    console: str
    add_caseworker: Callable[..., Account]


@pytest.fixture
def redress(tmp_path: Path) -> Iterator[Instance]:
    """A fresh instance served on free loopback ports; stopped cleanly, without a traceback."""
    home = tmp_path / "home"
    home.mkdir()
    environ = clean_environment(home)
    instance = tmp_path / "instance"
    create_instance(instance, environ)

    def add_caseworker(username: str, role: str = "caseworker") -> Account:
        added = run_redress(
            ["--instance", str(instance), "caseworker", "add", username, "--role", role], environ
        )
        return Account(
            username,
            printed_value(added.stdout, "password"),
            Authenticator(printed_value(added.stdout, "TOTP secret")),
        )

    command, intake, console = start_serving(["--instance", str(instance), "serve"], environ)
    try:
        yield Instance(command, intake, console, add_caseworker)
    finally:
        survivors = command.stop()
    assert survivors == [], "redress serve left processes running"
    assert command.process.returncode == 0
    assert "Traceback" not in command.output, command.output


@pytest.fixture
def browser() -> Iterator[Browser]:
    yield from launched_browser()


Visit = Callable[[str], AbstractContextManager[Page]]


@pytest.fixture
def visit(browser: Browser) -> Iterator[Visit]:
    """Open a JavaScript-off page limited to one origin; fail the test on any 5xx answer."""
    server_errors: list[str] = []

    def record(response: Response) -> None:
        if response.status >= 500:
            server_errors.append(f"{response.status} {response.request.method} {response.url}")

    @contextmanager
    def open_page(origin: str) -> Iterator[Page]:
        with js_off_page(browser, origin) as page:
            page.context.on("response", record)
            yield page

    yield open_page
    assert server_errors == []


def first_sign_in(page: Page, console: str, account: Account, home: str = "Cases") -> None:
    """Sign in with the one-time password and a fresh TOTP code; change the passphrase; land on
    the role's home page, headed `home`."""
    code = account.authenticator.next_code()
    sign_in(page, console, account.username, account.password, code)
    choose_passphrase(page, console, account.password)
    expect(page.get_by_role("heading", name=home, exact=True)).to_be_visible(timeout=SLOW_MS)


def open_only_case(page: Page) -> str:
    """Open the one case of the case list; returns its URL."""
    row = page.locator("table.cases tbody tr")
    expect(row).to_have_count(1)
    row.get_by_role("link").click()
    page.wait_for_url(CASE_URL)
    return page.url


def notice(page: Page, text: str) -> None:
    expect(page.get_by_role("status").filter(has_text=text)).to_have_text(text)


def acknowledge(page: Page) -> None:
    """The "Status and triage" section: Acknowledge, with "Tell the reporter" ticked by default."""
    section = page.locator("section#triage")
    expect(section.get_by_role("heading", name="Status and triage")).to_be_visible()
    tell = section.get_by_label("Tell the reporter", exact=True)
    expect(tell).to_be_checked()
    section.get_by_role("button", name="Acknowledge", exact=True).click()
    page.wait_for_url(re.compile(r"status=changed"))
    notice(page, "The status was changed.")
    expect(page.locator("section#triage")).to_contain_text("Current status: acknowledged")
    expect(page.locator(".thread")).to_contain_text(ACKNOWLEDGED_UPDATE)


def triage(page: Page, country: str) -> None:
    section = page.locator("section#triage")
    section.get_by_label("Credibility", exact=True).select_option(label="Credible")
    section.get_by_label("Category of misuse", exact=True).select_option(label="Mass surveillance")
    section.get_by_label("Country", exact=True).fill(country)
    section.get_by_role("button", name="Save triage").click()
    page.wait_for_url(re.compile(r"triage=saved"))
    notice(page, "The triage was saved.")
    assessment = page.locator("section#triage dl")
    for shown in ("Credible", "Mass surveillance", country):
        expect(assessment).to_contain_text(shown)


def add_note(page: Page, note: str) -> None:
    section = page.locator("section#investigation")
    section.get_by_label("New note", exact=True).fill(note)
    section.get_by_role("button", name="Add note").click()
    page.wait_for_url(re.compile(r"investigation=note"))
    notice(page, "The note was added.")
    expect(page.locator("section#investigation .notes")).to_contain_text(note)


def grant(page: Page, username: str, role: str = "caseworker") -> None:
    section = page.locator("section#access")
    section.get_by_label("Grant this case to", exact=True).select_option(
        label=f"{username} ({role})"
    )
    section.get_by_role("button", name="Grant access").click()
    page.wait_for_url(re.compile(r"access=granted"))
    notice(page, "Access granted.")
    expect(page.locator("section#access .holders")).to_contain_text(username)


def reply_with_file(page: Page, text: str, filename: str, content: bytes) -> None:
    page.get_by_label("Reply to the reporter", exact=True).fill(text)
    page.get_by_label("Files (optional)", exact=True).set_input_files(
        files=[FilePayload(name=filename, mimeType="application/octet-stream", buffer=content)]
    )
    page.get_by_role("button", name="Send reply").click()
    notice(page, "Your reply was sent.")
    thread = page.locator(".thread")
    expect(thread).to_contain_text(text)
    expect(thread.get_by_role("link", name=filename)).to_be_visible()


def download(page: Page, filename: str) -> bytes:
    with page.expect_download() as downloading:
        page.get_by_role("link", name=filename, exact=True).click()
    assert downloading.value.suggested_filename == filename
    return Path(downloading.value.path()).read_bytes()


def test_console_walk_in_browser(redress: Instance, visit: Visit) -> None:
    token = secrets.token_hex(8)
    report_text = f"The interception kit {token} was installed at a newsroom."
    report_file = (f"report-{token}.bin", f"report {token}\n".encode() + os.urandom(512))
    note = f"Internal only: cross-check {token} with the export licences."
    country = f"Freedonia-{token}"
    reply = f"Thank you. Could you tell us more about {token}?"
    reply_file = (f"questions-{token}.bin", f"reply {token}\n".encode() + os.urandom(2048))

    alice = redress.add_caseworker("alice")
    with visit(redress.intake) as reporter:
        receipt = send_report(reporter, redress.intake, report_text, *report_file)
    # Added after the report arrived, Bob holds no key to it until Alice grants it.
    bob = redress.add_caseworker("bob")

    with visit(redress.console) as bob_page:
        first_sign_in(bob_page, redress.console, bob)
        expect(bob_page.get_by_role("main")).to_contain_text("No cases are granted to you yet.")

        with visit(redress.console) as page:
            first_sign_in(page, redress.console, alice)
            expect(page.locator("table.cases tbody tr")).to_contain_text("needs acknowledgement")
            case_url = open_only_case(page)
            expect(page.locator("dl.report")).to_contain_text(report_text)

            response = bob_page.goto(case_url)
            assert response is not None
            assert response.status == 404, "a case not granted to Bob must not exist for him"

            acknowledge(page)
            triage(page, country)
            add_note(page, note)
            grant(page, bob.username)
            reply_with_file(page, reply, *reply_file)

        bob_page.goto(redress.console)
        row = bob_page.locator("table.cases tbody tr")
        expect(row).to_have_count(1)
        expect(row).not_to_contain_text("needs acknowledgement")
        assert open_only_case(bob_page) == case_url
        expect(bob_page.locator("dl.report")).to_contain_text(report_text)
        expect(bob_page.locator("section#investigation .notes")).to_contain_text(note)
        expect(bob_page.locator(".thread")).to_contain_text(reply)

    with visit(redress.intake) as reporter:
        follow_up(reporter, redress.intake, receipt, reply)
        expect(reporter.locator(".status")).to_have_text("Received and acknowledged")
        expect(reporter.locator(".thread")).to_contain_text(ACKNOWLEDGED_UPDATE)
        assert download(reporter, reply_file[0]) == reply_file[1]
        shown = reporter.content()
        assert note not in shown
        assert country not in shown

    assert token not in redress.command.output


def test_axe_finds_no_serious_violations_in_the_console(
    redress: Instance, visit: Visit, browser: Browser
) -> None:
    """axe-core (WCAG 2.0/2.1 A and AA, best practices) on the console's pages as each role
    sees them, with a case holding a measure, and on forms answered with errors."""
    axe = axe_or_unavailable()
    alice = redress.add_caseworker("alice")
    carol = redress.add_caseworker("carol", "approver")
    root = redress.add_caseworker("root", "administrator")
    with visit(redress.intake) as reporter:
        send_report(reporter, redress.intake, "The tracker was sold to a ministry.", "a.bin", b"a")
    seen: list[PageSnapshot] = []

    with visit(redress.console) as page:
        first_sign_in(page, redress.console, alice)
        seen.append(PageSnapshot.of(page, "case list"))
        open_only_case(page)
        section = page.locator("section#measures")
        section.get_by_label("Measure", exact=True).select_option(label="Suspend updates")
        section.get_by_label("Rationale", exact=True).fill("Updates keep reaching the devices.")
        section.get_by_role("button", name="Propose measure").click()
        expect(page.get_by_role("link", name="Please give a review date")).to_be_visible()
        seen.append(PageSnapshot.of(page, "case page, measure refused"))
        review_on = (date.today() + timedelta(days=30)).isoformat()
        page.locator("section#measures").get_by_label("Review by", exact=True).fill(review_on)
        page.locator("section#measures").get_by_role("button", name="Propose measure").click()
        expect(page.locator("section#measures")).to_contain_text("Suspend updates – proposed")
        seen.append(PageSnapshot.of(page, "case page"))
        page.get_by_role("button", name="Download encrypted export").click()
        expect(page.locator("section#export .error")).to_be_visible()
        seen.append(PageSnapshot.of(page, "case page, export refused"))
        grant(page, carol.username, "approver")
    with visit(redress.console) as page:
        first_sign_in(page, redress.console, carol)
        page.goto(f"{redress.console}approvals")
        expect(page.get_by_role("button", name="Approve")).to_have_count(1)
        seen.append(PageSnapshot.of(page, "approvals"))
        page.goto(f"{redress.console}team")
        expect(page.get_by_role("heading", name="Receiving team")).to_be_visible()
        seen.append(PageSnapshot.of(page, "receiving team"))
    with visit(redress.console) as page:
        first_sign_in(page, redress.console, root, home="Accounts")
        seen.append(PageSnapshot.of(page, "accounts"))
        page.goto(f"{redress.console}admin/settings")
        page.get_by_label(SETTING_LABELS["feedback_days"][0], exact=True).fill("0")
        page.get_by_role("button", name="Save settings").click()
        expect(page.locator(".error").first).to_be_visible()
        seen.append(PageSnapshot.of(page, "settings, refused"))

    found = audit(browser, seen, axe)
    print(f"axe-core on the console:\n{describe_audit(found)}")
    failing = failing_only(found)
    assert not failing, "serious or critical axe violations:\n" + describe_audit(failing)
    assert list(found) == [snapshot.name for snapshot in seen]
