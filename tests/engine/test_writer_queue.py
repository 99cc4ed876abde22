"""SQLite writers of one process take turns in the order they came (engine/persistence/
db.py), instead of sleeping in SQLite's busy handler and waking in no order."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from engine.persistence.db import WriterQueue


def test_waiting_writers_get_the_lock_in_the_order_they_asked():
    queue, order = WriterQueue(), []

    def write(number):
        with queue:
            order.append(number)

    threads = []
    with queue:  # held: every writer below has to wait
        for number in range(8):
            thread = threading.Thread(target=write, args=(number,))
            thread.start()
            threads.append(thread)
            while len(queue._waiting) < number + 1:  # it is in the queue before the next comes
                pass
    for thread in threads:
        thread.join(timeout=10)
    assert order == list(range(8))


def test_threads_writing_to_sqlite_at_once_all_commit(ctx):
    if ctx.db.dialect != "sqlite":
        pytest.skip("PostgreSQL writers lock rows, not the database: no queue in between")
    with ctx.db.write() as s:
        s.execute(text("CREATE TABLE tally (n INTEGER)"))

    def add(number):
        for _ in range(20):
            with ctx.db.write() as s:
                s.execute(text("INSERT INTO tally VALUES (:n)"), {"n": number})

    threads = [threading.Thread(target=add, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with ctx.db.read() as s:
        assert s.execute(text("SELECT count(*) FROM tally")).scalar_one() == 160
