"""Investigation and dialogue in the console: encrypted notes, tasks, internal evidence, the
timeline, reply templates, and typed text that survives an expired session."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from crypto.keys import keypair_from_private, unwrap_private_key
from redress.casework import investigation
from redress.casework.timeline import build_timeline
from redress.i18n.console import describe_step
from redress.staff.identity import StaffIdentity
from redress.store import clock
from redress.store.config import Config
from redress.store.models import (
    Attachment,
    Base,
    Case,
    Caseworker,
    KeyKind,
    Message,
    Note,
    ReplyTemplate,
    Role,
    SessionRecord,
    Task,
)
from tests.helpers import (
    NEW_PASSPHRASE,
    SignedIn,
    audited,
    case_action,
    confirm_receipt,
    csrf_token,
    new_case,
)
from tests.support.samples import jpeg_with_exif

REPORT = "The tracker was sold."
NOTE = "Supplier invoice 4471 matches the reporter's dates"
TASK = "Ask the reseller for the deployment logs"
INTEGRITY_FAILURE = "This item failed an integrity check"
KEPT = "Your session had expired; your text was kept — please send it again"


def page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def in_database(db: Session, text: str) -> bool:
    db.expire_all()
    needle = text.encode()
    for table in Base.metadata.sorted_tables:
        for row in db.execute(select(table)):
            for value in row:
                haystack = value if isinstance(value, bytes) else str(value).encode()
                if needle in haystack:
                    return True
    return False


def count(db: Session, model: type[Base]) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model)) or 0


def reporter_case(intake: FlaskClient, db: Session) -> str:
    """A new case whose reporter is signed in on `intake`."""
    case = new_case(intake, db, "Phones of four journalists were infected.")
    assert confirm_receipt(intake, case.receipt).status_code == 302
    return case.id


def test_notes_are_encrypted_shared_with_holders_and_never_shown_to_the_reporter(
    intake: FlaskClient, sign_in: Callable[..., SignedIn], db: Session
) -> None:
    alice = sign_in("alice")
    case_id = reporter_case(intake, db)
    bob = sign_in("bob")  # joined after the case arrived: holds nothing
    assert case_action(alice.client, case_id, "notes", {"note": NOTE}) == 302
    shown = page(alice.client, f"/cases/{case_id}?investigation=note")
    assert escape(NOTE) in shown
    assert "The note was added." in shown
    assert not in_database(db, NOTE)
    [note] = db.scalars(select(Note)).all()
    assert note.author_id == alice.id
    assert audited(db, "note.added") == [{"note": note.id}]

    assert bob.client.get(f"/cases/{case_id}").status_code == 404
    assert case_action(bob.client, case_id, "notes", {"note": "not mine"}) == 404
    grant = {"grantee": bob.id}
    assert case_action(alice.client, case_id, "access/grant", grant) == 302
    assert escape(NOTE) in page(bob.client, f"/cases/{case_id}")

    inbox = page(intake, "/inbox")
    assert "Your report has been received and encrypted" in inbox
    assert escape(NOTE) not in inbox
    assert NOTE not in inbox

    assert case_action(alice.client, case_id, "notes", {"note": "   "}) == 400
    assert count(db, Note) == 1


def test_a_note_moved_to_another_case_fails_its_integrity_check(
    intake: FlaskClient, sign_in: Callable[..., SignedIn], db: Session
) -> None:
    alice = sign_in("alice")
    first, second = new_case(intake, db, REPORT).id, new_case(intake, db, "Another report.").id
    assert case_action(alice.client, first, "notes", {"note": NOTE}) == 302
    assert (
        case_action(alice.client, second, "tasks", {"task_title": TASK, "task_owner": alice.id})
        == 302
    )
    db.execute(update(Note).values(case_id=second))
    db.execute(update(Task).values(ciphertext=db.scalars(select(Note.ciphertext)).one()))
    db.commit()

    shown = page(alice.client, f"/cases/{second}")
    section = shown.split('id="investigation"', 1)[1]
    assert section.count(INTEGRITY_FAILURE) == 2
    assert NOTE not in shown
    assert audited(db, "investigation.integrity_failed")[-1] == {"integrity_failures": 2}
    assert INTEGRITY_FAILURE not in page(alice.client, f"/cases/{first}")

    worker = db.get_one(Caseworker, alice.id)
    keypair = keypair_from_private(unwrap_private_key(worker.wrapped_private_key, NEW_PASSPHRASE))
    identity = StaffIdentity(alice.id, "alice", Role.CASEWORKER, keypair)
    [moved] = investigation.notes(db, second, identity)
    assert (moved.intact, moved.text, moved.author) == (False, None, "alice")
    assert investigation.notes(db, first, identity) == []


def test_tasks_go_to_holders_of_the_case_and_can_be_done_and_reopened(
    intake: FlaskClient, sign_in: Callable[..., SignedIn], db: Session
) -> None:
    alice = sign_in("alice")
    case_id, other_case = new_case(intake, db, REPORT).id, new_case(intake, db, "Unrelated.").id
    bob = sign_in("bob")  # joined after the cases arrived: holds neither
    sign_in("root", Role.ADMINISTRATOR)
    root_id = db.scalar(select(Caseworker.id).where(Caseworker.username == "root"))
    due = (clock.today() + timedelta(days=5)).isoformat()
    for owner in (bob.id, root_id, "0" * 32):
        data = {"task_title": TASK, "task_owner": owner, "task_due": due}
        assert case_action(alice.client, case_id, "tasks", data) == 400
    refused = alice.client.post(
        f"/cases/{case_id}/tasks",
        data={
            "csrf_token": csrf_token(alice.client, "/login"),
            "task_title": TASK,
            "task_owner": bob.id,
        },
    ).get_data(as_text=True)
    assert "Please choose a colleague who holds this case." in refused
    assert escape(TASK) in refused, "the typed title is kept"
    assert count(db, Task) == 0

    assert case_action(alice.client, case_id, "access/grant", {"grantee": bob.id}) == 302
    task_for_bob = {"task_title": TASK, "task_owner": bob.id, "task_due": due}
    assert case_action(alice.client, case_id, "tasks", task_for_bob) == 302
    [task] = db.scalars(select(Task)).all()
    assert (task.owner_id, task.due_on, task.done_on) == (bob.id, date.fromisoformat(due), None)
    assert not in_database(db, TASK)
    shown = page(bob.client, f"/cases/{case_id}")
    assert escape(TASK) in shown
    assert due in shown

    assert case_action(bob.client, case_id, f"tasks/{task.id}/complete") == 302
    db.expire_all()
    assert task.done_on == clock.today()
    assert case_action(bob.client, case_id, f"tasks/{task.id}/complete") == 302, "idempotent"
    assert case_action(alice.client, case_id, f"tasks/{task.id}/reopen") == 302
    db.expire_all()
    assert task.done_on is None
    assert audited(db, "task.added") == [{"task": task.id, "owner": bob.id, "due": due}]
    assert audited(db, "task.completed") == [{"task": task.id}]
    assert audited(db, "task.reopened") == [{"task": task.id}]

    assert case_action(alice.client, other_case, f"tasks/{task.id}/complete") == 404
    assert case_action(alice.client, case_id, f"tasks/{'0' * 32}/complete") == 404
    assert case_action(alice.client, case_id, f"tasks/{task.id}/delete") == 404


def test_a_task_due_in_the_past_is_added_with_a_warning(
    intake: FlaskClient, sign_in: Callable[..., SignedIn], db: Session
) -> None:
    alice = sign_in("alice")
    case_id = new_case(intake, db, REPORT).id
    token = csrf_token(alice.client, f"/cases/{case_id}")
    warned = "Its due date has passed: it is listed as overdue."
    for days, warning in ((-1, True), (0, False), (3, False)):
        due = (clock.today() + timedelta(days=days)).isoformat()
        data = {"csrf_token": token, "task_title": TASK, "task_owner": alice.id, "task_due": due}
        added = alice.client.post(f"/cases/{case_id}/tasks", data=data, follow_redirects=True)
        assert added.status_code == 200
        text = added.get_data(as_text=True)
        assert (warned in text) is warning, due
        assert (">The task was added.<" in text) is not warning, due
    assert count(db, Task) == 3


def test_evidence_keeps_its_metadata_and_never_reaches_the_reporter(
    intake: FlaskClient, sign_in: Callable[..., SignedIn], db: Session
) -> None:
    alice = sign_in("alice")
    case_id = reporter_case(intake, db)
    photo = jpeg_with_exif()
    files = {"evidence": [(io.BytesIO(photo), "seized-phone.jpg", "image/jpeg")]}
    assert case_action(alice.client, case_id, "evidence", files) == 302
    assert case_action(alice.client, case_id, "evidence", {}) == 400
    [evidence] = db.scalars(select(Attachment)).all()
    assert evidence.key_kind is KeyKind.INTERNAL
    assert evidence.message_id is None
    assert audited(db, "evidence.added") == [{"files": 1, "ids": evidence.id}]
    assert not in_database(db, "seized-phone")

    shown = page(alice.client, f"/cases/{case_id}")
    assert shown.count("seized-phone.jpg") == 1, "listed as evidence, not as a file of the report"
    assert "Files sent with the report" not in shown
    download = alice.client.get(f"/cases/{case_id}/files/{evidence.id}")
    assert download.status_code == 200
    assert download.data == photo, "stored exactly as uploaded, metadata included"

    inbox = page(intake, "/inbox")
    assert "seized-phone" not in inbox
    assert evidence.id not in inbox
    assert intake.get(f"/inbox/files/{evidence.id}").status_code == 404


def test_the_timeline_merges_what_happened_without_content(
    intake: FlaskClient, sign_in: Callable[..., SignedIn], db: Session
) -> None:
    alice = sign_in("alice")
    case_id = reporter_case(intake, db)
    reply = {"csrf_token": csrf_token(intake, "/inbox"), "text": "One more detail."}
    assert intake.post("/inbox", data=reply).status_code == 302
    status = {"new_status": "acknowledged", "tell_reporter": "y"}
    assert case_action(alice.client, case_id, "status", status) == 302
    assert case_action(alice.client, case_id, "notes", {"note": NOTE}) == 302
    due = (clock.today() + timedelta(days=3)).isoformat()
    task = {"task_title": TASK, "task_owner": alice.id, "task_due": due}
    assert case_action(alice.client, case_id, "tasks", task) == 302
    files = {"evidence": [(io.BytesIO(b"a"), "a.txt"), (io.BytesIO(b"b"), "b.txt")]}
    assert case_action(alice.client, case_id, "evidence", files) == 302

    entries = build_timeline(db, case_id)
    assert [entry.at for entry in entries] == sorted(entry.at for entry in entries)
    seen = [(describe_step(entry), entry.who) for entry in entries]
    assert seen[0] == ("Report received", "reporter")
    for expected in (
        ("Automatic update to the reporter", None),
        ("Message from the reporter", "reporter"),
    ):
        assert expected in seen, expected
    staff_actions = [
        ("Status changed from received to acknowledged", "alice"),
        ("Note added", "alice"),
        (f"Task added (owner alice, due {due})", "alice"),
        ("Evidence added (2 files)", "alice"),
    ]
    assert [step for step in seen if step in staff_actions] == staff_actions, "in order"
    assert not any("viewed" in what for what, _who in seen), "reads are left out"
    day_only = [entry for entry in entries if not entry.exact]
    assert {entry.at.time() for entry in day_only} == {datetime.min.time()}

    shown = page(alice.client, f"/cases/{case_id}")
    timeline = shown.split("<details", 1)[1].split("</details>", 1)[0]
    assert "Show the timeline" in timeline
    assert f"Task added (owner alice, due {due})" in timeline
    assert escape(NOTE) not in timeline
    assert escape(TASK) not in timeline


@contextmanager
def counting(db: Session) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = db.get_bind()

    def count_(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count_)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count_)


def test_the_timeline_takes_the_same_queries_for_any_size_of_case(
    intake: FlaskClient, sign_in: Callable[..., SignedIn], db: Session
) -> None:
    alice = sign_in("alice")
    case_id = new_case(intake, db, REPORT).id
    with counting(db) as small:
        build_timeline(db, case_id)
    for number in range(4):
        assert case_action(alice.client, case_id, "notes", {"note": f"note {number}"}) == 302
        task = {"task_title": f"task {number}", "task_owner": alice.id}
        assert case_action(alice.client, case_id, "tasks", task) == 302
    db.expire_all()
    with counting(db) as large:
        entries = build_timeline(db, case_id)
    assert len(entries) > 8
    assert len(large) == len(small) == 3


def test_reply_templates_are_managed_by_administrators_only(
    intake: FlaskClient, sign_in: Callable[..., SignedIn], db: Session
) -> None:
    root = sign_in("root", Role.ADMINISTRATOR)
    token = csrf_token(root.client, "/admin/templates")
    body = "Thank you for report {reference} of {received_on}. {unknown} stays."
    created = root.client.post(
        "/admin/templates", data={"csrf_token": token, "name": "Thanks", "body": body}
    )
    assert created.status_code == 302
    [template] = db.scalars(select(ReplyTemplate)).all()
    template_id = template.id
    assert "Thanks" in page(root.client, "/admin/templates?done=created")
    assert "The template was added." in page(root.client, "/admin/templates?done=created")
    clash = root.client.post(
        "/admin/templates", data={"csrf_token": token, "name": "Thanks", "body": "again"}
    )
    assert clash.status_code == 400
    assert "Another template already has this name." in clash.get_data(as_text=True)
    assert escape(body) in page(root.client, f"/admin/templates/{template.id}")
    edited = root.client.post(
        f"/admin/templates/{template.id}",
        data={"csrf_token": token, "name": "Thanks, updated", "body": body},
    )
    assert edited.status_code == 302
    db.expire_all()
    assert template.name == "Thanks, updated"
    assert root.client.get(f"/admin/templates/{'0' * 32}").status_code == 404

    alice = sign_in("alice")
    auditor = sign_in("audrey", Role.AUDITOR)
    for client in (alice.client, auditor.client):
        assert client.get("/admin/templates").status_code == 403
        forged = {"csrf_token": csrf_token(client, "/login"), "name": "x", "body": "y"}
        assert client.post("/admin/templates", data=forged).status_code == 403
        assert client.post(f"/admin/templates/{template.id}/delete", data=forged).status_code == 403

    case_id = new_case(intake, db, REPORT).id
    reference = db.get_one(Case, case_id).reference
    filled = page(alice.client, f"/cases/{case_id}?template={template.id}")
    textarea = filled.split('name="text"', 1)[1].split("</textarea>", 1)[0]
    assert f"Thank you for report {reference} of {clock.today().isoformat()}." in textarea
    assert "{unknown} stays." in textarea
    assert f'<option value="{template.id}" selected>' in filled
    missing = page(alice.client, f"/cases/{case_id}?template={'0' * 32}")
    assert "That template no longer exists." in missing

    deleted = root.client.post(f"/admin/templates/{template.id}/delete", data={"csrf_token": token})
    assert deleted.status_code == 302
    assert count(db, ReplyTemplate) == 0
    ids = [{"template": template_id}]
    assert audited(db, "template.created") == ids
    assert audited(db, "template.updated") == ids
    assert audited(db, "template.deleted") == ids


def expire_sessions(db: Session) -> None:
    db.execute(update(SessionRecord).values(purge_after=date(2000, 1, 1)))
    db.commit()


def sign_in_again(user: SignedIn, carried: dict[str, str], passphrase: str = NEW_PASSPHRASE) -> str:
    """Sign in with the carried fields; a wrong passphrase fails before the code is checked."""
    code = user.authenticator.next_code() if passphrase == NEW_PASSPHRASE else "000000"
    response = user.client.post(
        "/login",
        data={
            "csrf_token": csrf_token(user.client, "/login"),
            "username": user.staff.account.username,
            "password": passphrase,
            "code": code,
            **carried,
        },
    )
    return f"{response.status_code} {response.get_data(as_text=True)}"


def test_a_note_typed_while_the_session_expired_survives_the_sign_in(
    intake: FlaskClient, sign_in: Callable[..., SignedIn], db: Session, config: Config
) -> None:
    alice = sign_in("alice")
    case_id = new_case(intake, db, REPORT).id
    token = csrf_token(alice.client, f"/cases/{case_id}")
    expire_sessions(db)
    typed = 'Call the <b>reseller</b> & "ask" again\nsecond line'
    expired = alice.client.post(
        f"/cases/{case_id}/notes", data={"csrf_token": token, "note": typed}
    )
    assert expired.status_code == 401
    login_page = expired.get_data(as_text=True)
    assert "Sign in" in login_page
    assert 'name="carry_endpoint" value="investigation.add_note"' in login_page
    assert f'name="carry_case" value="{case_id}"' in login_page
    assert f'name="carry_text" value="{escape(typed)}"' in login_page
    assert "<b>reseller</b>" not in login_page
    assert count(db, Note) == 0

    carried = {"carry_endpoint": "investigation.add_note", "carry_case": case_id}
    carried["carry_text"] = typed
    failed = sign_in_again(alice, carried, passphrase="wrong passphrase")
    assert failed.startswith("401")
    assert f'name="carry_text" value="{escape(typed)}"' in failed, "kept across a typo"

    resumed = sign_in_again(alice, carried)
    assert resumed.startswith("200")
    assert KEPT in resumed
    note_field = resumed.split('name="note"', 1)[1].split("</textarea>", 1)[0]
    assert escape(typed) in note_field
    assert count(db, Note) == 0, "nothing is stored until the caseworker sends it again"
    assert not in_database(db, "reseller")
    assert config.log_dir is not None
    logs = "".join(path.read_text() for path in config.log_dir.glob("*") if path.is_file())
    assert "reseller" not in logs

    assert case_action(alice.client, case_id, "notes", {"note": typed}) == 302
    assert count(db, Note) == 1


def test_a_reply_is_carried_too_and_forged_carries_are_ignored(
    intake: FlaskClient, sign_in: Callable[..., SignedIn], db: Session
) -> None:
    alice = sign_in("alice")
    case_id = new_case(intake, db, REPORT).id
    token = csrf_token(alice.client, f"/cases/{case_id}")
    expire_sessions(db)
    expired = alice.client.post(
        f"/cases/{case_id}/reply", data={"csrf_token": token, "text": "We are on it."}
    )
    assert expired.status_code == 401
    assert 'name="carry_endpoint" value="cases.reply"' in expired.get_data(as_text=True)
    messages = count(db, Message)
    carried = {"carry_endpoint": "cases.reply", "carry_case": case_id, "carry_text": "On it."}
    resumed = sign_in_again(alice, carried)
    assert resumed.startswith("200")
    assert "Files you had chosen were not kept" in resumed
    assert "On it.</textarea>" in resumed
    assert count(db, Message) == messages

    bob = sign_in("bob")  # two sign-ins per account in a test: TOTP codes cannot be reused
    expire_sessions(db)
    forged = {"carry_endpoint": "templates.create", "carry_case": case_id, "carry_text": "x"}
    assert sign_in_again(bob, forged).startswith("302")
    # A POST to a form that carries nothing just asks to sign in again.
    expire_sessions(db)
    expired_other = alice.client.post(
        f"/cases/{case_id}/tasks", data={"csrf_token": csrf_token(alice.client, "/login")}
    )
    assert expired_other.status_code == 302


def test_roles_without_case_work_and_strangers_are_refused(
    intake: FlaskClient, sign_in: Callable[..., SignedIn], db: Session, config: Config
) -> None:
    sign_in("alice")
    case_id = new_case(intake, db, REPORT).id
    outsider = sign_in("olga")  # joined after the case arrived: holds nothing
    auditor = sign_in("audrey", Role.AUDITOR)
    for action, data in (
        ("notes", {"note": "x"}),
        ("tasks", {"task_title": "x", "task_owner": outsider.id}),
        (f"tasks/{'0' * 32}/complete", {}),
        ("evidence", {}),
    ):
        for client, refused in ((auditor.client, 403), (outsider.client, 404)):
            response = client.post(
                f"/cases/{case_id}/{action}",
                data={
                    "csrf_token": csrf_token(client, "/login"),
                    "evidence": [(io.BytesIO(b"x"), "x.txt")],
                    **data,
                },
                content_type="multipart/form-data",
            )
            assert response.status_code == refused, action
    assert count(db, Note) + count(db, Task) + count(db, Attachment) == 0
    assert not [path for path in config.blob_dir.rglob("*") if path.is_file()], "no orphan blob"
