"""Typed text survives an expired form or session in a real browser, JavaScript off.

One `redress serve` for the module; headless Chromium as on Tor Browser's "Safest" level.

- The report form, filled in with files chosen, is sent after the browser lost its cookie (the
  form's CSRF check fails as after its time limit): the form comes back with every answer, the
  files named to choose again; chosen again and sent, the report is received.
- A reply typed in the inbox is sent after the session ended (its server-side record gone, as
  idle expiry does): the receipt login page keeps it; after the receipt the inbox shows it in
  the message box, and the reporter sends it. In Arabic, so the new texts are seen translated.
- A file over the size limit (1 MiB on this server): the report form, then the reply form,
  comes back with what was typed and an error naming the limit in MB; sent again without that
  file, each goes through.
- The inbox shows the reporter their own report, its files and the case reference (in French),
  and offers "Delete my copy" only under messages people wrote.
"""

from __future__ import annotations

import re
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
LIMIT_BYTES = 1024 * 1024
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
    # Files over 1 MiB are refused (the size-limit test); the other tests send small ones.
    environ = clean_environment(root / "home", REDRESS_MAX_FILE_BYTES=str(LIMIT_BYTES))
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


def test_a_file_over_the_limit_keeps_the_report_and_the_reply_typed(
    browser: Browser, server: Server
) -> None:
    t = Texts("en")
    intake = server.intake
    too_large = payload("video.mp4", "video/mp4", b"v" * (LIMIT_BYTES + 1))
    limit_error = t("%(name)s is larger than %(limit)s MB, the most one file may be.")
    with reporter_page(browser, intake) as page:
        page.goto(f"{intake}report")
        page.get_by_label(t("What happened?"), exact=True).fill(STORY)
        page.get_by_label(t("Where did it happen?"), exact=True).fill("Region B")
        page.get_by_label(t("Files (optional)"), exact=True).set_input_files(
            [*files()[:1], too_large]
        )
        assert send_and_status(page, t("Send report"), "/report") == 413

        expect(page.get_by_role("alert")).to_contain_text(
            limit_error % {"name": "video.mp4", "limit": "1"}
        )
        expect(page.get_by_label(t("What happened?"), exact=True)).to_have_value(STORY)
        expect(page.get_by_label(t("Where did it happen?"), exact=True)).to_have_value("Region B")
        page.get_by_label(t("Files (optional)"), exact=True).set_input_files(files()[:1])
        assert send_and_status(page, t("Send report"), "/report") == 201
        confirm_receipt(page, t, intake, receipt_on(page, t))

        page.get_by_label(t("Your message"), exact=True).fill(REPLY)
        page.get_by_label(t("Files (optional)"), exact=True).set_input_files([too_large])
        assert send_and_status(page, t("Send"), "/inbox") == 413
        expect(page.get_by_role("alert")).to_contain_text(
            limit_error % {"name": "video.mp4", "limit": "1"}
        )
        expect(page.get_by_label(t("Your message"), exact=True)).to_have_value(REPLY)
        page.get_by_role("button", name=t("Send"), exact=True).click()
        page.wait_for_url(f"{intake}inbox?sent=1", timeout=SLOW_MS)
        expect(page.locator(".thread")).to_contain_text(REPLY)


def test_the_inbox_shows_the_reporters_own_report(browser: Browser, server: Server) -> None:
    t = Texts("fr")
    intake = server.intake
    with reporter_page(browser, intake) as page:
        page.goto(intake)
        choose_language(page, "fr")
        page.goto(f"{intake}report")
        page.get_by_label(t("What happened?"), exact=True).fill(STORY)
        page.get_by_label(t("Where did it happen?"), exact=True).fill("Région C")
        page.get_by_label(t("Files (optional)"), exact=True).set_input_files(files())
        page.get_by_role("button", name=t("Send report")).click()
        confirm_receipt(page, t, intake, receipt_on(page, t))

        # The reporter's own report, its files and the case reference, in their language.
        expect(page.get_by_role("heading", name=t("What you reported"))).to_be_visible()
        report = page.locator("dl.report")
        expect(report).to_contain_text(t("Where did it happen?"))
        expect(report).to_contain_text("They installed a tracker on our phones.")
        expect(report).to_contain_text("Région C")
        expect(page.get_by_role("link", name="contract scan.pdf")).to_be_visible()
        expect(page.get_by_role("link", name="phone-log.csv")).to_be_visible()
        expect(page.get_by_text(t("Case reference:"))).to_be_visible()
        expect(page.locator(".reference")).to_have_text(re.compile(r"^[0-9A-Z]{8}$"))
        # Only the acknowledgement so far: a system message, with no "Delete my copy".
        expect(page.locator(".thread li.message")).to_have_count(1)
        expect(page.get_by_role("button", name=t("Delete my copy"))).to_have_count(0)

        page.get_by_label(t("Your message"), exact=True).fill(REPLY)
        page.get_by_role("button", name=t("Send"), exact=True).click()
        page.wait_for_url(f"{intake}inbox?sent=1", timeout=SLOW_MS)
        # The reporter's own message can be deleted from their inbox; the system one cannot.
        expect(page.get_by_role("button", name=t("Delete my copy"))).to_have_count(1)
