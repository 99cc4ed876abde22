"""Where an instance stands, read from its workflow: which elements of each (sub)process have
finished or are under way, which call activity opened which sub-process, and what a user task
is about (its subject) and in which phase of the procedure it sits.

A task's **subject** is what tells apart the many tasks of one element (every step of the
approval chain is "Menyusun konsep dokumen"): the document title or the unit that the
sub-process the task runs in was called for. It is read from the sub-process's declared data
inputs only (`SUBJECT_INPUTS`, in that order), never from data that merely flowed along: a
finished approval's `doc_title` stays in the data of the steps after it. In the top-level
process, a starter's unit (`unit`, e.g. of a complaint) is the subject.

A task's **phase** is the name of the call activity of the top-level process it runs under
(e.g. "Pengumpulan data kinerja"); a task of the top-level process itself has none.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from SpiffWorkflow.util.task import TaskState

from engine.workflow.activity_kinds import activity_type, is_gateway

SUBJECT_INPUTS = ("doc_title", "unit")
TOP_LEVEL_SUBJECT = "unit"
# Under way: a call activity whose sub-process runs, a task waiting for a person, a timer
# or a message.
_ACTIVE = TaskState.STARTED | TaskState.READY | TaskState.WAITING


@dataclass(frozen=True)
class Subject:
    """What a task is about: a variable's name (`doc_title`, `unit`) and its value."""
    variable: str
    value: str


@dataclass(frozen=True)
class OpenActivity:
    """An element under way in one process run: a task waiting for a person or a worker, a
    catch waiting for its timer, message or signal, or a step that failed (`failed`)."""
    task_id: str  # the workflow's task id: stable while the element is under way
    element_id: str
    name: str | None
    activity_type: str
    failed: bool = False


@dataclass
class WorkflowProgress:
    """One run of a process within an instance: the top-level process, or one sub-process
    run started by a call activity (one per loop round or multi-instance item)."""
    workflow_id: str  # '' for the top-level process, else the id of the calling task
    process_id: str
    process_name: str
    file: str | None
    subject: Subject | None
    completed: list[str] = field(default_factory=list)  # element ids, in order
    active: list[str] = field(default_factory=list)
    ready_task_ids: list[str] = field(default_factory=list)  # user tasks waiting for a person
    calls: dict[str, list["WorkflowProgress"]] = field(default_factory=dict)  # element -> runs
    open: list[OpenActivity] = field(default_factory=list)  # not the calls: they are runs
    caller_name: str | None = None  # the call activity or sub-process that runs it
    caller_type: str | None = None
    under_way: bool = True  # False: the run finished (or was cancelled)


def task_subject(task) -> Subject | None:
    """What the user task `task` is about (see the module's docstring), or None."""
    workflow = task.workflow
    if workflow.parent_task_id is None:
        return _subject_from(task.data, (TOP_LEVEL_SUBJECT,))
    return _subject_from(task.data, _declared_inputs(workflow.spec))


def task_phase(task) -> str | None:
    """The name of the top-level call activity the task runs under, or None."""
    callers = _callers(task.workflow)
    if not callers:
        return None
    outermost = callers[-1].task_spec
    return outermost.bpmn_name or outermost.bpmn_id


def instance_progress(wf) -> WorkflowProgress:
    """The tree of process runs of the instance `wf`, each with its elements' state."""
    nodes = {"": _node(wf, "", None)}
    for key, sub in wf.subprocesses.items():
        caller = wf.get_task_from_id(key)
        inputs = _declared_inputs(sub.spec)
        node = nodes[str(key)] = _node(sub, str(key), _subject_from(caller.data, inputs))
        node.caller_name = caller.task_spec.bpmn_name
        node.caller_type = activity_type(caller.task_spec)
        node.under_way = bool(caller.state & (_ACTIVE | TaskState.ERROR))
    for key, sub in wf.subprocesses.items():
        caller = wf.get_task_from_id(key)
        parent = nodes[_workflow_id(caller.workflow)]
        parent.calls.setdefault(caller.task_spec.bpmn_id, []).append(nodes[str(key)])
    return nodes[""]


def _node(workflow, workflow_id: str, subject: Subject | None) -> WorkflowProgress:
    spec = workflow.spec
    node = WorkflowProgress(workflow_id=workflow_id, process_id=spec.name,
                            process_name=spec.description or spec.name,
                            file=getattr(spec, "file", None), subject=subject)
    completed, active = {}, {}
    subprocesses = workflow.top_workflow.subprocesses  # their callers are runs, not tasks
    for task in workflow.tasks.values():
        element = task.task_spec.bpmn_id
        if element is None:
            continue
        if task.state & _ACTIVE:
            active[element] = None
        elif task.state == TaskState.COMPLETED:
            completed[element] = None
        if task.state == TaskState.READY and task.task_spec.manual:
            node.ready_task_ids.append(str(task.id))
        if task.state & (_ACTIVE | TaskState.ERROR) and task.id not in subprocesses \
                and not (is_gateway(task.task_spec) and task.state == TaskState.WAITING):
            # a gateway that waits is a join waiting for its other branches: no activity
            node.open.append(OpenActivity(
                str(task.id), element, task.task_spec.bpmn_name,
                activity_type(task.task_spec), task.state == TaskState.ERROR))
    node.completed = [e for e in completed if e not in active]
    node.active = list(active)
    return node


def _workflow_id(workflow) -> str:
    return "" if workflow.parent_task_id is None else str(workflow.parent_task_id)


def _callers(workflow) -> list:
    """The call activity tasks above `workflow`, innermost first."""
    callers = []
    while workflow.parent_task_id is not None:
        caller = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
        callers.append(caller)
        workflow = caller.workflow
    return callers


def _declared_inputs(spec) -> tuple[str, ...]:
    io = getattr(spec, "io_specification", None)
    names = {d.bpmn_id for d in io.data_inputs} if io is not None else set()
    return tuple(name for name in SUBJECT_INPUTS if name in names)


def _subject_from(data: dict, names) -> Subject | None:
    for name in names:
        value = data.get(name)
        if isinstance(value, str) and value.strip():
            return Subject(name, value.strip())
    return None
