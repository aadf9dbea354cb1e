"""Alembic environment: runs on the connection ``store.engine.upgrade`` hands over."""

from alembic import context
from sqlalchemy import engine_from_config, pool

from store.schema import metadata
from store.partitions import include_name

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    engine = engine_from_config(config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.",
                                poolclass=pool.NullPool)
    with engine.begin() as conn:
        _migrate(conn)


def _migrate(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters via table copies
        compare_type=True,
        include_name=include_name,  # monthly partitions are made by store.partitions, not declared
    )
    with context.begin_transaction():
        context.run_migrations()


run()
