"""The schema comes from the migrations alone, and they match the tables the code uses."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from engine.store import migrate
from engine.store.db import make_engine
from engine.store.models import Base


def test_migrated_schema_matches_the_models(database_url):
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
        assert differences == []
        assert not migrate.pending(engine)
    finally:
        engine.dispose()


def test_downgrade_and_upgrade_round_trip(database_url):
    migrate.command.downgrade(migrate.alembic_config(database_url), "base")
    engine = create_engine(database_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    try:
        assert not migrate.pending(engine)
    finally:
        engine.dispose()
