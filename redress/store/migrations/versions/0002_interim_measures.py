"""interim measures

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _by(column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        ["caseworkers.id"],
        name=op.f(f"fk_interim_measures_{column}_caseworkers"),
        ondelete="SET NULL",
    )


def upgrade() -> None:
    op.create_table(
        "interim_measures",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "proposed",
                "in_force",
                "rejected",
                "lifted",
                name="measurestate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("review_on", sa.Date(), nullable=False),
        sa.Column("proposed_by", sa.String(length=32), nullable=True),
        sa.Column("decided_by", sa.String(length=32), nullable=True),
        sa.Column("lifted_by", sa.String(length=32), nullable=True),
        sa.Column("proposed_on", sa.Date(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("lifted_on", sa.Date(), nullable=True),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("encrypted_reviews", sa.LargeBinary(), nullable=True),
        sa.Column("review_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_interim_measures_case_id_cases"),
            ondelete="CASCADE",
        ),
        _by("proposed_by"),
        _by("decided_by"),
        _by("lifted_by"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interim_measures")),
    )
    with op.batch_alter_table("interim_measures", schema=None) as batch_op:
        batch_op.create_index(
            "ix_interim_measures_review", ["case_id", "state", "review_on"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("interim_measures", schema=None) as batch_op:
        batch_op.drop_index("ix_interim_measures_review")

    op.drop_table("interim_measures")
