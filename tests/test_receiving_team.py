"""The receiving team: new cases are sealed only to its members, and only an approver in the team,
who did not create the account, adds an account to it.

The attack these tests reproduce: an administrator creates a caseworker (or approver) account in
the console, is shown its one-time passphrase and TOTP secret, and signs in as it. Before the
receiving team, that account received a sealed copy of every new case (an approver: of every new
confidential identity).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crypto.keys import keypair_from_private, unwrap_private_key
from redress.keys.blind_index import INDEX_KEY, distribute_index_key
from redress.keys.permissions import Permission, allows
from redress.staff import accounts
from redress.store.config import Config
from redress.store.db import Database
from redress.store.migrations import alembic_config, upgrade
from redress.store.models import (
    AuditEvent,
    CaseKey,
    Caseworker,
    KeyKind,
    OrganisationKey,
    Recipient,
    Role,
)
from tests.conftest import ENGINES
from tests.helpers import (
    NEW_PASSPHRASE,
    Authenticator,
    SignedIn,
    Staff,
    case_ids,
    change_passphrase,
    console_login,
    csrf_token,
    new_case,
    text_shown,
)
from tests.support.postgres import drop_database, fresh_database


def post(client: FlaskClient, path: str, data: dict[str, str] | None = None) -> int:
    token = csrf_token(client, "/account/two-factor")
    return client.post(path, data={"csrf_token": token, **(data or {})}).status_code


def create_in_console(admin: FlaskClient, username: str, role: Role) -> Staff:
    """An administrator creates an account and reads its credentials off the page."""
    token = csrf_token(admin, "/admin/accounts")
    page = admin.post(
        "/admin/accounts", data={"csrf_token": token, "username": username, "role": role.value}
    )
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    account = accounts.NewAccount(
        caseworker_id="",  # not shown on the page: the administrator does not need it
        username=username,
        password=text_shown(text, "one-time-password"),
        totp_secret=text_shown(text, "totp-secret"),
    )
    return Staff(account=account, passphrase=account.password)


def account_id(db: Session, username: str) -> str:
    db.expire_all()
    found = db.scalar(select(Caseworker.id).where(Caseworker.username == username))
    assert found is not None
    return found


def key_copies(db: Session, caseworker_id: str) -> list[tuple[str, KeyKind]]:
    db.expire_all()
    rows = db.execute(
        select(CaseKey.case_id, CaseKey.kind).where(
            CaseKey.recipient == Recipient.CASEWORKER, CaseKey.caseworker_id == caseworker_id
        )
    )
    return [(case_id, kind) for case_id, kind in rows]


def index_key_copies(db: Session, caseworker_id: str) -> int:
    db.expire_all()
    copies = select(func.count()).where(
        OrganisationKey.name == INDEX_KEY, OrganisationKey.caseworker_id == caseworker_id
    )
    return db.scalar(copies) or 0


def in_team(db: Session, caseworker_id: str) -> bool:
    from redress.staff import team  # imported here, so the attack tests run on code without it

    db.expire_all()
    return team.is_member(db, caseworker_id)


def team_events(db: Session) -> list[tuple[str, str | None, dict[str, object]]]:
    """(action, acting account, detail) of every receiving-team change, oldest first."""
    db.expire_all()
    rows = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.in_(["team.member_added", "team.member_removed"]))
        .order_by(AuditEvent.seq)
    )
    return [(row.action, row.caseworker_id, json.loads(row.detail)) for row in rows]


@pytest.fixture
def staffed(
    sign_in: Callable[..., SignedIn], make_caseworker: Callable[..., Staff]
) -> dict[str, tuple[Staff, FlaskClient]]:
    """A caseworker and an approver the operator created (so in the team), and an administrator,
    each signed in."""
    people = {
        "holder": make_caseworker("holder"),
        "carol": make_caseworker("carol", Role.APPROVER),
        "root": make_caseworker("root", Role.ADMINISTRATOR),
    }
    return {name: (staff, sign_in(staff).client) for name, staff in people.items()}


def test_an_account_an_administrator_creates_receives_no_case_until_an_approver_adds_it(
    sign_in: Callable[..., SignedIn], intake: FlaskClient, db: Session, config: Config, staffed
) -> None:
    _, admin = staffed["root"]
    _, carol = staffed["carol"]
    mallory = create_in_console(admin, "mallory", Role.CASEWORKER)
    eve = create_in_console(admin, "eve", Role.APPROVER)
    mallory_id, eve_id = account_id(db, "mallory"), account_id(db, "eve")

    first = new_case(intake, db, identity_name="Dana Reporter").id

    # The administrator signs in as the accounts they created: no case, no key copy.
    as_mallory = sign_in(mallory).client
    assert case_ids(as_mallory) == []
    assert as_mallory.get(f"/cases/{first}").status_code == 404
    assert key_copies(db, mallory_id) == []
    as_eve = sign_in(eve).client
    assert case_ids(as_eve) == []
    assert as_eve.get(f"/cases/{first}").status_code == 404
    assert key_copies(db, eve_id) == []
    # Nor the organisation's index key, when a member of the team signs in and hands it out.
    worker = db.get_one(Caseworker, account_id(db, "holder"))
    keypair = keypair_from_private(unwrap_private_key(worker.wrapped_private_key, NEW_PASSPHRASE))
    distribute_index_key(db, worker.id, keypair, config.recovery_public_key)
    db.commit()
    assert index_key_copies(db, worker.id) == 1
    assert index_key_copies(db, mallory_id) == index_key_copies(db, eve_id) == 0
    # The operator's accounts did receive it: the caseworker the report, the approver the identity.
    holder_id, carol_id = account_id(db, "holder"), account_id(db, "carol")
    assert set(key_copies(db, holder_id)) == {(first, KeyKind.THREAD), (first, KeyKind.INTERNAL)}
    assert key_copies(db, carol_id) == [(first, KeyKind.IDENTITY)]

    # Neither the approver the administrator made (outside the team) nor the administrator adds it.
    assert post(as_eve, f"/team/{mallory_id}/add") == 403
    assert post(admin, f"/team/{mallory_id}/add") == 403
    assert post(as_eve, f"/team/{eve_id}/add") == 403
    assert key_copies(db, mallory_id) == []

    # The team page shows both waiting for an approver.
    page = carol.get("/team").get_data(as_text=True)
    assert "mallory" in page
    assert "eve" in page
    assert "Waiting to join" in page

    # An approver in the team, who created neither account, adds the caseworker.
    assert post(carol, f"/team/{mallory_id}/add") == 302
    second = new_case(intake, db, identity_name="Sam Employee").id
    assert set(key_copies(db, mallory_id)) == {
        (second, KeyKind.THREAD),
        (second, KeyKind.INTERNAL),
    }
    assert case_ids(as_mallory) == [second]
    assert as_mallory.get(f"/cases/{second}").status_code == 200
    # Joining the team brings no existing case.
    assert as_mallory.get(f"/cases/{first}").status_code == 404
    # The approver outside the team still receives no identity.
    assert key_copies(db, eve_id) == []

    # Every step is in the audit log: who created the accounts, who added whom.
    db.expire_all()
    created = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "account.created").order_by(AuditEvent.seq)
    ).all()
    root_id = account_id(db, "root")
    by_admin = [
        json.loads(e.detail)["account"]
        for e in created
        if (e.actor, e.caseworker_id) == ("caseworker", root_id)
    ]
    assert by_admin == [mallory_id, eve_id]
    assert team_events(db) == [
        ("team.member_added", holder_id, {"account": holder_id}),
        ("team.member_added", carol_id, {"account": carol_id}),
        ("team.member_added", carol_id, {"account": mallory_id}),
    ]
    operator_events = db.scalars(
        select(AuditEvent.actor).where(AuditEvent.action == "team.member_added")
    ).all()
    assert operator_events == ["system", "system", "caseworker"]

    # The team sees who added whom, and when (the day).
    page = carol.get("/team").get_data(as_text=True)
    members = page.split('id="members"')[1].split("</table>")[0]
    assert "mallory" in members
    assert "carol" in members
    today = db.scalar(select(AuditEvent.occurred_at).order_by(AuditEvent.seq.desc()))
    assert today is not None
    assert today.date().isoformat() in members
    assert today.strftime("%H:%M") not in page
    changes = page.split('id="changes"')[1]
    assert "Added to the receiving team" in changes
    assert "mallory" in changes


def test_an_approver_cannot_add_an_account_they_created(
    console_app: Flask, db: Session, config: Config, staffed
) -> None:
    # Approvers cannot create accounts in the console today...
    assert not allows(Role.APPROVER, Permission.MANAGE_ACCOUNTS)
    carol_staff, carol = staffed["carol"]
    assert post(carol, "/admin/accounts", {"username": "puppet", "role": "caseworker"}) == 403
    # ...but the rule holds in the core whoever created the account.
    carol_id = carol_staff.account.caseworker_id
    puppet = accounts.add_caseworker(
        db, "puppet", Role.CASEWORKER, kdf=config.kdf, created_by=carol_id
    )
    db.commit()
    assert not in_team(db, puppet.caseworker_id)
    assert post(carol, f"/team/{puppet.caseworker_id}/add") == 403
    from redress.staff import team

    authenticator = Authenticator(carol_staff.account.totp_secret)
    authenticator.next_code()  # the step the fixture's sign-in spent
    identity = accounts.authenticate(db, "carol", NEW_PASSPHRASE, authenticator.next_code())
    with pytest.raises(team.OwnAccountError):
        team.add_member(db, identity, puppet.caseworker_id)
    db.rollback()
    assert not in_team(db, puppet.caseworker_id)
    assert [e for e in team_events(db) if e[2] == {"account": puppet.caseworker_id}] == []


def test_only_an_approver_in_the_team_changes_it(
    sign_in: Callable[..., SignedIn],
    intake: FlaskClient,
    db: Session,
    make_caseworker: Callable[..., Staff],
    staffed,
) -> None:
    _, admin = staffed["root"]
    _, holder = staffed["holder"]
    _, carol = staffed["carol"]
    create_in_console(admin, "newcomer", Role.CASEWORKER)
    newcomer_id = account_id(db, "newcomer")
    dan = make_caseworker("dan")
    dan_id = dan.account.caseworker_id
    # A caseworker in the team is not an approver; an auditor neither.
    assert post(holder, f"/team/{newcomer_id}/add") == 403
    assert post(holder, f"/team/{dan_id}/remove") == 403
    auditor = sign_in(make_caseworker("audrey", Role.AUDITOR)).client
    assert post(auditor, f"/team/{newcomer_id}/add") == 403
    assert auditor.get("/team").status_code == 403
    assert admin.get("/team").status_code == 403
    # An approver the operator created, then removed from the team, can change it no more.
    frank = make_caseworker("frank", Role.APPROVER)
    as_frank = sign_in(frank).client
    assert post(carol, f"/team/{frank.account.caseworker_id}/remove") == 302
    assert post(as_frank, f"/team/{newcomer_id}/add") == 403
    assert post(as_frank, f"/team/{dan_id}/remove") == 403
    # Nobody removes themselves (the last approver would leave nobody to add anyone).
    carol_id = account_id(db, "carol")
    assert post(carol, f"/team/{carol_id}/remove") == 409
    assert in_team(db, carol_id)
    # Only caseworkers and approvers join; an unknown account is not found.
    assert post(carol, f"/team/{account_id(db, 'root')}/add") == 409
    assert post(carol, f"/team/{'0' * 32}/add") == 404
    assert not in_team(db, newcomer_id)


def test_removing_a_member_stops_new_cases_reaching_them(
    sign_in: Callable[..., SignedIn],
    intake: FlaskClient,
    db: Session,
    make_caseworker: Callable[..., Staff],
    staffed,
) -> None:
    _, carol = staffed["carol"]
    dan = make_caseworker("dan")
    dan_id = dan.account.caseworker_id
    before = new_case(intake, db).id
    assert {case for case, _ in key_copies(db, dan_id)} == {before}

    assert post(carol, f"/team/{dan_id}/remove") == 302
    after = new_case(intake, db).id
    # The earlier case stays theirs (revoking a grant is a separate step); the new one is not.
    assert {case for case, _ in key_copies(db, dan_id)} == {before}
    as_dan = sign_in(dan).client
    assert case_ids(as_dan) == [before]
    assert as_dan.get(f"/cases/{after}").status_code == 404
    assert post(carol, f"/team/{dan_id}/remove") == 409

    carol_id = account_id(db, "carol")
    assert team_events(db)[-1] == ("team.member_removed", carol_id, {"account": dan_id})
    changes = carol.get("/team").get_data(as_text=True).split('id="changes"')[1]
    assert "Removed from the receiving team" in changes

    # Added back, they receive new cases again.
    assert post(carol, f"/team/{dan_id}/add") == 302
    again = new_case(intake, db).id
    assert {case for case, _ in key_copies(db, dan_id)} == {before, again}


def test_a_case_is_granted_only_to_members_of_the_team(
    console_app: Flask, intake: FlaskClient, db: Session, staffed
) -> None:
    """An account nobody added to the team receives no existing case through a grant either."""
    _, admin = staffed["root"]
    _, holder = staffed["holder"]
    create_in_console(admin, "mallory", Role.CASEWORKER)
    mallory_id = account_id(db, "mallory")
    case_id = new_case(intake, db).id
    page = holder.get(f"/cases/{case_id}").get_data(as_text=True)
    assert f'value="{mallory_id}"' not in page.split('name="grantee"')[1].split("</select>")[0]
    token = csrf_token(holder, f"/cases/{case_id}")
    refused = holder.post(
        f"/cases/{case_id}/access/grant", data={"csrf_token": token, "grantee": mallory_id}
    )
    assert refused.status_code == 409
    assert "receiving team" in refused.get_data(as_text=True)
    assert key_copies(db, mallory_id) == []


def test_a_console_account_waits_and_an_operator_account_joins(
    console_app: Flask, db: Session, staffed
) -> None:
    _, admin = staffed["root"]
    create_in_console(admin, "waiting", Role.CASEWORKER)
    db.expire_all()
    waiting = db.scalar(select(Caseworker).where(Caseworker.username == "waiting"))
    assert waiting is not None
    assert waiting.created_by == account_id(db, "root")
    assert not in_team(db, waiting.id)
    holder = db.scalar(select(Caseworker).where(Caseworker.username == "holder"))
    assert holder is not None
    assert holder.created_by is None
    assert in_team(db, holder.id)
    # Administrators and auditors never join, even when the operator creates them.
    assert not in_team(db, account_id(db, "root"))
    listing = admin.get("/admin/accounts").get_data(as_text=True)
    row = listing.split("<td>waiting</td>")[1].split("</tr>")[0]
    assert "waiting for an approver" in row
    created = create_in_console(admin, "another", Role.APPROVER)
    assert created.account.username == "another"


def test_first_sign_in_of_a_waiting_account_lands_on_an_empty_case_list(
    console_app: Flask, staffed
) -> None:
    _, admin = staffed["root"]
    waiting = create_in_console(admin, "waiting", Role.CASEWORKER)
    client = console_app.test_client()
    code = Authenticator(waiting.account.totp_secret).next_code()
    assert console_login(client, "waiting", waiting.passphrase, code).status_code == 302
    assert change_passphrase(client, waiting.passphrase, NEW_PASSPHRASE).headers["Location"] == "/"
    assert "not yet in the receiving team" in client.get("/").get_data(as_text=True)


# The upgrade: instances that existed before the receiving team keep sending cases to the same
# accounts.


@pytest.fixture(params=ENGINES)
def database_before_team(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database migrated only to 0003, the schema before the receiving team."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'redress.sqlite3'}"
        upgrade(url, "0003")
        yield url
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    name = f"redress_{secrets.token_hex(6)}"
    url = fresh_database(admin_url, name)
    upgrade(url, "0003")
    yield url
    drop_database(admin_url, name)


def _old_account(connection: sa.Connection, name: str, role: str, active: bool = True) -> str:
    account = secrets.token_hex(16)
    connection.execute(
        sa.text(
            "INSERT INTO caseworkers (id, username, role, password_hash, public_key, "
            "wrapped_private_key, sealed_totp_secret, totp_last_step, must_change_password, "
            "active, failed_logins, created_at) VALUES (:id, :name, :role, 'hash', :key, :key, "
            ":key, 0, :false, :active, 0, :at)"
        ),
        {
            "id": account,
            "name": name,
            "role": role,
            "key": bytes(32),
            "false": False,
            "active": active,
            "at": datetime(2024, 1, 2, 3, 4, 5),
        },
    )
    return account


def test_the_upgrade_puts_the_accounts_receiving_cases_in_the_team(
    database_before_team: str,
) -> None:
    from redress.staff import team
    from redress.store.models import ReceivingTeamMember

    database = Database(database_before_team)
    try:
        with database.engine.begin() as connection:
            ids = {
                name: _old_account(connection, name, role, active)
                for name, role, active in (
                    ("worker", "caseworker", True),
                    ("approver", "approver", True),
                    ("gone", "caseworker", False),
                    ("admin", "administrator", True),
                    ("auditor", "auditor", True),
                    ("made", "caseworker", True),
                )
            }
            # The audit log names the administrator who created "made" in the console.
            detail = json.dumps({"account": ids["made"], "role": "caseworker"})
            connection.execute(
                sa.text(
                    "INSERT INTO audit_events (seq, occurred_at, actor, caseworker_id, action, "
                    "detail, previous_hash, hash) VALUES (1, :at, 'caseworker', :admin, "
                    "'account.created', :detail, :hash, :hash)"
                ),
                {
                    "at": datetime(2024, 1, 2),
                    "admin": ids["admin"],
                    "detail": detail,
                    "hash": bytes(32),
                },
            )
        upgrade(database_before_team)
        with database.session() as db:
            members = {
                worker.username: (added_by, added_on)
                for worker, added_by, added_on in db.execute(
                    select(
                        Caseworker, ReceivingTeamMember.added_by, ReceivingTeamMember.added_on
                    ).join(ReceivingTeamMember, ReceivingTeamMember.caseworker_id == Caseworker.id)
                )
            }
            # Every account that received new cases before the upgrade still does.
            assert set(members) == {"worker", "approver", "made"}
            assert {added_by for added_by, _ in members.values()} == {None}
            creators = dict(db.execute(select(Caseworker.username, Caseworker.created_by)).all())
            assert creators == dict.fromkeys(ids, None) | {"made": ids["admin"]}
            assert {worker.username for worker in team.receiving(db, Role.CASEWORKER)} == {
                "worker",
                "made",
            }
        # And back: the downgrade drops the table and the column.
        command.downgrade(alembic_config(database.engine), "0003")
        with database.engine.connect() as connection:
            tables = sa.inspect(connection).get_table_names()
            columns = {c["name"] for c in sa.inspect(connection).get_columns("caseworkers")}
        assert "receiving_team_members" not in tables
        assert "created_by" not in columns
    finally:
        database.dispose()


def test_the_operator_s_command_line_accounts_join_the_team_directly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`redress caseworker add` (shell access: the database is readable anyway) joins at once;
    administrators and auditors never join."""
    from redress.platform.cli import main
    from redress.staff import team
    from redress.store.config import load_config

    path = str(tmp_path / "instance")
    assert main(["--instance", path, "init", "--threshold", "2", "--shares", "3"]) == 0
    for name, role in (("lee", "caseworker"), ("ann", "approver"), ("adm", "administrator")):
        assert main(["--instance", path, "caseworker", "add", name, "--role", role]) == 0
    capsys.readouterr()
    database = Database(load_config(Path(path), environ={}).database_url)
    try:
        with database.session() as db:
            assert [w.username for w in team.receiving(db, Role.CASEWORKER)] == ["lee"]
            assert [w.username for w in team.receiving(db, Role.APPROVER)] == ["ann"]
            assert {m.username: m.added_by for m in team.members(db)} == {"lee": None, "ann": None}
            assert len(team_events(db)) == 2
    finally:
        database.dispose()
