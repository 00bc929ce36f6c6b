"""Alembic environment for benchgen; run it through `benchgen.db.upgrade`, which passes the connection in."""

from alembic import context
from sqlalchemy import create_engine, pool
from sqlmodel import SQLModel

import benchgen.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from benchgen.models import PydanticJSON

target_metadata = SQLModel.metadata


def render_item(type_: str, obj: object, autogen_context) -> str | bool:
    """Render typed JSON columns as plain JSON (JSONB on PostgreSQL) so migrations never import benchgen."""
    if type_ == "type" and isinstance(obj, PydanticJSON):
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return 'sa.JSON().with_variant(postgresql.JSONB(), "postgresql")'
    return False


def run_migrations(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=render_item,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    engine = create_engine(context.config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as new_connection:
        run_migrations(new_connection)
