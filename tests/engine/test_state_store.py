"""An instance's state is stored as a workflow-level part plus one row per SpiffWorkflow task;
a completion rewrites the rows it changed, and the stored state is always the workflow's.

Every save under test is also compared with a full serialization of the workflow
(LKJ_CHECK_STATE_WRITES, set in tests/conftest.py), so each engine test checks the rows.
"""
from __future__ import annotations

import json
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, event, select, text

from engine import usecases
from engine.persistence import schema, state_store
from engine.persistence.tables import InstanceTaskState, ProcessInstance
from engine.usecases.context import EngineContext
from engine.usecases.views import Actor
from engine.workflow import runtime

BENCH = Path(__file__).resolve().parents[2] / "bench"
ADMIN = Actor("admin", frozenset({"admin"}))
STAF = Actor("staf1", frozenset({"staf"}))


def _loop(ctx, iterations: int):
    """An instance of bench_loop: one user task repeated as a sequential multi-instance."""
    usecases.deploy(ctx, ADMIN, {p.name: p.read_bytes() for p in (BENCH / "diagrams").glob("*.bpmn")},
                    {p.name: p.read_bytes() for p in (BENCH / "forms").glob("*.json")})
    view = usecases.start_instance(ctx, STAF, "bench_loop", {"iterations": iterations})
    return view.id, view.open_tasks[0].id


def _complete(ctx, task_id: str, i: int) -> str:
    usecases.claim_task(ctx, STAF, task_id)
    result = usecases.complete_task(ctx, STAF, task_id, {"note": f"iterasi {i}", "score": i})
    return result.next_tasks[0].id if result.next_tasks else None


class _RowWrites:
    """Counts the task-state rows each statement writes."""

    def __init__(self, ctx):
        self.rows = 0
        event.listen(ctx.db.engine, "before_cursor_execute", self._count)
        self._engine = ctx.db.engine

    def _count(self, _conn, _cursor, statement, parameters, _context, executemany):
        if "instance_task_state" in statement and not statement.lstrip().startswith("SELECT"):
            self.rows += len(parameters) if executemany else 1

    def close(self):
        event.remove(self._engine, "before_cursor_execute", self._count)


def _stored_state(ctx, instance_id: str) -> dict:
    with ctx.db.read() as s:
        return state_store.state_dict(s, s.get(ProcessInstance, instance_id))


def test_a_completion_writes_what_changed_not_the_history(ctx):
    instance_id, task_id = _loop(ctx, 80)
    writes = {}
    for i in range(70):
        if i in (10, 60):
            counter = _RowWrites(ctx)
            task_id = _complete(ctx, task_id, i)
            counter.close()
            writes[i] = counter.rows
        else:
            task_id = _complete(ctx, task_id, i)
    with ctx.db.read() as s:
        stored_rows = len(s.scalars(select(InstanceTaskState.task_id).where(
            InstanceTaskState.process_instance_id == instance_id)).all())
    assert stored_rows > 70  # every iteration is a task of the stored state
    # the completed iteration, the next one, the multi-instance parent and the
    # predictions around them; the same after 10 completions as after 60
    assert 0 < writes[10] <= 8
    assert writes[60] == writes[10]


def test_the_stored_state_is_the_workflows_after_a_cold_load(ctx):
    instance_id, task_id = _loop(ctx, 30)
    for i in range(12):
        task_id = _complete(ctx, task_id, i)
    ctx.forget_workflow(instance_id)  # as another worker would: read the rows
    task_id = _complete(ctx, task_id, 12)
    with ctx.db.read() as s:
        instance = s.get(ProcessInstance, instance_id)
        wf, _ = state_store.load(s, instance, ctx.executable(instance.definition))
    assert runtime.state_dict(wf) == _stored_state(ctx, instance_id)
    done = [t for t in wf.tasks.values() if t.task_spec.manual and t.state == 64]
    assert [t.data["score"] for t in sorted(done, key=lambda t: t.data["score"])] == \
        list(range(13))


def test_the_schema_migration_moves_stored_states_both_ways(ctx, database_url):
    instance_id, task_id = _loop(ctx, 20)
    for i in range(5):
        task_id = _complete(ctx, task_id, i)
    before = _stored_state(ctx, instance_id)
    ctx.close()

    config = schema.alembic_config(database_url)
    command.downgrade(config, "0005_calendar_days")
    raw = create_engine(database_url)
    with raw.connect() as connection:
        whole = json.loads(connection.execute(text(
            "SELECT state_json FROM process_instance WHERE id = :i"), {"i": instance_id}).scalar())
    raw.dispose()
    assert whole == before  # the whole state back in one column

    schema.upgrade(database_url)
    again = EngineContext(ctx.settings)
    try:
        assert _stored_state(again, instance_id) == before
        next_id = _complete(again, task_id, 5)
        assert next_id is not None
    finally:
        again.close()


def test_a_settled_iteration_keeps_its_own_data_when_later_ones_change_the_parent(ctx):
    # Each iteration's output goes into the multi-instance parent, and a settled
    # iteration's data is stored as a delta against the parent's: when a later iteration
    # sets a key back and forth, the earlier deltas must follow.
    instance_id, task_id = _loop(ctx, 10)
    submitted = {}
    for i in range(6):
        note = "setuju" if i % 2 == 0 else "revisi"
        usecases.claim_task(ctx, STAF, task_id)
        result = usecases.complete_task(ctx, STAF, task_id, {"note": note, "score": 1})
        submitted[task_id] = note
        task_id = result.next_tasks[0].id
    ctx.forget_workflow(instance_id)  # what another worker reads: the rows
    seen = {done: usecases.get_task_variables(ctx, STAF, done)["note"] for done in submitted}
    assert seen == submitted
