"""The schema comes from the migrations alone, and they match the tables the code uses."""
from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from engine.persistence import schema
from engine.persistence.db import make_engine
from engine.persistence.tables import Base


def test_migrated_schema_matches_the_models(database_url):
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
        assert differences == []
        assert not schema.pending(engine)
    finally:
        engine.dispose()


def test_downgrade_and_upgrade_round_trip(database_url):
    command.downgrade(schema.alembic_config(database_url), "base")
    engine = create_engine(database_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    schema.upgrade(database_url)
    engine = make_engine(database_url)
    try:
        assert not schema.pending(engine)
    finally:
        engine.dispose()
