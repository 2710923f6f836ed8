"""events: host and user indexes on lower(...) as searches compare them; value indexes partial

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-22 23:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

#: (index, indexed expression, the column that must be present)
_INDEXES = (
    ("ix_events_host_time", "lower(host)", "host"),
    ("ix_events_user_time", "lower(user_name)", "user_name"),
    ("ix_events_source_ip_time", "source_ip", "source_ip"),
    ("ix_events_destination_ip_time", "destination_ip", "destination_ip"),
)


def upgrade() -> None:
    for name, expression, column in _INDEXES:
        op.drop_index(name, table_name="events")
        condition = sa.text(f"{column} IS NOT NULL")
        op.create_index(
            name,
            "events",
            [sa.text(expression), "event_time"],
            unique=False,
            sqlite_where=condition,
            postgresql_where=condition,
        )


def downgrade() -> None:
    for name, _expression, column in _INDEXES:
        op.drop_index(name, table_name="events")
        op.create_index(name, "events", [column, "event_time"], unique=False)
