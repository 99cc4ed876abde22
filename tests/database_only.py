"""pytest plugin for the PostgreSQL pass of scripts/test: with `--database-only`, only the
tests that use the test database run (those that need the `database_url` fixture, directly
or through `ctx`, `settings`, `live_server` and the like), wherever they are. A new
database-backed test joins that pass without a list to update; the rest runs only once.

    python -m pytest -p tests.database_only --database-only
"""
from __future__ import annotations

DATABASE_FIXTURES = {"database_url", "migrated_database", "pg_admin_url"}


def pytest_addoption(parser):
    parser.addoption("--database-only", action="store_true", default=False,
                     help="run only the tests that use the test database (LKJ_TEST_DB)")


def pytest_collection_modifyitems(config, items):
    if not config.getoption("--database-only"):
        return
    keep, drop = [], []
    for item in items:
        uses_database = DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
        (keep if uses_database else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
    items[:] = keep
