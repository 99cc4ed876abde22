"""Part 3, queue scale: one role's task list with 1,000 and with 100,000 running instances.

Each size has its own database. The instances are seeded in bulk SQL (multi-row INSERTs into
process_instance and task), each with one open user task of bench/diagrams/bench_chain.bpmn;
the open tasks are spread round-robin over the diagram's three roles (staf, kepala_subbagian,
kepala_bagian), so the measured role, staf, has a third of them in its queue; one in ten is
claimed by another user.
`state_json` is a small placeholder: the queue query never loads a workflow.

Measured in-process, on SQLite (and on PostgreSQL when it answers):
`usecases.list_tasks(ctx, actor, limit=50)` for an actor with the role staf, median of CALLS
calls after WARMUP, alternating between the sizes' databases (so a change of load on a shared
machine weighs on both sizes alike); the same with `role="staf", state="ready"` (what the HTTP
clients of part 4 ask); and with `count="exact"` (the default `total` stops counting at
usecases.TASK_COUNT_CAP, an exact one reads the whole queue). Each SQL statement is timed at
the cursor, so the page query and the `total` count are reported apart, and the query plans
are recorded (EXPLAIN QUERY PLAN / EXPLAIN).
"""
from __future__ import annotations

import statistics
import uuid
from contextlib import ExitStack, closing
from datetime import datetime, timedelta, timezone

from sqlalchemy import event, insert, select, text

from bench.common import (
    ADMIN,
    BENCH_DIAGRAMS,
    BENCH_FORMS,
    context,
    fresh_postgres,
    ms,
    now,
    postgres_reason,
    ratio,
    read_folder,
    sqlite_url,
    summary,
    worker,
)
from engine import usecases
from engine.persistence.tables import ProcessDefinition, ProcessInstance, Task
from engine.workflow import runtime

ROLES = (("draft", "Menyusun konsep", "staf"),
         ("check", "Memeriksa konsep", "kepala_subbagian"),
         ("approve", "Menyetujui konsep", "kepala_bagian"))
STAF = worker("bench_staf_1", "staf")
BATCH = 5000
CALLS, WARMUP = 50, 5


def seed(ctx, count: int) -> None:
    """`count` running instances of bench_chain, each with one open task."""
    with ctx.db.read() as s:
        definition_id = s.scalar(select(ProcessDefinition.id)
                                 .where(ProcessDefinition.key == "bench_chain"))
    base = datetime(2025, 1, 6, 8, 0, tzinfo=timezone.utc)
    placeholder = '{"placeholder": "never loaded by list_tasks"}'
    for offset in range(0, count, BATCH):
        instances, tasks = [], []
        for i in range(offset, min(offset + BATCH, count)):
            instance_id = str(uuid.uuid4())
            created = base + timedelta(seconds=37 * i)
            element, name, role = ROLES[i % 3]
            claimed = i % 10 == 9
            instances.append(dict(id=instance_id, definition_id=definition_id, status="running",
                                  version=1, state_json=placeholder,
                                  state_format=runtime.STATE_FORMAT, started_at=created,
                                  started_by="seed"))
            tasks.append(dict(id=str(uuid.uuid4()), process_instance_id=instance_id,
                              definition_key="bench_chain", process_id="rounds_of_review",
                              element_id=element, name=name, role=role,
                              assignee="someone_else" if claimed else None,
                              state="claimed" if claimed else "ready", form_key="bench_step",
                              created_at=created, due_at=created + timedelta(hours=(i * 7) % 96),
                              claimed_at=created if claimed else None, version=1))
        with ctx.db.write() as s:
            s.execute(insert(ProcessInstance), instances)
            s.execute(insert(Task), tasks)


class StatementTimer:
    """Times every SQL statement the read engine runs, at the DB-API cursor."""

    def __init__(self, engine):
        self.engine = engine
        self.records: list[tuple[str, object, float]] = []
        self._started = None
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        self._started = now()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        self.records.append((statement, parameters, now() - self._started))

    def close(self):
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)


def _kind(statement: str) -> str | None:
    s = statement.lstrip().lower()
    if s.startswith("select count("):
        return "count"
    if s.startswith("select") and "from task" in s:
        return "page"
    return None


def measure(ctxs: dict, **query) -> dict:
    """For each database (size -> context): the median wall time of list_tasks, and of its
    page and count statements. The calls alternate between the databases, so a change of
    load on the machine falls on every size alike."""
    for ctx in ctxs.values():
        for _ in range(WARMUP):
            usecases.list_tasks(ctx, STAF, limit=50, **query)
    timers = {size: StatementTimer(ctx.db.read_engine) for size, ctx in ctxs.items()}
    calls, pages = {size: [] for size in ctxs}, {}
    try:
        for _ in range(CALLS):
            for size, ctx in ctxs.items():
                started = now()
                pages[size] = usecases.list_tasks(ctx, STAF, limit=50, **query)
                calls[size].append(now() - started)
    finally:
        for timer in timers.values():
            timer.close()
    return {size: _measured(calls[size], pages[size], timers[size].records) for size in ctxs}


def _measured(calls: list[float], page, records) -> dict:
    by_kind = {"page": [], "count": []}
    statements = {}
    for statement, parameters, seconds in records:
        kind = _kind(statement)
        if kind:
            by_kind[kind].append(seconds)
            statements[kind] = (statement, parameters)
    return {"call": summary(calls), "page_sql_median_ms": ms(_median(by_kind["page"])),
            "count_sql_median_ms": ms(_median(by_kind["count"])), "items": len(page.items),
            "total": page.total, "total_exact": page.total_exact, "_statements": statements}


def _median(values):
    return statistics.median(values) if values else None


def query_plans(ctx, statements: dict) -> dict:
    """The database's plan for the page and count statements of one list_tasks call."""
    plans = {}
    sqlite = ctx.db.dialect == "sqlite"
    with ctx.db.read_engine.connect() as connection:
        for kind, (statement, parameters) in statements.items():
            prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
            rows = connection.exec_driver_sql(prefix + statement, parameters).fetchall()
            plans[kind] = [row[-1] for row in rows]
    return plans


def _uses_index(plan_lines: list[str]) -> bool:
    return any("index" in line.lower() for line in plan_lines)


def scale_on(ctxs: dict) -> dict:
    """`ctxs`: size -> the context of an empty database, seeded here to that size."""
    for size, ctx in ctxs.items():
        _deployed(ctx)
        seed(ctx, size)
        if ctx.db.dialect == "postgresql":
            with ctx.db.engine.begin() as connection:
                connection.execute(text("ANALYZE"))
    default = measure(ctxs)
    filtered = measure(ctxs, role="staf", state="ready")
    exact = measure(ctxs, count="exact")
    results = {}
    for size, ctx in ctxs.items():
        plans = {"default": query_plans(ctx, default[size].pop("_statements")),
                 "role_ready": query_plans(ctx, filtered[size].pop("_statements"))}
        exact[size].pop("_statements")
        results[size] = {"default": default[size], "role_ready": filtered[size],
                         "exact": exact[size], "plans": plans}
    return results


def _deployed(ctx):
    diagrams, form_files = read_folder(BENCH_DIAGRAMS, BENCH_FORMS)
    usecases.deploy(ctx, ADMIN, diagrams, form_files)


def _report(results, sizes) -> dict:
    small, large = sizes
    out = {"sizes": list(sizes)}
    for size in sizes:
        r = results[size]
        out[str(size)] = {
            "list_tasks_median_ms": r["default"]["call"]["median_ms"],
            "list_tasks_p99_ms": r["default"]["call"]["p99_ms"],
            "page_sql_median_ms": r["default"]["page_sql_median_ms"],
            "count_sql_median_ms": r["default"]["count_sql_median_ms"],
            "queue_total": r["default"]["total"],
            "queue_total_exact": r["default"]["total_exact"],
            "exact_count_median_ms": r["exact"]["call"]["median_ms"],
            "exact_count_sql_median_ms": r["exact"]["count_sql_median_ms"],
            "exact_queue_total": r["exact"]["total"],
            "role_ready_median_ms": r["role_ready"]["call"]["median_ms"],
            "role_ready_page_sql_median_ms": r["role_ready"]["page_sql_median_ms"],
            "role_ready_count_sql_median_ms": r["role_ready"]["count_sql_median_ms"],
            "plans": r["plans"],
            "page_uses_index": _uses_index(r["plans"]["default"].get("page", [])),
        }
    out["ratio"] = ratio(out[str(large)]["list_tasks_median_ms"],
                         out[str(small)]["list_tasks_median_ms"])
    out["role_ready_ratio"] = ratio(out[str(large)]["role_ready_median_ms"],
                                    out[str(small)]["role_ready_median_ms"])
    out["exact_count_ratio"] = ratio(out[str(large)]["exact_count_median_ms"],
                                     out[str(small)]["exact_count_median_ms"])
    return out


def run(workdir, quick: bool = False, postgres: bool = True) -> dict:
    sizes = (100, 2000) if quick else (1000, 100_000)
    started = now()
    with ExitStack() as stack:
        ctxs = {size: stack.enter_context(closing(context(
            sqlite_url(workdir / "queue" / str(size), "lkj"),
            workdir / "queue" / str(size) / "data"))) for size in sizes}
        sqlite_results = _report(scale_on(ctxs), sizes)
    sqlite_results["seconds"] = round(now() - started, 1)
    out = {"sqlite": sqlite_results}
    reason = postgres_reason() if postgres else "not asked for (--no-postgres)"
    if reason:
        out["postgresql"] = {"skipped": reason}
        return out
    started = now()
    with ExitStack() as stack:
        ctxs = {size: stack.enter_context(closing(context(
            stack.enter_context(fresh_postgres()), workdir / "queue-pg" / str(size) / "data")))
            for size in sizes}
        out["postgresql"] = _report(scale_on(ctxs), sizes)
    out["postgresql"]["seconds"] = round(now() - started, 1)
    return out
