"""What the command modules share: constants, input checks, lookups that apply the
policy, and the views."""
from __future__ import annotations

import json

from sqlalchemy import select

from engine.errors import (
    DefinitionNotFound,
    DefinitionSuspended,
    InstanceNotFound,
    InstanceNotRunning,
    InvalidInput,
    TaskNotFound,
)
from engine.persistence.tables import (
    DefinitionResource,
    DeploymentFile,
    Document,
    ProcessDefinition,
    ProcessInstance,
    ProcessSuspension,
    RoleGroup,
    Task,
    Unit,
    User,
)
from engine.usecases import policy
from engine.usecases.constraints import MAX_OFFSET
from engine.usecases.views import (
    Actor,
    DefinitionView,
    DocumentView,
    InstanceView,
    TaskView,
    UnitView,
    UserView,
)
from engine.workflow import forms
from engine.workflow.model import UNIT_ROLE_PREFIX

OPEN_STATES = ("ready", "claimed")
TASK_STATES = ("ready", "claimed", "completed", "cancelled")
INSTANCE_STATUSES = ("running", "completed", "suspended", "terminated", "error")
TASK_SORTS = ("due_at", "-due_at", "created_at", "-created_at", "name")
MAX_PAGE = 500



# ---------------------------------------------------------------- helpers

def _require_running(status: str):
    if status != "running":
        raise InstanceNotRunning(f"the process instance is {status}")


def _check_paging(limit: int, offset: int, errors: dict, maximum: int = MAX_PAGE):
    if not 1 <= limit <= maximum:
        errors["limit"] = [f"must be between 1 and {maximum}"]
    if not 0 <= offset <= MAX_OFFSET:
        errors["offset"] = [f"must be between 0 and {MAX_OFFSET}"]


def _check_choice(errors: dict, field: str, value, choices, optional: bool = False):
    """One of `choices` (or, when `optional`, not given at all)."""
    if not (optional and value is None) and value not in choices:
        errors[field] = [f"must be one of {', '.join(choices)}"]


def _check_json_data(data: dict):
    try:
        json.dumps(data, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("data must be plain JSON", {"data": [str(exc)]}) from None


def group_exists(s, name: str) -> bool:
    """A role group (engine/usecases/groups.py) or the group of a registered unit."""
    if name.startswith(UNIT_ROLE_PREFIX):
        return s.get(Unit, name[len(UNIT_ROLE_PREFIX):]) is not None
    return s.get(RoleGroup, name) is not None


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
    own = policy.units_of(actor)
    if requested is None:
        if len(own) != 1:
            raise InvalidInput("Name the unit", {field: [
                "the starter belongs to several units: name one" if own else
                "the starter belongs to no unit: name one"]})
        requested = own[0]
    if not isinstance(requested, str) or requested not in active:
        raise InvalidInput("Unknown or inactive unit", {field: [f"{requested!r} is not an active unit"]})
    policy.check_acts_for_unit(actor, requested)
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


def _stored_files(s, definition: ProcessDefinition) -> dict[str, bytes]:
    """The files (file name -> bytes) a version was built from, as deployed, wherever each
    was stored first."""
    return dict(s.execute(select(DeploymentFile.filename, DeploymentFile.content).join(
        DefinitionResource, DefinitionResource.file_id == DeploymentFile.id).where(
        DefinitionResource.definition_id == definition.id)).all())


def _suspended_keys(s) -> set[str]:
    """The processes an admin suspended (read each time: it changes, unlike a version)."""
    return set(s.scalars(select(ProcessSuspension.key)))


def _require_not_suspended(s, key: str) -> None:
    suspension = s.get(ProcessSuspension, key)
    if suspension is not None:
        raise DefinitionSuspended(
            f"process '{key}' was suspended by {suspension.suspended_by} at "
            f"{suspension.suspended_at.isoformat(timespec='seconds')}: no new instance starts "
            "until an admin resumes it (running instances go on)")


def _latest_definition(s, key: str) -> ProcessDefinition | None:
    return s.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key)
                    .order_by(ProcessDefinition.version.desc()).limit(1))


def _visible_task(s, actor: Actor, task_id: str) -> Task:
    """The task, if the actor may see it (else: not found, as if it did not exist)."""
    task = s.get(Task, str(task_id))
    if task is None or not policy.may_see_task(actor, task):
        raise TaskNotFound(f"no task '{task_id}'")
    return task


def _visible_instance(s, actor: Actor, instance_id: str) -> ProcessInstance:
    instance = s.get(ProcessInstance, str(instance_id))
    if instance is None:
        raise InstanceNotFound(f"no process instance '{instance_id}'")
    if policy.reads_every_instance(actor):
        return instance
    mine = s.scalar(select(Task.id).where(Task.process_instance_id == instance.id,
                                          policy.visible_tasks(actor)).limit(1))
    if mine is None:
        raise InstanceNotFound(f"no process instance '{instance_id}'")
    return instance


def _document_checker(s, instance_id: str):
    def exists(document_id: str) -> bool:
        return s.scalar(select(Document.id).where(
            Document.id == document_id, Document.process_instance_id == instance_id)) is not None
    return exists


def _user_view(user: User) -> UserView:
    return UserView(username=user.username, full_name=user.full_name, email=user.email,
                    roles=sorted(r.role for r in user.roles), active=user.active)


def _unit_view(unit: Unit) -> UnitView:
    return UnitView(code=unit.code, name=unit.name, active=unit.active)


def _definition_view(d: ProcessDefinition, created: bool = False) -> DefinitionView:
    return DefinitionView(key=d.key, version=d.version, name=d.name, deployed_at=d.deployed_at,
                          startable_by=list(d.startable_by), created=created,
                          start_rules=dict(d.start_rules or {}),
                          id=d.id, deployment_id=d.deployment_id)


def _task_view(t: Task) -> TaskView:
    return TaskView(id=t.id, name=t.name, element_id=t.element_id,
                    process_instance_id=t.process_instance_id, definition_key=t.definition_key,
                    role=t.role, assignee=t.assignee, state=t.state, created_at=t.created_at,
                    due_at=t.due_at, completed_at=t.completed_at, completed_by=t.completed_by,
                    form_key=t.form_key, subject=t.subject, phase=t.phase)


def _instance_view(s, i: ProcessInstance, with_tasks: bool = True) -> InstanceView:
    tasks = []
    if with_tasks:
        tasks = [_task_view(t) for t in s.scalars(
            select(Task).where(Task.process_instance_id == i.id, Task.state.in_(OPEN_STATES))
            .order_by(Task.created_at, Task.id))]
    return InstanceView(id=i.id, definition_key=i.definition.key,
                        definition_version=i.definition.version, status=i.status,
                        started_at=i.started_at, started_by=i.started_by, ended_at=i.ended_at,
                        error=i.error, open_tasks=tasks, business_key=i.business_key)


def _document_view(d: Document) -> DocumentView:
    return DocumentView(id=d.id, process_instance_id=d.process_instance_id, filename=d.filename,
                        sha256=d.sha256, size=d.size, content_type=d.content_type,
                        uploaded_by=d.uploaded_by, uploaded_at=d.uploaded_at)
