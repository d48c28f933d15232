"""Typed text survives an expired form or session in a real browser, JavaScript off.

One `redress serve` for the module; headless Chromium as on Tor Browser's "Safest" level.

- The report form, filled in with files chosen, is sent after the browser lost its cookie (the
  form's CSRF check fails as after its time limit): the form comes back with every answer, the
  files named to choose again; chosen again and sent, the report is received.
- A reply typed in the inbox is sent after the session ended (its server-side record gone, as
  idle expiry does): the receipt login page keeps it; after the receipt the inbox shows it in
  the message box, and the reporter sends it. In Arabic, so the new texts are seen translated.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, FilePayload, Page, expect

from tests.support.browser import launched_browser
from tests.support.browser_flows import (
    SLOW_MS,
    Texts,
    choose_language,
    confirm_receipt,
    payload,
    receipt_on,
    reporter_page,
)
from tests.support.servers import RunningCommand, clean_environment, run_redress, start_serving

pytestmark = pytest.mark.browser

STORY = "They installed a tracker on our phones.\nIt reported every place we went."
REPLY = 'Here is what happened next.\nThey came back on Monday, "early" & &lt;quiet&gt;.'


@dataclass(frozen=True)
class Server:
    command: RunningCommand
    intake: str
    database: Path

    def end_reporter_sessions(self) -> None:
        """What idle expiry does: the sessions' server-side records are gone."""
        with closing(sqlite3.connect(self.database)) as connection, connection:
            connection.execute("DELETE FROM session_records")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("expired-browser")
    (root / "home").mkdir()
    environ = clean_environment(root / "home")
    instance = root / "instance"
    run_redress(["--instance", str(instance), "init", "--threshold", "2", "--shares", "3"], environ)
    run_redress(["--instance", str(instance), "caseworker", "add", "alice"], environ)
    command, intake, _console = start_serving(["--instance", str(instance), "serve"], environ)
    try:
        yield Server(command, intake, instance / "redress.sqlite3")
    finally:
        survivors = command.stop()
    assert survivors == [], "redress serve left processes running"
    assert "Traceback" not in command.output, command.output


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launched_browser()


def files() -> list[FilePayload]:
    return [
        payload("contract scan.pdf", "application/pdf", b"%PDF-1.4 not really\n"),
        payload("phone-log.csv", "text/csv", b"time,place\n"),
    ]


def send_and_status(page: Page, button: str, path: str) -> int:
    """Click ``button`` (a form posting to ``path``) and return the answer's status."""
    with page.expect_response(
        lambda response: response.request.method == "POST" and response.url.endswith(path),
        timeout=SLOW_MS,
    ) as answer:
        page.get_by_role("button", name=button, exact=True).click()
    return answer.value.status


def test_an_expired_report_form_keeps_every_answer(browser: Browser, server: Server) -> None:
    t = Texts("en")
    intake = server.intake
    with reporter_page(browser, intake) as page:
        page.goto(f"{intake}report")
        page.get_by_label(t("What happened?"), exact=True).fill(STORY)
        page.get_by_label(t("Where did it happen?"), exact=True).fill("Region A")
        rights = page.get_by_role("group", name=t("Which rights were affected?"))
        rights.get_by_label(t("Privacy"), exact=True).check()
        page.get_by_label(t("Your name (optional)"), exact=True).fill("Olena K.")
        page.get_by_label(t("Remove hidden metadata from my files (recommended)")).uncheck()
        page.get_by_label(t("Files (optional)"), exact=True).set_input_files(files())

        page.context.clear_cookies()  # the form's CSRF check now fails, as after its time limit
        assert send_and_status(page, t("Send report"), "/report") == 400

        notice = page.get_by_role("alert")
        expect(notice.get_by_role("heading", level=2)).to_have_text(t("This form has expired"))
        expect(notice).to_contain_text(
            t("Files cannot be kept. Please choose them again before sending:")
        )
        expect(notice).to_contain_text("contract scan.pdf")
        expect(notice).to_contain_text("phone-log.csv")
        expect(page.get_by_label(t("What happened?"), exact=True)).to_have_value(STORY)
        expect(page.get_by_label(t("Where did it happen?"), exact=True)).to_have_value("Region A")
        expect(rights.get_by_label(t("Privacy"), exact=True)).to_be_checked()
        expect(rights.get_by_label(t("Freedom of expression"), exact=True)).not_to_be_checked()
        expect(page.get_by_label(t("Your name (optional)"), exact=True)).to_have_value("Olena K.")
        expect(
            page.get_by_label(t("Remove hidden metadata from my files (recommended)"))
        ).not_to_be_checked()

        # The files chosen again, the same form sent as it stands: received.
        page.get_by_label(t("Files (optional)"), exact=True).set_input_files(files())
        assert send_and_status(page, t("Send report"), "/report") == 201
        receipt_on(page, t)


def test_a_reply_after_the_session_ended_survives_the_receipt(
    browser: Browser, server: Server
) -> None:
    t = Texts("ar")
    intake = server.intake
    with reporter_page(browser, intake) as page:
        page.goto(intake)
        choose_language(page, "ar")
        page.goto(f"{intake}report")
        page.get_by_label(t("What happened?"), exact=True).fill(STORY)
        page.get_by_role("button", name=t("Send report")).click()
        receipt = receipt_on(page, t)
        confirm_receipt(page, t, intake, receipt)

        page.get_by_label(t("Your message"), exact=True).fill(REPLY)
        page.get_by_label(t("Files (optional)"), exact=True).set_input_files(files()[:1])
        server.end_reporter_sessions()
        assert send_and_status(page, t("Send"), "/inbox") == 401

        expect(page.get_by_role("heading", level=1)).to_have_text(t("Your session has ended"))
        kept = page.get_by_role("status")
        expect(kept).to_contain_text(
            t(
                "Your message was not sent. It is kept on this page only: once you enter your "
                "receipt code, it is shown again in the message box, ready to send."
            )
        )
        expect(kept).to_contain_text("contract scan.pdf")
        expect(page.locator('input[type="hidden"][name="carried_reply"]')).to_have_value(REPLY)

        page.get_by_label(t("Your receipt code"), exact=True).fill(receipt)
        assert send_and_status(page, t("Continue"), "/login") == 200
        expect(page.get_by_role("heading", level=1)).to_have_text(t("Your report"))
        expect(page.get_by_label(t("Your message"), exact=True)).to_have_value(REPLY)
        expect(page.get_by_role("status")).to_contain_text(
            t(
                "The message you wrote before your session ended is back in the box below. It "
                "has not been sent: check it and press Send."
            )
        )
        expect(page.locator(".thread")).not_to_contain_text(REPLY)  # not sent yet

        page.get_by_role("button", name=t("Send"), exact=True).click()
        page.wait_for_url(f"{intake}inbox?sent=1", timeout=SLOW_MS)
        expect(page.locator(".thread")).to_contain_text(REPLY)
