"""Case workflows: attachments, yearly area targets, device-fitting steps, stage dates, and
follow-ups that a closed case (not a visit) put on the list.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SYNC_COLUMNS = (
    ("id", sa.Uuid()),
    ("created_at", sa.DateTime()),
    ("updated_at", sa.DateTime()),
    ("row_version", sa.Integer()),
    ("origin_device", sa.String(length=36)),
)


def _sync_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column(name, type_, nullable=False) for name, type_ in SYNC_COLUMNS]


def upgrade() -> None:
    op.create_table(
        "attachment",
        sa.Column("case_type", sa.String(length=20), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("added_on", sa.Date(), nullable=False),
        sa.Column("added_by", sa.String(length=50), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("removed", sa.Boolean(), nullable=False),
        *_sync_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment")),
    )
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.create_index("ix_attachment_case", ["case_type", "case_id"], unique=False)

    op.create_table(
        "area_target",
        sa.Column("area_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("target", sa.Integer(), nullable=False),
        *_sync_columns(),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"], name=op.f("fk_area_target_area_id_area")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_area_target")),
        sa.UniqueConstraint("area_id", "year", "kind", name=op.f("uq_area_target_area_id")),
    )

    with op.batch_alter_table("modification_case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assessed_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("plan_confirmed_on", sa.Date(), nullable=True))

    with op.batch_alter_table("rehab_referral", schema=None) as batch_op:
        batch_op.add_column(sa.Column("device_step", sa.String(length=24), nullable=True))

    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.alter_column("visit_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.add_column(sa.Column("case_type", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("case_id", sa.Uuid(), nullable=True))

    # device-fitting referrals written before this revision: their step follows their state
    op.execute(
        "UPDATE rehab_referral SET device_step = CASE state"
        " WHEN 'referred' THEN 'applied' WHEN 'accepted' THEN 'approved'"
        " WHEN 'in_service' THEN 'approved' WHEN 'completed' THEN 'fitted'"
        " WHEN 'not_completed' THEN 'approved' ELSE 'applied' END"
        " WHERE service_kind = 'device_fitting'"
    )
    # dates of the stages already passed, from the case timeline
    for column, stage in (("assessed_on", "assessed"), ("plan_confirmed_on", "plan_confirmed")):
        op.execute(
            f"UPDATE modification_case SET {column} = (SELECT max(on_date) FROM case_event"
            " WHERE case_event.case_type = 'modification' AND case_event.case_id = modification_case.id"
            f" AND case_event.to_state = '{stage}')"
        )


def downgrade() -> None:
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.drop_column("case_id")
        batch_op.drop_column("case_type")
        batch_op.alter_column("visit_id", existing_type=sa.Uuid(), nullable=False)
    with op.batch_alter_table("rehab_referral", schema=None) as batch_op:
        batch_op.drop_column("device_step")
    with op.batch_alter_table("modification_case", schema=None) as batch_op:
        batch_op.drop_column("plan_confirmed_on")
        batch_op.drop_column("assessed_on")
    op.drop_table("area_target")
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_index("ix_attachment_case")
    op.drop_table("attachment")
