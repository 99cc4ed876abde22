"""Where an instance's workflow state lives, and how a command writes only what it changed.

The state is split in two: the workflow-level part (each workflow's data, events and
attributes, `runtime.state_head`) in `process_instance.state_json`, and every SpiffWorkflow
task in its own row of `instance_task_state`. Rewriting the whole state on every completion
would cost as much as the instance's history; here a save costs what the command changed:

- every task that is not settled (completed or cancelled) is serialized again and its row
  rewritten when its text differs from the stored one: these are the open, waiting, running
  and predicted tasks, bounded by the diagram, not by the history;
- a settled task is written once, when it settles, and again only when a change of its
  parent's data changes its delta (a task's data is stored as a delta against its parent's,
  and a running multi-instance or loop parent takes each child's output): per key that
  changed, whether the key's place in the child's delta flips, so a thousand settled
  iterations cost a few comparisons each, not a serialization;
- new tasks are inserted, vanished ones (dropped predictions, reset branches) deleted.

`Stored` is what a save needs to know of the rows; it travels with the workflow in the
engine's cache, and a load builds it from the rows.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm.attributes import flag_modified

from engine.persistence.tables import InstanceTaskState, ProcessInstance
from engine.workflow import runtime

ROWS = InstanceTaskState.__table__


class StateWriteMismatch(AssertionError):
    """The rows written differ from the workflow's full state (checked only when
    `check_state_writes` is on: the tests run with it)."""


@dataclass
class Stored:
    """What the rows of one instance hold, as of its last save or load."""
    # keyed by the tasks' UUIDs (as SpiffWorkflow holds them: no string per task and save)
    seqs: dict[UUID, int] = field(default_factory=dict)  # every stored task -> position
    open_texts: dict[UUID, str] = field(default_factory=dict)  # unsettled task -> its row
    parent_data: dict[UUID, dict] = field(default_factory=dict)  # unsettled parent of settled
    # children -> a copy of its data, to tell which of those children's deltas changed
    marks: dict[UUID, tuple] = field(default_factory=dict)  # predicted task -> its mark as
    # stored (runtime.prediction_mark): most of a long sequence is predictions nobody changed


def _dumps(value) -> str:
    return json.dumps(value, separators=(",", ":"))


_settled = runtime.is_settled


def _tasks(wf):
    """(workflow id, task) of the whole instance, each workflow's tasks in creation order."""
    return [(key, task) for key, workflow in runtime.workflows_of(wf).items()
            for task in workflow.tasks.values()]


_UPDATE_BODY = (update(ROWS).where(ROWS.c.process_instance_id == bindparam("b_instance"),
                                   ROWS.c.task_id == bindparam("b_id"))
                .values(body=bindparam("b_body")))


def save(s, instance: ProcessInstance, wf, stored: Stored | None,
         check: bool = False) -> Stored:
    """Write the workflow's state for the instance; `stored` None rewrites every row (a new
    instance, a migrated one, a workflow of unknown origin)."""
    if stored is None:
        s.execute(delete(ROWS).where(ROWS.c.process_instance_id == instance.id))
        stored = Stored()
    tasks = _tasks(wf)
    changed_keys: dict[UUID, list] = {}

    def delta_changed(task) -> bool:
        """Whether the settled task's stored delta against its parent's data is stale."""
        parent_id = task._parent
        before = stored.parent_data.get(parent_id)
        if before is None:
            return False  # the parent was settled at the last save too: its data is as then
        after = task.parent.data
        if parent_id not in changed_keys:
            changed_keys[parent_id] = [key for key in before.keys() | after.keys()
                                       if key not in before or key not in after
                                       or before[key] != after[key]]
        return any(_delta_flips(task.data, key, before, after)
                   for key in changed_keys[parent_id])

    inserts, updates = [], []
    seqs, open_texts, marks = {}, {}, {}
    next_seq = max(stored.seqs.values(), default=0) + 1
    for workflow_id, task in tasks:
        task_id = task.id
        seq = stored.seqs.get(task_id)
        mark = runtime.prediction_mark(task)
        if seq is None:
            seq, next_seq = next_seq, next_seq + 1
            text = _dumps(runtime.task_dict(task))
            inserts.append({"process_instance_id": instance.id, "task_id": str(task_id),
                            "seq": seq, "workflow_id": workflow_id, "body": text})
        elif mark is not None and mark == stored.marks.get(task_id):
            text = stored.open_texts[task_id]  # the same prediction as stored
        elif not _settled(task) or task_id in stored.open_texts or (
                task._parent is not None and delta_changed(task)):
            text = _dumps(runtime.task_dict(task))
            if text != stored.open_texts.get(task_id):
                updates.append({"b_id": str(task_id), "b_body": text})
        else:
            text = None
        seqs[task_id] = seq
        if not _settled(task):
            open_texts[task_id] = text
            if mark is not None:
                marks[task_id] = mark
    gone = [str(task_id) for task_id in stored.seqs if task_id not in seqs]

    # On the connection: the rows are not mapped objects, and going through the session
    # would flush the instance's pending change before each statement, then again at the end.
    connection = s.connection()
    if gone:
        connection.execute(delete(ROWS).where(ROWS.c.process_instance_id == instance.id,
                                              ROWS.c.task_id.in_(gone)))
    if updates:
        for update_ in updates:
            update_["b_instance"] = instance.id
        connection.execute(_UPDATE_BODY, updates)
    if inserts:
        connection.execute(insert(ROWS), inserts)
    instance.state_json = _dumps(runtime.state_head(wf))
    instance.state_format = runtime.STATE_FORMAT
    flag_modified(instance, "state_json")  # every save is a new version, whatever changed
    saved = Stored(seqs=seqs, open_texts=open_texts, parent_data=_parent_data(tasks),
                   marks=marks)
    if check:
        _check(s, instance, wf)
    return saved


def _delta_flips(data: dict, key, before: dict, after: dict) -> bool:
    """Whether `key` enters or leaves a child's delta when its parent's data goes from
    `before` to `after` (SpiffWorkflow's delta: updated keys are the child's keys missing
    from or different in the parent, deleted keys the parent's keys the child lacks)."""
    if key not in data:
        return (key in before) != (key in after)
    return (key not in before or data[key] != before[key]) != \
        (key not in after or data[key] != after[key])


def _parent_data(tasks) -> dict[UUID, dict]:
    """Unsettled tasks with settled children -> a copy of their data. Children settle in
    order, so the first child tells (a running multi-instance's first iteration)."""
    parents = {}
    for _, task in tasks:
        if not _settled(task) and task._children:
            first = task.workflow.tasks.get(task._children[0])
            if first is not None and _settled(first) or any(
                    _settled(child) for child in task.children):
                parents[task.id] = copy.deepcopy(task.data)
    return parents


def state_dict(s, instance: ProcessInstance) -> dict:
    """The instance's whole state as stored (as `runtime.state_dict` gives it)."""
    return _assemble(instance.state_json, _rows(s, instance.id))


def state_json(s, instance: ProcessInstance) -> str:
    return _dumps(state_dict(s, instance))


def load(s, instance: ProcessInstance, executable: runtime.ExecutableSpec):
    """(workflow, Stored) of the instance as stored."""
    rows = _rows(s, instance.id)
    wf = runtime.restore_state(_assemble(instance.state_json, rows), executable)
    tasks = _tasks(wf)
    unsettled = {task.id for _, task in tasks if not _settled(task)}
    ids = {row.task_id: UUID(row.task_id) for row in rows}
    return wf, Stored(seqs={ids[r.task_id]: r.seq for r in rows},
                      open_texts={ids[r.task_id]: r.body for r in rows
                                  if ids[r.task_id] in unsettled},
                      parent_data=_parent_data(tasks))


def _rows(s, instance_id: str):
    return s.execute(select(ROWS.c.task_id, ROWS.c.seq, ROWS.c.workflow_id, ROWS.c.body)
                     .where(ROWS.c.process_instance_id == instance_id)
                     .order_by(ROWS.c.seq)).all()


def _assemble(head_json: str, rows) -> dict:
    state = json.loads(head_json)
    workflows = {"": state, **state.get("subprocesses", {})}
    for row in rows:
        workflows[row.workflow_id]["tasks"][row.task_id] = json.loads(row.body)
    return state


def _check(s, instance: ProcessInstance, wf) -> None:
    s.flush()
    expected, found = runtime.state_dict(wf), state_dict(s, instance)
    if expected == found:
        return
    expected_tasks, found_tasks = _all_task_dicts(expected), _all_task_dicts(found)
    for task_id in sorted(set(expected_tasks) | set(found_tasks)):
        if expected_tasks.get(task_id) != found_tasks.get(task_id):
            raise StateWriteMismatch(f"task {task_id}: expected {expected_tasks.get(task_id)}, "
                                     f"stored {found_tasks.get(task_id)}")
    raise StateWriteMismatch("the stored workflow-level state differs from the workflow's")


def _all_task_dicts(state: dict) -> dict:
    return {task_id: task for workflow in (state, *state.get("subprocesses", {}).values())
            for task_id, task in workflow["tasks"].items()}
