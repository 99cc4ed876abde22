"""An instance's data as one set of variables, over SpiffWorkflow's data per task.

SpiffWorkflow has no variables of the instance: each task gets a copy of its parent's data
when it is reached, and what the task does changes its own copy, which its children copy in
turn. What Camunda calls a process instance's variables is read here as:

- while the instance runs (or is suspended, or waits in error): the data of its open tasks
  (READY, WAITING, STARTED: waiting for a person, for a worker, for a timer or a message,
  for a sub-process to end; ERROR: a failed step), merged. Where several hold a name, the
  later one in this order wins: the top-level process first, then each sub-process; in a
  process, the task further along its path (deeper in the task tree), then the one created
  later. Predicted tasks (FUTURE, LIKELY, MAYBE) are never read: nothing reached them yet.
- once it completed: the data it ended with (its last task's, every branch merged);
- once it was terminated: the data of the tasks the termination cancelled (those open at
  the time), merged in the same order.

Changing variables changes the data of every open task, so whatever runs next (a person's
form, a worker's fetch, a script, a sub-process's output) reads the new values. A branch
that already waits at a parallel join keeps what it arrived with: a name deleted now may
come back when the branches merge (a changed value does not: the branch still open arrives
last and wins).
"""
from __future__ import annotations

import copy
import json

from SpiffWorkflow.util.task import TaskState

OPEN = TaskState.READY | TaskState.WAITING | TaskState.STARTED
READ = OPEN | TaskState.ERROR


class DataTooLarge(ValueError):
    """A change would make a task's data larger than the scripts may receive."""


def _tasks(wf, states: int) -> list:
    """The tasks of the instance in one of `states`, in the order described above."""
    found = []
    for rank, workflow in enumerate((wf, *wf.subprocesses.values())):
        for index, task in enumerate(workflow.tasks.values()):
            if task.state & states:
                found.append(((rank, task.depth, index), task))
    return [task for _, task in sorted(found, key=lambda pair: pair[0])]


def _merged(tasks) -> dict:
    data = {}
    for task in tasks:
        data.update(task.data)
    return data


def current_data(wf) -> dict:
    """The variables of an instance that has not ended (shared with its tasks: copy them
    before changing anything)."""
    return _merged(_tasks(wf, READ))


def final_data(wf) -> dict:
    """The variables an ended instance ended with."""
    if wf.success:  # completed: the last task (the end) holds every branch's data
        return dict(wf.last_task.data) if wf.last_task is not None else dict(wf.data)
    # Terminated: SpiffWorkflow cancelled every task still open, all at once and after
    # every task that completed; tasks cancelled before (e.g. a boundary event whose task
    # completed) were cancelled before some completion.
    everything = _tasks(wf, TaskState.ANY_MASK)
    last_completion = max((t.last_state_change for t in everything
                           if t.state == TaskState.COMPLETED), default=0)
    return _merged(t for t in everything if t.state == TaskState.ERROR or (
        t.state == TaskState.CANCELLED and t.last_state_change > last_completion))


def change_open_data(wf, values: dict, deleted: list[str], max_bytes: int | None = None) -> None:
    """Set `values` and remove the `deleted` names in the data of every open task (READY,
    WAITING, STARTED). With `max_bytes`, nothing changes when a task's data would grow past
    it (DataTooLarge): the scripts of the diagram could not receive it."""
    tasks = _tasks(wf, OPEN)
    if max_bytes is not None:
        for task in tasks:
            after = {**task.data, **values}
            for name in deleted:
                after.pop(name, None)
            size = len(json.dumps(after, separators=(",", ":"), default=str).encode())
            if size > max_bytes:
                raise DataTooLarge(
                    f"the data of '{task.task_spec.bpmn_id or task.task_spec.name}' would be "
                    f"{size} bytes; scripts receive at most {max_bytes} "
                    "(LKJ_SCRIPT_MAX_DATA_BYTES)")
    for task in tasks:
        task.data.update(copy.deepcopy(values))  # no value shared between two tasks
        for name in deleted:
            task.data.pop(name, None)
