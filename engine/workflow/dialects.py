"""What a user task says about who works it, its form and its due date, in the words of the
three modelers process owners use: Camunda Modeler (Camunda 7: `camunda:` attributes),
SpiffArena (`spiffworkflow:properties`, lanes named after roles) and plain bpmn.io (lanes
named after roles), plus this project's own `spiffworkflow` properties.

Each rule lives here once; model.py reads the results into UserTaskMeta.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from engine.workflow.expressions import ExpressionRefused, placeholder_template

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS, "camunda": CAMUNDA_NS}

# A queue is a group (role) or one user; a task's queues are joined with QUEUE_SEPARATOR
# into the task row's `role`, each user as `user:<username>`.
USER_QUEUE_PREFIX = "user:"
QUEUE_SEPARATOR = "|"
CAMUNDA_FORMS_PREFIX = "camunda-forms:deployment:"


def camunda(name: str) -> str:
    return f"{{{CAMUNDA_NS}}}{name}"


def extension_properties(node) -> dict[str, str]:
    props = node.xpath("./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property",
                       namespaces=NS)
    return {p.get("name"): p.get("value", "") for p in props}


@dataclass
class TaskReading:
    """One user task as read from its diagram, with what is wrong or worth a warning."""
    queue: str = ""  # queue templates joined by QUEUE_SEPARATOR; placeholders `{name}`
    form_key: str = ""  # a JSON Schema file's key or a form-js form's id
    form_file: str = ""  # a form named by file (Camunda's `camunda-forms:deployment:x.form`)
    due_duration: str = ""  # working time, ISO 8601 duration
    due_date: str = ""  # ISO date-time, or a `{variable}` placeholder holding one
    assigned: bool = False  # `camunda:assignee`: the task is that user's from the start
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def read_user_task(task, lane, is_known_group: Callable[[str], bool]) -> TaskReading:
    reading = TaskReading()
    props = extension_properties(task)
    reading.queue = _queue(task, props, lane, is_known_group, reading)
    _form(task, props, reading)
    _due(task, props, reading)
    return reading


def read_start_form(process) -> tuple[object, TaskReading] | None:
    """The start event of the process that names a form, as a user task does
    (`camunda:formKey`, `camunda:formRef`, spiffworkflow properties), and its reading."""
    for start in process.xpath("./bpmn:startEvent", namespaces=NS):
        reading = TaskReading()
        _form(start, extension_properties(start), reading)
        if reading.form_key or reading.form_file or reading.problems:
            return start, reading
    return None


def _queue(task, props, lane, is_known_group, reading: TaskReading) -> str:
    """First match wins: assignee, candidates, the task's `role`, the lane's `role`, the
    lane's name where it names a known group."""
    assignee = (task.get(camunda("assignee")) or "").strip()
    if assignee:
        reading.assigned = True
        return USER_QUEUE_PREFIX + _template(assignee, "camunda:assignee", reading)
    users = _names(task.get(camunda("candidateUsers")))
    groups = _names(task.get(camunda("candidateGroups")))
    if users or groups:
        queues = [_group(g, "camunda:candidateGroups", is_known_group, reading) for g in groups]
        queues += [USER_QUEUE_PREFIX + _template(u, "camunda:candidateUsers", reading)
                   for u in users]
        return QUEUE_SEPARATOR.join(queues)
    lane_props = extension_properties(lane) if lane is not None else {}
    for where, role in (("the task's 'role' property", props.get("role")),
                        ("the lane's 'role' property", lane_props.get("role"))):
        if role and role.strip():
            return _group(role.strip(), where, is_known_group, reading)
    lane_name = ((lane.get("name") or "") if lane is not None else "").strip()
    for candidate in (lane_name, re.sub(r"\s+", "_", lane_name.lower())):
        if candidate and "{" in candidate and group_may_exist(candidate, is_known_group) \
                or candidate and is_known_group(candidate):
            return candidate
    where = (f"in lane '{lane_name}', which names no known group" if lane is not None
             else "in no lane")
    reading.problems.append(
        f"nobody may work this user task: it has no camunda:assignee, camunda:candidateUsers "
        f"or camunda:candidateGroups, no 'role' property, and stands {where}")
    return ""


def _names(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _template(text: str, where: str, reading: TaskReading) -> str:
    try:
        return placeholder_template(text)
    except ExpressionRefused as exc:
        reading.problems.append(f"{where}: {exc}")
        return text


def _group(text: str, where: str, is_known_group, reading: TaskReading) -> str:
    group = _template(text, where, reading)
    if not group_may_exist(group, is_known_group):
        reading.warnings.append(f"group '{group}' ({where}) is not known yet: the task stays "
                                f"visible to admins until someone holds the group")
    return group


# stands for a placeholder's value when a group template is checked
FILLED = "\0"


def group_may_exist(template: str, is_known_group) -> bool:
    """Whether a group template can name a known group: `{x}` alone is checked when it is
    filled; `satuan_kerja:{unit}` is checked with FILLED for the unit."""
    if re.fullmatch(r"\{[A-Za-z_][A-Za-z0-9_]*\}", template):
        return True
    return is_known_group(re.sub(r"\{[^}]*\}", FILLED, template))


def known_in(groups: frozenset[str]):
    """is_known_group for a set of groups: a template matches a group it can fill to."""
    def is_known(group: str) -> bool:
        if FILLED not in group:
            return group in groups
        pattern = re.compile(".+".join(re.escape(part) for part in group.split(FILLED)))
        return any(pattern.fullmatch(known) for known in groups)
    return is_known


def _form(task, props, reading: TaskReading) -> None:
    camunda_key = (task.get(camunda("formKey")) or "").strip()
    form_ref = (task.get(camunda("formRef")) or "").strip()
    spiff_file = props.get("formJsonSchemaFilename", "").strip()
    if form_ref:
        reading.form_key = form_ref
    elif camunda_key.startswith(CAMUNDA_FORMS_PREFIX):
        reading.form_file = camunda_key[len(CAMUNDA_FORMS_PREFIX):]
    elif camunda_key:
        if ":" in camunda_key:
            reading.problems.append(f"camunda:formKey '{camunda_key}' names an HTML form of a "
                                    "Camunda web application; deploy a JSON Schema file or a "
                                    "Camunda form (.form) and name it instead")
        reading.form_key = form_key_of_file(camunda_key)
    elif spiff_file:
        reading.form_key = form_key_of_file(spiff_file)
    else:
        reading.form_key = props.get("formKey", "").strip()


def form_key_of_file(filename: str) -> str:
    """A JSON Schema form's key: its file name without folder and `.json`."""
    return filename.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".json")


def _due(task, props, reading: TaskReading) -> None:
    due_date = (task.get(camunda("dueDate")) or "").strip()
    if due_date:
        if "${" in due_date:
            reading.due_date = _template(due_date, "camunda:dueDate", reading)
            if not re.fullmatch(r"\{[A-Za-z_][A-Za-z0-9_]*\}", reading.due_date):
                reading.problems.append("camunda:dueDate must be a date-time or ${variable}")
        elif parse_due_date(due_date) is None:
            reading.problems.append(f"camunda:dueDate '{due_date}' is not an ISO 8601 "
                                    "date-time with a time zone (2026-12-31T17:00:00+07:00)")
        else:
            reading.due_date = due_date
    reading.due_duration = props.get("dueDuration", "").strip()


def parse_due_date(value) -> datetime | None:
    """An ISO 8601 date-time with its offset, or None."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None
