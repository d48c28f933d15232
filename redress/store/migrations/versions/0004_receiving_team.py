"""receiving team

New cases are sealed only to the members of the receiving team, whom an approver in the team adds.
So that an existing instance behaves as before, the accounts that received new cases until now
(active caseworkers and approvers) are put in the team, added by nobody (`added_by` NULL), on the
day of the upgrade. `caseworkers.created_by` is filled in from the audit log's `account.created`
events that name an administrator and the new account.

Revision ID: 0004_receiving_team
Revises: 0003
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0004_receiving_team"
down_revision = "0003"
branch_labels = None
depends_on = None


def _fill_created_by(connection: sa.Connection) -> None:
    events = connection.execute(
        sa.text(
            "SELECT caseworker_id, detail FROM audit_events "
            "WHERE action = 'account.created' AND actor = 'caseworker'"
        )
    ).all()
    for creator, detail in events:
        account = json.loads(detail).get("account")
        if account and creator:
            connection.execute(
                sa.text("UPDATE caseworkers SET created_by = :creator WHERE id = :account"),
                {"creator": creator, "account": account},
            )


def _fill_team(connection: sa.Connection) -> None:
    today = datetime.now(UTC).date()
    receiving = (
        connection.execute(
            sa.text(
                "SELECT id FROM caseworkers "
                "WHERE active = :active AND role IN ('caseworker', 'approver') ORDER BY username"
            ),
            {"active": True},
        )
        .scalars()
        .all()
    )
    for caseworker_id in receiving:
        connection.execute(
            sa.text(
                "INSERT INTO receiving_team_members (id, caseworker_id, added_by, added_on) "
                "VALUES (:id, :caseworker_id, NULL, :added_on)"
            ),
            {"id": uuid.uuid4().hex, "caseworker_id": caseworker_id, "added_on": today},
        )


def upgrade() -> None:
    op.create_table(
        "receiving_team_members",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("caseworker_id", sa.String(length=32), nullable=False),
        sa.Column("added_by", sa.String(length=32), nullable=True),
        sa.Column("added_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by"],
            ["caseworkers.id"],
            name=op.f("fk_receiving_team_members_added_by_caseworkers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["caseworker_id"],
            ["caseworkers.id"],
            name=op.f("fk_receiving_team_members_caseworker_id_caseworkers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receiving_team_members")),
        sa.UniqueConstraint("caseworker_id", name=op.f("uq_receiving_team_members_caseworker_id")),
    )
    # No foreign key (see the model): adding one in SQLite means rebuilding `caseworkers`.
    op.add_column("caseworkers", sa.Column("created_by", sa.String(length=32), nullable=True))
    connection = op.get_bind()
    _fill_created_by(connection)
    _fill_team(connection)


def downgrade() -> None:
    op.drop_column("caseworkers", "created_by")
    op.drop_table("receiving_team_members")
