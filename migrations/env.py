"""Alembic environment: migrates the connection db.migrate() hands over, or DATABASE_URL."""

from __future__ import annotations

import os

from alembic import context

import models
from models.base import UTCDateTime

target_metadata = models.Base.metadata


def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    # Our UTCDateTime is a Python-side wrapper; the database column is a plain timestamp.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure_and_run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _configure_and_run(connection)
else:
    from config import _database_url
    from db import make_engine

    engine = make_engine(_database_url(os.environ.get("DATABASE_URL")))
    with engine.begin() as conn:
        _configure_and_run(conn)
