"""What the command modules share: constants, access checks, locks, the task-row
synchronisation and the views."""
from __future__ import annotations

import json

from sqlalchemy import or_, select

from engine.errors import (
    DefinitionNotFound,
    Forbidden,
    InstanceNotFound,
    InstanceNotRunning,
    InvalidInput,
    TaskNotFound,
    WorkflowError,
)
from engine.messaging import outbox
from engine.persistence import event_log
from engine.persistence.tables import (
    Document,
    ProcessDefinition,
    ProcessInstance,
    Task,
    Unit,
    User,
)
from engine.usecases.views import (
    Actor,
    DefinitionView,
    DocumentView,
    InstanceView,
    TaskView,
    UnitView,
    UserView,
)
from engine.workflow import forms, runtime
from engine.workflow.model import (
    UNIT_ROLE_PREFIX,
    is_known_role,
    resolve_role,
    user_task_key,
)

OPEN_STATES = ("ready", "claimed")
TASK_STATES = ("ready", "claimed", "completed", "cancelled")
INSTANCE_STATUSES = ("running", "completed", "suspended", "terminated", "error")
# Roles that follow every instance of the procedure; others see instances they work in.
INSTANCE_READERS = frozenset({"admin", "auditor", "kepala_biro", "kepala_bagian",
                              "kepala_subbagian", "staf"})
TASK_SORTS = ("due_at", "-due_at", "created_at", "-created_at", "name")
MAX_PAGE = 500



# ---------------------------------------------------------------- helpers

def _require_admin(actor: Actor):
    if not actor.is_admin:
        raise Forbidden("this needs the role 'admin'")


def _require_running(status: str):
    if status != "running":
        raise InstanceNotRunning(f"the process instance is {status}")


def _check_paging(limit: int, offset: int, errors: dict, maximum: int = MAX_PAGE):
    if not 1 <= limit <= maximum:
        errors["limit"] = [f"must be between 1 and {maximum}"]
    if offset < 0:
        errors["offset"] = ["must not be negative"]


def _check_choice(errors: dict, field: str, value, choices, optional: bool = False):
    """One of `choices` (or, when `optional`, not given at all)."""
    if not (optional and value is None) and value not in choices:
        errors[field] = [f"must be one of {', '.join(choices)}"]


def _check_json_data(data: dict):
    try:
        json.dumps(data, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("data must be plain JSON", {"data": [str(exc)]}) from None


def _role_exists(s, role: str) -> bool:
    if role.startswith(UNIT_ROLE_PREFIX):
        return s.get(Unit, role[len(UNIT_ROLE_PREFIX):]) is not None
    return is_known_role(role)


def _may_start(actor: Actor, definition: ProcessDefinition) -> bool:
    if actor.is_admin:
        return True
    for allowed in definition.startable_by:
        if allowed.endswith("*"):
            if any(r.startswith(allowed[:-1]) for r in actor.roles):
                return True
        elif allowed in actor.roles:
            return True
    return False


def _prepared_variables(s, actor: Actor, definition: ProcessDefinition,
                        variables: dict) -> dict:
    """Start variables by the process's start rules: `unitsVariable` defaults to every active
    unit and must name active units; `starterUnitVariable` is the starter's own unit; the
    `startForm` schema validates the result."""
    variables = dict(variables)
    _check_json_data(variables)
    rules = definition.start_rules or {}
    if rules.get("startForm"):
        forms.validate(definition.forms.get(rules["startForm"], {}), variables,
                       lambda _id: False, prefix="variables")
    active = set(s.scalars(select(Unit.code).where(Unit.active.is_(True))))
    if rules.get("unitsVariable"):
        name = rules["unitsVariable"]
        field = f"variables.{name}"
        if name not in variables:
            if not active:
                raise InvalidInput("No active unit is registered",
                                   {field: ["register units first or list them"]})
            variables[name] = sorted(active)
        units = variables[name]
        if not isinstance(units, list) or not units or not all(isinstance(u, str) for u in units):
            raise InvalidInput(f"{name} must be a non-empty list of unit codes",
                               {field: ["must be a non-empty list of unit codes"]})
        unknown = [u for u in units if u not in active]
        if unknown:
            raise InvalidInput("Unknown or inactive units",
                               {field: [f"'{u}' is not an active unit" for u in unknown]})
        if len(set(units)) != len(units):
            raise InvalidInput("Duplicate units", {field: ["lists a unit twice"]})
    if rules.get("starterUnitVariable"):
        variables[rules["starterUnitVariable"]] = _starter_unit(
            actor, variables.get(rules["starterUnitVariable"]), active,
            f"variables.{rules['starterUnitVariable']}")
    return variables


def _starter_unit(actor: Actor, requested, active: set[str], field: str) -> str:
    """The unit an instance is started for: the starter's own (one of them, if several)."""
    own = sorted(r[len(UNIT_ROLE_PREFIX):] for r in actor.roles if r.startswith(UNIT_ROLE_PREFIX))
    if requested is None:
        if len(own) != 1:
            raise InvalidInput("Name the unit", {field: [
                "the starter belongs to several units: name one" if own else
                "the starter belongs to no unit: name one"]})
        requested = own[0]
    if not isinstance(requested, str) or requested not in active:
        raise InvalidInput("Unknown or inactive unit", {field: [f"{requested!r} is not an active unit"]})
    if own and requested not in own:
        raise Forbidden(f"the starter may act only for their own unit(s): {', '.join(own)}")
    return requested


def _definition(s, key: str, version: int | None) -> ProcessDefinition:
    if version is None:
        definition = _latest_definition(s, key)
    else:
        definition = s.scalar(select(ProcessDefinition).where(
            ProcessDefinition.key == key, ProcessDefinition.version == version))
    if definition is None:
        raise DefinitionNotFound(f"no process definition '{key}'"
                                 + (f" version {version}" if version else ""))
    return definition


def _latest_definition(s, key: str) -> ProcessDefinition | None:
    return s.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key)
                    .order_by(ProcessDefinition.version.desc()).limit(1))


def _task_visible(actor: Actor):
    return or_(Task.role.in_(actor.roles), Task.assignee == actor.username)


def _visible_task(s, actor: Actor, task_id: str) -> Task:
    task = s.get(Task, str(task_id))
    if task is None or not (actor.is_admin or actor.has("auditor") or task.role in actor.roles
                            or task.assignee == actor.username
                            or task.completed_by == actor.username):
        raise TaskNotFound(f"no task '{task_id}'")
    return task


def _visible_instance(s, actor: Actor, instance_id: str) -> ProcessInstance:
    instance = s.get(ProcessInstance, str(instance_id))
    if instance is None:
        raise InstanceNotFound(f"no process instance '{instance_id}'")
    if actor.roles & INSTANCE_READERS:
        return instance
    mine = s.scalar(select(Task.id).where(Task.process_instance_id == instance.id,
                                          _task_visible(actor)).limit(1))
    if mine is None:
        raise InstanceNotFound(f"no process instance '{instance_id}'")
    return instance


def _document_checker(s, instance_id: str):
    def exists(document_id: str) -> bool:
        return s.scalar(select(Document.id).where(
            Document.id == document_id, Document.process_instance_id == instance_id)) is not None
    return exists


def _lock_instance(ctx, s, instance_id, missing: Exception | None = None) -> ProcessInstance:
    """The instance (by id, or a subquery giving it), locked for this transaction: its
    writers (and its event chain) go one at a time. A writer that waited reads what the one
    before it wrote."""
    instance = s.scalars(ctx.db.lock_clause(
        select(ProcessInstance).where(ProcessInstance.id == instance_id), of=ProcessInstance)
        .execution_options(populate_existing=True)).one_or_none()
    if instance is None:
        raise missing or InstanceNotFound(f"no process instance '{instance_id}'")
    return instance


def _lock_instance_status(ctx, s, instance_id: str) -> str:
    """The instance's status, with the instance locked as `_lock_instance` does, for
    commands that change task rows and the event chain but not the workflow."""
    status = s.scalar(ctx.db.lock_clause(
        select(ProcessInstance.status).where(ProcessInstance.id == instance_id)))
    if status is None:
        raise InstanceNotFound(f"no process instance '{instance_id}'")
    return status


class _Thrown:
    """Collects the diagram's notification events (a `notify` property) the engine passed."""

    def __init__(self):
        self.tasks = []

    def __call__(self, task):
        extensions = getattr(task.task_spec, "extensions", None) or {}
        if "notify" in extensions.get("properties", {}):
            self.tasks.append(task)


def _sync_tasks(ctx, s, instance: ProcessInstance, wf, now, log: event_log.EventLog,
                actor: Actor, thrown: _Thrown | None = None, returned: bool = False) -> list[Task]:
    """Make the task rows match the workflow: a row for every new ready user task, open
    rows whose task is gone are cancelled, and the instance status follows the workflow.
    Each change is also appended to the instance's event log; the notifications it causes
    go to the outbox, and the instance's next timer is noted for the workers."""
    definition = instance.definition
    open_rows = {t.id: t for t in s.scalars(select(Task).where(
        Task.process_instance_id == instance.id, Task.state.in_(OPEN_STATES)))}
    created, notices = [], []
    ready_ids = set()
    for spiff_task in runtime.ready_user_tasks(wf):
        task_id = str(spiff_task.id)
        ready_ids.add(task_id)
        if task_id in open_rows:
            continue
        meta = definition.user_tasks.get(user_task_key(spiff_task.task_spec))
        if meta is None:
            raise WorkflowError(f"user task '{spiff_task.task_spec.bpmn_id}' has no metadata")
        try:
            role = resolve_role(meta["role_template"], spiff_task.data)
        except KeyError as exc:
            raise WorkflowError(f"task '{meta['element_id']}': {exc.args[0]}") from None
        if not is_known_role(role):
            raise WorkflowError(f"task '{meta['element_id']}' resolved to unknown role '{role}'")
        row = Task(id=task_id, process_instance_id=instance.id, definition_key=definition.key,
                   process_id=runtime.process_id_of(spiff_task), element_id=meta["element_id"],
                   name=meta["name"], role=role, state="ready", form_key=meta["form_key"],
                   created_at=now, due_at=ctx.calendar.add(now, meta["due_duration"])
                   if meta["due_duration"] else None)
        s.add(row)
        created.append(row)
        kind = meta.get("notification", "task_assigned")
        if returned and kind == "task_assigned":
            kind = "returned_for_revision"
        notices.append(outbox.Notice(
            kind=kind, role=role, name=row.name, process_instance_id=instance.id,
            definition_key=definition.key, task_id=row.id, due_at=row.due_at))
        log.append(event_log.TASK_READY, "system", now, element_id=row.element_id, task_id=row.id,
                   payload={"role": role, "name": row.name, "process_id": row.process_id,
                            "form_key": row.form_key,
                            "due_at": event_log.iso(row.due_at) if row.due_at else None})
    for task_id, row in open_rows.items():
        if task_id not in ready_ids and row.state in OPEN_STATES:
            row.state, row.completed_at = "cancelled", now
            log.append(event_log.TASK_CANCELLED, "system", now, element_id=row.element_id,
                       task_id=row.id)
    if runtime.is_completed(wf) and instance.status == "running":
        instance.status, instance.ended_at = "completed", now
        log.append(event_log.INSTANCE_COMPLETED, actor.username, now)
    instance.next_timer_at = runtime.next_timer_at(wf) if instance.status == "running" else None
    outbox.queue(s, ctx.settings, notices + _thrown_notices(instance, thrown), now)
    return created


def _thrown_notices(instance, thrown: _Thrown | None) -> list[outbox.Notice]:
    notices = []
    for task in (thrown.tasks if thrown else []):
        properties = task.task_spec.extensions["properties"]
        notices.append(outbox.Notice(
            kind=properties["notify"],
            role=resolve_role(properties.get("notifyRole", ""), task.data),
            name=task.task_spec.bpmn_name or task.task_spec.bpmn_id,
            process_instance_id=instance.id, definition_key=instance.definition.key))
    return notices


def _user_view(user: User) -> UserView:
    return UserView(username=user.username, full_name=user.full_name, email=user.email,
                    roles=sorted(r.role for r in user.roles), active=user.active)


def _unit_view(unit: Unit) -> UnitView:
    return UnitView(code=unit.code, name=unit.name, active=unit.active)


def _definition_view(d: ProcessDefinition, created: bool = False) -> DefinitionView:
    return DefinitionView(key=d.key, version=d.version, name=d.name, deployed_at=d.deployed_at,
                          startable_by=list(d.startable_by), created=created)


def _task_view(t: Task) -> TaskView:
    return TaskView(id=t.id, name=t.name, element_id=t.element_id,
                    process_instance_id=t.process_instance_id, definition_key=t.definition_key,
                    role=t.role, assignee=t.assignee, state=t.state, created_at=t.created_at,
                    due_at=t.due_at, completed_at=t.completed_at, completed_by=t.completed_by,
                    form_key=t.form_key)


def _instance_view(s, i: ProcessInstance, with_tasks: bool = True) -> InstanceView:
    tasks = []
    if with_tasks:
        tasks = [_task_view(t) for t in s.scalars(
            select(Task).where(Task.process_instance_id == i.id, Task.state.in_(OPEN_STATES))
            .order_by(Task.created_at, Task.id))]
    return InstanceView(id=i.id, definition_key=i.definition.key,
                        definition_version=i.definition.version, status=i.status,
                        started_at=i.started_at, started_by=i.started_by, ended_at=i.ended_at,
                        error=i.error, open_tasks=tasks)


def _document_view(d: Document) -> DocumentView:
    return DocumentView(id=d.id, process_instance_id=d.process_instance_id, filename=d.filename,
                        sha256=d.sha256, size=d.size, content_type=d.content_type,
                        uploaded_by=d.uploaded_by, uploaded_at=d.uploaded_at)
