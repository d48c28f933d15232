"""reporter timing: a reporter audit chain of its own; day-precision purge dates

Reporter events move out of the staff audit chain, where their place between exact-time staff
entries dated them, into a chain of their own with the day only. The staff chain is renumbered
and re-linked without them, but only if it verifies intact: re-linking a broken chain would hide
the break, so a broken chain is left as it is (with its reporter entries) and a warning is logged.

Session records and form tokens lose their clear expiry times (the exact expiry now lives in their
encrypted payload) for a day-precision ``purge_after``. Existing rows are deleted: everyone signed
in signs in again, and a form sent in the minutes around the upgrade may be stored twice.

The chain encodings are written out here rather than imported, so this revision keeps meaning
what it meant when later code changes (docs/crypto-format.md §13).

Revision ID: 0005
Revises: 0004_receiving_team
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
# Another revision 0004 is being written in parallel; the chain is joined when both are merged.
down_revision = "0004_receiving_team"
branch_labels = None
depends_on = None

GENESIS = bytes(32)
STAFF_DOMAIN = b"redress-audit-v1"
REPORTER_DOMAIN = b"redress-reporter-audit-v1"
REPORTER = "reporter"

log = logging.getLogger("alembic.runtime.migration")

staff_events = sa.table(
    "audit_events",
    sa.column("seq", sa.Integer),
    sa.column("occurred_at", sa.DateTime),
    sa.column("actor", sa.String),
    sa.column("caseworker_id", sa.String),
    sa.column("case_id", sa.String),
    sa.column("action", sa.String),
    sa.column("detail", sa.Text),
    sa.column("previous_hash", sa.LargeBinary),
    sa.column("hash", sa.LargeBinary),
)
reporter_events = sa.table(
    "reporter_audit_events",
    sa.column("seq", sa.Integer),
    sa.column("occurred_on", sa.Date),
    sa.column("case_id", sa.String),
    sa.column("action", sa.String),
    sa.column("detail", sa.Text),
    sa.column("previous_hash", sa.LargeBinary),
    sa.column("hash", sa.LargeBinary),
)
staff_head = sa.table(
    "audit_head", sa.column("id", sa.Integer), sa.column("seq", sa.Integer),
    sa.column("last_hash", sa.LargeBinary),
)  # fmt: skip
reporter_head = sa.table(
    "reporter_audit_head", sa.column("id", sa.Integer), sa.column("seq", sa.Integer),
    sa.column("last_hash", sa.LargeBinary),
)  # fmt: skip


def _digest(data: bytes, domain: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32, key=domain).digest()


def _json(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def _staff_hash(previous: bytes, event: dict[str, Any]) -> bytes:
    fields = {
        "seq": event["seq"],
        "occurred_at": event["occurred_at"].isoformat(),
        "actor": event["actor"],
        "caseworker_id": event["caseworker_id"],
        "case_id": event["case_id"],
        "action": event["action"],
        "detail": event["detail"],
    }
    return _digest(previous + _json(fields), STAFF_DOMAIN)


def _reporter_hash(previous: bytes, event: dict[str, Any]) -> bytes:
    fields = {
        "seq": event["seq"],
        "occurred_on": event["occurred_on"].isoformat(),
        "case_id": event["case_id"],
        "action": event["action"],
        "detail": event["detail"],
    }
    return _digest(previous + _json(fields), REPORTER_DOMAIN)


def _intact(events: Sequence[dict[str, Any]], head: Any, chain_hash: Any) -> bool:
    previous = GENESIS
    for expected, event in enumerate(events, start=1):
        if event["seq"] != expected or event["previous_hash"] != previous:
            return False
        if chain_hash(previous, event) != event["hash"]:
            return False
        previous = event["hash"]
    if head is None:
        return not events
    return bool(head.seq == len(events) and head.last_hash == previous)


def _relinked(events: Sequence[dict[str, Any]], chain_hash: Any) -> list[dict[str, Any]]:
    """The events renumbered from 1 and chained again, in the order given."""
    previous = GENESIS
    linked = []
    for seq, event in enumerate(events, start=1):
        row = {**event, "seq": seq, "previous_hash": previous}
        row["hash"] = chain_hash(previous, row)
        linked.append(row)
        previous = row["hash"]
    return linked


def _rewrite(table: Any, head: Any, rows: list[dict[str, Any]]) -> None:
    bind = op.get_bind()
    bind.execute(sa.delete(table))
    bind.execute(sa.delete(head))
    if rows:
        bind.execute(sa.insert(table), rows)
        bind.execute(sa.insert(head), [{"id": 1, "seq": len(rows), "last_hash": rows[-1]["hash"]}])


def _read(table: Any, head: Any) -> tuple[list[dict[str, Any]], Any]:
    bind = op.get_bind()
    events = [dict(row) for row in bind.execute(sa.select(table).order_by(table.c.seq)).mappings()]
    return events, bind.execute(sa.select(head).where(head.c.id == 1)).first()


def _move_reporter_events() -> None:
    events, head = _read(staff_events, staff_head)
    reporters = [event for event in events if event["actor"] == REPORTER]
    if not reporters:
        return
    if not _intact(events, head, _staff_hash):
        log.warning(
            "The staff audit chain does not verify: its %d reporter entries stay where they are "
            "(re-linking it would hide the break). Run `redress audit verify`.",
            len(reporters),
        )
        return
    moved = [
        {
            "occurred_on": event["occurred_at"].date(),
            "case_id": event["case_id"],
            "action": event["action"],
            "detail": event["detail"],
        }
        for event in reporters
    ]
    staff = [event for event in events if event["actor"] != REPORTER]
    _rewrite(reporter_events, reporter_head, _relinked(moved, _reporter_hash))
    _rewrite(staff_events, staff_head, _relinked(staff, _staff_hash))


def upgrade() -> None:
    op.create_table(
        "reporter_audit_events",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("previous_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_reporter_audit_events")),
    )
    with op.batch_alter_table("reporter_audit_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reporter_audit_events_case_id"), ["case_id"], unique=False
        )
    op.create_table(
        "reporter_audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reporter_audit_head")),
    )
    _move_reporter_events()

    op.execute(sa.text("DELETE FROM session_records"))
    with op.batch_alter_table("session_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_records_idle_expires_at"))
        batch_op.drop_column("idle_expires_at")
        batch_op.drop_column("absolute_expires_at")
        batch_op.add_column(sa.Column("purge_after", sa.Date(), nullable=False))
        batch_op.create_index(
            batch_op.f("ix_session_records_purge_after"), ["purge_after"], unique=False
        )

    op.execute(sa.text("DELETE FROM submission_tokens"))
    with op.batch_alter_table("submission_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submission_tokens_expires_at"))
        batch_op.drop_column("expires_at")
        batch_op.add_column(sa.Column("purge_after", sa.Date(), nullable=False))
        batch_op.create_index(
            batch_op.f("ix_submission_tokens_purge_after"), ["purge_after"], unique=False
        )


def _merge_reporter_events() -> None:
    """Put reporter events back into the staff chain at the start of their day."""
    moved, moved_head = _read(reporter_events, reporter_head)
    if not moved:
        return
    staff, head = _read(staff_events, staff_head)
    if not (_intact(staff, head, _staff_hash) and _intact(moved, moved_head, _reporter_hash)):
        raise RuntimeError(
            "an audit chain does not verify: refusing to merge and re-link them "
            "(run `redress audit verify`)"
        )
    merged: list[tuple[datetime, int, int, dict[str, Any]]] = []
    for event in moved:
        day: date = event["occurred_on"]
        row = {
            "occurred_at": datetime(day.year, day.month, day.day),
            "actor": REPORTER,
            "caseworker_id": None,
            "case_id": event["case_id"],
            "action": event["action"],
            "detail": event["detail"],
        }
        merged.append((row["occurred_at"], 0, event["seq"], row))
    for event in staff:
        merged.append((event["occurred_at"], 1, event["seq"], event))
    merged.sort(key=lambda item: item[:3])
    _rewrite(staff_events, staff_head, _relinked([item[3] for item in merged], _staff_hash))


def downgrade() -> None:
    _merge_reporter_events()

    op.execute(sa.text("DELETE FROM submission_tokens"))
    with op.batch_alter_table("submission_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submission_tokens_purge_after"))
        batch_op.drop_column("purge_after")
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(), nullable=False))
        batch_op.create_index(
            batch_op.f("ix_submission_tokens_expires_at"), ["expires_at"], unique=False
        )

    op.execute(sa.text("DELETE FROM session_records"))
    with op.batch_alter_table("session_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_records_purge_after"))
        batch_op.drop_column("purge_after")
        batch_op.add_column(sa.Column("idle_expires_at", sa.DateTime(), nullable=False))
        batch_op.add_column(sa.Column("absolute_expires_at", sa.DateTime(), nullable=False))
        batch_op.create_index(
            batch_op.f("ix_session_records_idle_expires_at"), ["idle_expires_at"], unique=False
        )

    op.drop_table("reporter_audit_head")
    with op.batch_alter_table("reporter_audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reporter_audit_events_case_id"))
    op.drop_table("reporter_audit_events")
