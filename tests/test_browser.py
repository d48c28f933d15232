"""The walking skeleton in a real browser with JavaScript off, under `redress serve` and `make run`.

Nothing is faked: the `redress` command creates the instance and the caseworker and serves both
apps with gunicorn on free loopback ports; headless Chromium with JavaScript disabled (as on Tor
Browser's "Safest" level) sends a report with a file, and a caseworker reads it, downloads the
file and replies; the reporter comes back with the receipt code and reads the reply.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import stat
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from redress.staff import totp
from redress.web.headers import CONTENT_SECURITY_POLICY_WITH_OWN_SCRIPTS, SECURITY_HEADERS
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
from tests.support.servers import (
    RunningCommand,
    clean_environment,
    http_status,
    listening_addresses,
    run_redress,
    start_serving,
)


@dataclass(frozen=True)
class Servers:
    """A running `redress serve` or `redress demo`, with the base URLs it printed."""

    command: RunningCommand
    intake: str
    console: str


Launch = Callable[[Sequence[str]], Servers]


@pytest.fixture
def environ(tmp_path: Path) -> dict[str, str]:
    """The environment for `redress` subprocesses: no REDRESS_* leaking in, a scratch HOME."""
    home = tmp_path / "home"
    home.mkdir()
    return clean_environment(home)


@pytest.fixture
def launch(environ: dict[str, str]) -> Iterator[Launch]:
    """Start a serving `redress` command on free loopback ports; everything started is stopped."""
    started: list[RunningCommand] = []

    def start(args: Sequence[str]) -> Servers:
        command, intake, console = start_serving(args, environ)
        started.append(command)
        for url in (intake, console):
            port = int(url.rsplit(":", 1)[1].strip("/"))
            addresses = listening_addresses(port)
            assert addresses in ({"127.0.0.1"}, None), f"port {port} is bound on {addresses}"
        return Servers(command, intake, console)

    yield start
    for command in started:
        command.stop()


@pytest.fixture
def browser() -> Iterator[Browser]:
    yield from launched_browser()


# The three acts of the walking skeleton.


def handle_case(
    page: Page, console: str, password: str, secret: str, report: tuple[str, str, bytes], reply: str
) -> None:
    """First sign-in with the one-time password, read the new case and its file, reply."""
    text, filename, content = report
    sign_in(page, console, "alice", password, totp.current_code(secret))
    choose_passphrase(page, console, password)
    page.wait_for_url(console, timeout=SLOW_MS)

    row = page.locator("table.cases tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("needs acknowledgement")
    row.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/cases/[0-9a-f]{32}$"))
    expect(page.get_by_role("main")).to_contain_text(text)

    with page.expect_download() as downloading:
        page.get_by_role("link", name=filename).click()
    download = downloading.value
    assert download.suggested_filename == filename
    assert Path(download.path()).read_bytes() == content

    page.get_by_label("Reply to the reporter", exact=True).fill(reply)
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_role("status")).to_have_text("Your reply was sent.")
    expect(page.locator(".thread")).to_contain_text(reply)


def files_containing(root: Path, needles: Sequence[bytes]) -> list[str]:
    """Files under ``root`` that contain any of ``needles``, as "path: needle" strings."""
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path}: {needle[:40]!r}" for needle in needles if needle in data]
    return found


@pytest.mark.browser
def test_walking_skeleton_in_browser(
    browser: Browser, environ: dict[str, str], launch: Launch, tmp_path: Path
) -> None:
    instance = tmp_path / "instance"
    create_instance(instance, environ)
    added = run_redress(["--instance", str(instance), "caseworker", "add", "alice"], environ)
    password = printed_value(added.stdout, "password")
    secret = printed_value(added.stdout, "TOTP secret")
    servers = launch(["--instance", str(instance), "serve"])

    token = secrets.token_hex(8)
    report_text = f"The tracker {token} was sold to a ministry and used on reporters."
    filename = f"evidence-{token}.bin"
    content = f"attachment {token}\n".encode() + os.urandom(4096)
    reply_text = f"Thank you. We are looking into {token} now."

    with js_off_page(browser, servers.intake) as reporter:
        receipt = send_report(reporter, servers.intake, report_text, filename, content)
    with js_off_page(browser, servers.console) as caseworker:
        handle_case(
            caseworker,
            servers.console,
            password,
            secret,
            (report_text, filename, content),
            reply_text,
        )
    with js_off_page(browser, servers.intake) as reporter:
        follow_up(reporter, servers.intake, receipt, reply_text)

    assert servers.command.stop() == [], "redress serve left processes running"
    assert servers.command.process.returncode == 0
    output = servers.command.output
    compact = receipt.replace("-", "")
    for secret_text in (token, receipt, compact, compact.lower()):
        assert secret_text not in output
    assert "Traceback" not in output
    assert not re.search(r'"(GET|POST) /', output), "an access log line was written"
    # Nothing readable at rest: database, blobs and logs hold none of it in clear.
    needles = [token.encode(), content, receipt.encode(), compact.encode(), filename.encode()]
    assert files_containing(instance, needles) == []


@pytest.mark.browser
def test_make_run_demo_serves_both_apps(browser: Browser, launch: Launch, tmp_path: Path) -> None:
    instance = tmp_path / "demo"
    first = launch(["--instance", str(instance), "demo"])
    printed = first.command.output
    assert len(re.findall(r"^  share \d: \S+( \S+)+$", printed, re.MULTILINE)) == 3
    username = printed_value(printed, "username")
    password = printed_value(printed, "password")
    secret = printed_value(printed, "TOTP secret")
    assert username == "demo"
    credentials = instance / "demo-credentials.txt"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert printed_value(credentials.read_text(), "password") == password
    assert printed_value(credentials.read_text(), "TOTP secret") == secret

    with js_off_page(browser, first.console, first.intake) as page:
        sign_in(page, first.console, username, password, totp.current_code(secret))
        page.wait_for_url(first.console, timeout=SLOW_MS)  # no passphrase change for the demo
        expect(page.get_by_role("heading", name="Cases")).to_be_visible()
        expect(page.get_by_role("main")).to_contain_text("No cases are granted to you yet.")
        page.goto(first.intake)
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Report misuse of surveillance technology"
        )
    assert first.command.stop() == [], "redress demo left processes running"
    assert first.command.process.returncode == 0

    again = launch(["--instance", str(instance), "demo"])
    printed_again = again.command.output
    assert "Created a Redress instance" not in printed_again
    assert "share 1:" not in printed_again
    assert printed_value(printed_again, "username") == username
    assert printed_value(printed_again, "password") == password
    assert printed_value(printed_again, "TOTP secret") == secret
    assert http_status(f"{again.console}login") == 200
    assert http_status(again.intake) == 200
    assert again.command.stop() == [], "redress demo left processes running"


def test_serve_stops_both_servers_on_sigterm(
    environ: dict[str, str], launch: Launch, tmp_path: Path
) -> None:
    """How systemd, Docker and supervisors stop a service."""
    instance = tmp_path / "instance"
    create_instance(instance, environ)
    servers = launch(["--instance", str(instance), "serve"])
    for base in (servers.intake, servers.console):
        with urllib.request.urlopen(base + "login", timeout=5) as response:  # noqa: S310
            headers = response.headers
        # Gunicorn's own name and version are not given away; the app's headers are all there.
        assert headers["Server"] == "redress"
        for name, value in SECURITY_HEADERS.items():
            if name == "Content-Security-Policy" and base == servers.intake:
                # The intake's login page alone may load its own script (its proof of work).
                value = CONTENT_SECURITY_POLICY_WITH_OWN_SCRIPTS
            assert headers[name] == value, name
    assert servers.command.stop(signal.SIGTERM) == []
    assert http_status(servers.intake) is None
    assert http_status(servers.console) is None
