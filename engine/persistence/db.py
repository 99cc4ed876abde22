"""Database connections and the unit of work: one transaction per engine command.

SQLite (the embedded default) runs in WAL mode with `synchronous=NORMAL`: a committed
transaction survives a crash of the process, and at worst the last transactions are lost
on power failure. Writing transactions start with `BEGIN IMMEDIATE` so two writers queue
on the database lock instead of failing when a read lock is upgraded. Within one process
writers also queue, first come first served, on a lock of their own before `BEGIN
IMMEDIATE` (`WriterQueue`): SQLite's busy handler would make them sleep in growing steps of
up to 100 ms and wake in no order. Between processes the busy handler is what is left.
PostgreSQL serialises writers of one instance with `SELECT ... FOR UPDATE`.
"""
from __future__ import annotations

import threading
from collections import deque
from contextlib import contextmanager, nullcontext

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import sessionmaker


def normalise_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here (the driver the project installs)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, *, immediate: bool = True) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _configure(dbapi_connection, _record):
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection):
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


class WriterQueue:
    """A lock that its waiters get in the order they asked for it."""

    def __init__(self):
        self._lock = threading.Lock()
        self._waiting: deque[threading.Lock] = deque()
        self._held = False

    def __enter__(self):
        with self._lock:
            if not self._held:
                self._held = True
                return self
            turn = threading.Lock()
            turn.acquire()
            self._waiting.append(turn)
        turn.acquire()  # released by the writer before us, which hands the lock over
        return self

    def __exit__(self, *exc):
        with self._lock:
            if self._waiting:
                self._waiting.popleft().release()
            else:
                self._held = False


class Database:
    """Holds the engines and hands out units of work."""

    def __init__(self, url: str):
        self.url = normalise_url(url)
        self.engine = make_engine(self.url)
        # SQLite readers need no write lock; elsewhere one engine serves both.
        self.read_engine = make_engine(self.url, immediate=False) if is_sqlite(self.engine) \
            else self.engine
        self._writer = sessionmaker(self.engine, expire_on_commit=False)
        self._writers = WriterQueue() if is_sqlite(self.engine) else None
        self._reader = sessionmaker(self.read_engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def write(self):
        """A transaction that commits when the block ends and rolls back on any error."""
        with self._writers or nullcontext(), self._writer() as session, session.begin():
            yield session

    @contextmanager
    def read(self):
        with self._reader() as session, session.begin():
            yield session

    def connections_in_use(self) -> int:
        """Connections of this process's pools checked out now."""
        pools = {self.engine.pool, self.read_engine.pool}
        return sum(pool.checkedout() for pool in pools if hasattr(pool, "checkedout"))

    def lock_clause(self, statement, of=None):
        """Row lock (on the rows of `of`) for writers; SQLite's database lock (BEGIN
        IMMEDIATE) already serialises them."""
        return statement if is_sqlite(self.engine) else statement.with_for_update(of=of)

    def dispose(self):
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()
