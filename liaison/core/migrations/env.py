"""Alembic environment: runs on the connection the program hands over (see core/db.py)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from liaison.core.models import Base

target_metadata = Base.metadata


def run_migrations(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite can only ALTER TABLE by copying it
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    # command-line alembic (developers): the URL comes from the config
    engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        run_migrations(conn)
