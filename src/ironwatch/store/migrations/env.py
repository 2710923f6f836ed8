"""Alembic environment: runs on the connection ironwatch hands it (see ironwatch.store.migrate)."""

from __future__ import annotations

from alembic import context

from ironwatch.store.tables import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `ironwatch db upgrade`, which provides the connection")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
