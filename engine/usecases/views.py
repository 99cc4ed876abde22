"""What commands return: plain, immutable values, never ORM objects or workflows."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from engine.workflow.model import groups_and_users


@dataclass(frozen=True)
class Actor:
    """Who calls a command."""
    username: str
    roles: frozenset[str]

    def has(self, role: str) -> bool:
        return role in self.roles

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


SYSTEM = Actor("system", frozenset({"admin"}))


@dataclass(frozen=True)
class UserView:
    username: str
    full_name: str | None
    roles: list[str]
    active: bool
    email: str | None = None


@dataclass(frozen=True)
class UnitView:
    code: str
    name: str
    active: bool


@dataclass(frozen=True)
class FormFileView:
    """A form file a version was built from: its text as deployed and the JSON Schema the
    engine reads from it (a form-js file translated; None where the file has a problem)."""
    name: str
    form_key: str | None
    kind: str  # json-schema or form-js
    content: str
    schema: dict | None


@dataclass(frozen=True)
class DefinitionView:
    key: str
    version: int
    name: str
    deployed_at: datetime
    startable_by: list[str]
    created: bool = False  # by the deployment that returned it
    suspended: bool = False  # an admin suspended the process: nothing new starts
    start_rules: dict | None = None  # startForm, unitsVariable, starterUnitVariable as set
    id: int | None = None  # the version's row id: never given to another version
    deployment_id: int | None = None


@dataclass(frozen=True)
class DeploymentView:
    """What a deployment did: every process's version (new or kept) and warnings about the
    files sent, each {file, line, column, element_id, message}."""
    definitions: list[DefinitionView]
    warnings: list[dict] = field(default_factory=list)
    deployment_id: int | None = None  # None: nothing changed, nothing was recorded


@dataclass(frozen=True)
class ResourceView:
    """A stored file of a deployment and the versions built from it ({key, version})."""
    name: str
    kind: str
    size: int
    sha256: str
    definitions: list[dict]


@dataclass(frozen=True)
class DeploymentRecordView:
    """A recorded deployment: the versions it made and the resources it stored (the files
    that were new; the others were already deployed)."""
    id: int
    name: str | None
    source: str
    deployed_at: datetime
    deployed_by: str | None
    definitions: list[dict]
    resources: list[ResourceView]


@dataclass(frozen=True)
class TaskView:
    id: str
    name: str
    element_id: str
    process_instance_id: str
    definition_key: str
    role: str
    assignee: str | None
    state: str
    created_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    completed_by: str | None
    form_key: str
    subject: str | None = None  # the document or unit it is about (engine/workflow/progress.py)
    phase: str | None = None  # the top-level call activity it runs under

    @property
    def candidate_groups(self) -> tuple[str, ...]:
        """The groups whose members may claim it (its queues that are not one user's)."""
        return groups_and_users(self.role)[0]

    @property
    def candidate_users(self) -> tuple[str, ...]:
        """The users named as its own queue (candidate users, a named assignee)."""
        return groups_and_users(self.role)[1]

    def is_overdue(self, now: datetime) -> bool:
        """Past its due date: still open after it, or completed after it."""
        if self.due_at is None or self.state == "cancelled":
            return False
        return (self.completed_at or now) > self.due_at


@dataclass(frozen=True)
class InstanceView:
    id: str
    definition_key: str
    definition_version: int
    status: str
    started_at: datetime
    started_by: str | None
    ended_at: datetime | None
    error: str | None
    open_tasks: list[TaskView] = field(default_factory=list)
    business_key: str | None = None


@dataclass(frozen=True)
class CompletionResult:
    task: TaskView
    next_tasks: list[TaskView]


@dataclass(frozen=True)
class DocumentView:
    id: str
    process_instance_id: str
    filename: str
    sha256: str
    size: int
    content_type: str
    uploaded_by: str
    uploaded_at: datetime


@dataclass(frozen=True)
class Page:
    items: list
    total: int
    # False when `total` is a cap (the matches were counted only up to it): there are more.
    total_exact: bool = True


@dataclass(frozen=True)
class MigrationView:
    process_instance_id: str
    from_version: int
    to_version: int
    allowed: bool
    reasons: list[str]
    dry_run: bool
    open_tasks: list[TaskView] = field(default_factory=list)  # after the move (when allowed)


@dataclass(frozen=True)
class TimelineEntry:
    """One event of an instance as people read it (no form data; see following.py)."""
    seq: int
    occurred_at: datetime
    actor: str
    actor_name: str | None
    type: str
    element_id: str | None
    task_id: str | None
    task_name: str | None
    subject: str | None
    details: dict


@dataclass(frozen=True)
class CallView:
    """A call activity and the sub-process runs it started (one per round or item)."""
    element_id: str
    runs: list["ProcessRunView"]


@dataclass(frozen=True)
class ActivityView:
    """An element under way in a process run (engine/workflow/progress.py): its workflow
    task's id, its element, its type as BPMN tools name it (`userTask`, `serviceTask`,
    `intermediateTimer`, ...), and whether it failed (the instance waits in error)."""
    id: str
    element_id: str
    name: str | None
    activity_type: str
    failed: bool


@dataclass(frozen=True)
class ProcessRunView:
    """One run of a process in an instance: its elements' state and open tasks."""
    workflow_id: str
    process_id: str
    process_name: str
    file: str | None
    subject: str | None
    completed: list[str]
    active: list[str]
    open_tasks: list[TaskView]
    calls: list[CallView]
    activities: list[ActivityView] = field(default_factory=list)  # every element under way
    caller_name: str | None = None  # the call activity or sub-process running it
    caller_type: str | None = None
    under_way: bool = True  # False: the run finished (or was cancelled)


@dataclass(frozen=True)
class DiagramView:
    process_instance_id: str
    definition_key: str
    definition_version: int
    status: str
    diagrams: dict[str, str]  # file name -> BPMN XML as deployed
    root: ProcessRunView
    error_seq: int | None = None  # while in error: the event that put it there


@dataclass(frozen=True)
class StartableView:
    definition: DefinitionView
    start_form_key: str | None
    start_form: dict | None
    units_variable: str | None
    starter_unit_variable: str | None


@dataclass(frozen=True)
class HistoricActivityView:
    """An element's run as the event log recorded it (engine/usecases/activity_history.py):
    a user task from ready to completed or cancelled, a service task from when it began to
    wait to its worker's report, a timer or a message catch when it fired (the log does not
    say when such a wait began: `started_at` None)."""
    id: str
    process_instance_id: str
    definition_key: str
    definition_version: int
    element_id: str
    name: str | None
    activity_type: str
    started_at: datetime | None
    ended_at: datetime | None
    canceled: bool
    task_id: str | None  # a user task's id
    assignee: str | None  # who completed a user task


@dataclass(frozen=True)
class OperationView:
    """What a user did to an instance or its tasks, as one event of its log."""
    process_instance_id: str
    definition_key: str
    definition_version: int
    seq: int
    occurred_at: datetime
    actor: str
    type: str  # the event's type
    task_id: str | None
    element_id: str | None


@dataclass(frozen=True)
class IncidentEpisodeView:
    """One time an instance waited in error: from its `instance_error` event to the admin's
    retry (`resolved`) or the instance's termination (`deleted`); open while neither."""
    process_instance_id: str
    definition_key: str
    definition_version: int
    seq: int  # of its instance_error event
    created_at: datetime
    ended_at: datetime | None
    ending: str | None  # resolved | deleted | None (open)
    message: str | None
    failed_element_id: str | None  # the service task whose worker gave up, if that was it
    failed_task_id: str | None
