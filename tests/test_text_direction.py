"""Text people write is shown and typed in its own direction: Arabic or Hebrew reads right to
left inside a left-to-right console, and English inside the Arabic intake (``dir="auto"``)."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.helpers import SignedIn, get_page, new_case, post_to_case, reporter_login

REPORT = "باعوا جهاز التتبع إلى الوزارة."
REPLY = "שלום, קיבלנו את הדיווח שלך."


def shown_in_its_direction(page: str, text: str) -> bool:
    """``text`` is the content of an element whose direction the browser picks from it."""
    return re.search(rf'dir="auto"[^>]*>\s*{re.escape(text)}\s*<', page) is not None


def textareas_without_direction(page: str) -> list[str]:
    """The page's text boxes that would not follow what is typed in them (it has some)."""
    boxes = re.findall(r"<textarea[^>]*>", page)
    assert boxes, "no text box on the page"
    return [tag for tag in boxes if 'dir="auto"' not in tag]


def test_written_text_and_text_boxes_take_their_own_direction(
    intake: FlaskClient, db: Session, sign_in: Callable[..., SignedIn]
) -> None:
    alice = sign_in("alice").client
    case = new_case(intake, db, REPORT)
    assert post_to_case(alice, case.id, f"/cases/{case.id}/reply", text=REPLY) == 302

    console_page = get_page(alice, f"/cases/{case.id}")
    assert shown_in_its_direction(console_page, REPORT)
    assert shown_in_its_direction(console_page, REPLY)
    assert textareas_without_direction(console_page) == []

    reporter = intake.application.test_client()
    assert reporter_login(reporter, case.receipt).status_code == 302
    inbox = get_page(reporter, "/inbox")
    assert shown_in_its_direction(inbox, REPORT)
    assert shown_in_its_direction(inbox, REPLY)
    assert textareas_without_direction(inbox) == []
    assert textareas_without_direction(get_page(intake.application.test_client(), "/report")) == []
