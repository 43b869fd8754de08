"""Protection: passwords and lockout on accounts, and the hash chain of the audit trail.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# The chain must hash exactly as the running program verifies it, so the function is imported
# rather than copied: were the hash ever changed, the change would come with its own migration
# that re-chains the trail, and this step would hash with the new function consistently.
# The services module imports only models and plain Python, nothing that needs a workspace.
from liaison.core.services.audit import GENESIS_HASH, HASHED_FIELDS, event_hash

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        # scrypt parameters, salt and hash in one self-describing string; None = cannot log in
        batch_op.add_column(sa.Column("password_hash", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_login_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    # the chain's newest link: removing events at the end (or all of them) shows here
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    _chain_existing_events()


# the audit_event columns as of 0005, typed so that values read back as the program sees them
_events = sa.table(
    "audit_event",
    sa.column("seq", sa.Integer()),
    sa.column("id", sa.Uuid()),
    sa.column("at", sa.DateTime()),
    sa.column("user_id", sa.Uuid()),
    sa.column("username", sa.String()),
    sa.column("device_id", sa.String()),
    sa.column("entity", sa.String()),
    sa.column("entity_id", sa.Uuid()),
    sa.column("action", sa.String()),
    sa.column("changes", sa.JSON()),
    sa.column("reason", sa.String()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)
_head = sa.table(
    "audit_head",
    sa.column("id", sa.Integer()),
    sa.column("last_seq", sa.Integer()),
    sa.column("last_hash", sa.String()),
    sa.column("count", sa.Integer()),
)


def _chain_existing_events(batch: int = 5000) -> None:
    """Chain the events already recorded, in seq order, and write the head row, so that an
    upgraded database verifies. Their seq numbers are kept as they are (a PostgreSQL sequence
    may have left gaps): the links carry the order from here on."""
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(*(_events.c[name] for name in HASHED_FIELDS)).order_by(_events.c.seq)
    ).mappings().all()
    prev_hash, last_seq, updates = GENESIS_HASH, 0, []
    for row in rows:
        digest = event_hash(prev_hash, row)
        updates.append({"b_seq": row["seq"], "prev_hash": prev_hash, "hash": digest})
        prev_hash, last_seq = digest, row["seq"]
    update = _events.update().where(_events.c.seq == sa.bindparam("b_seq"))
    for start in range(0, len(updates), batch):
        conn.execute(update, updates[start:start + batch])
    conn.execute(_head.insert().values(id=1, last_seq=last_seq, last_hash=prev_hash, count=len(rows)))


def downgrade() -> None:
    op.drop_table("audit_head")
    # plain DROP COLUMN (SQLite 3.35+): a batch copy of app_user would trip the foreign key
    # from user_area while foreign keys are enforced
    for column in ("hash", "prev_hash"):
        op.drop_column("audit_event", column)
    for column in ("last_login_at", "locked_until", "failed_logins", "password_hash"):
        op.drop_column("app_user", column)
