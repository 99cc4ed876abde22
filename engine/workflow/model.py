"""The deployable process model: parse a set of diagrams and forms into executable specs
plus the metadata the engine reads from them (queues, form key, due date per user task).

Everything a diagram can get wrong is reported here, before anything is stored, as a list of
`{file, line, column, element_id, message}`: all problems at once, not the first one. What
deploys but deserves a look comes back in the same shape as warnings.
"""
from __future__ import annotations

import hashlib
import json
import string
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timezone

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from engine.errors import DiagramInvalid
from engine.workflow import decisions, validation
from engine.workflow.dialects import (
    BPMN_NS,
    NS,
    QUEUE_SEPARATOR,
    USER_QUEUE_PREFIX,
    camunda,
    extension_properties,
    known_in,
    parse_due_date,
    read_start_form,
    read_user_task,
)
from engine.workflow.forms import read_form_files
from engine.workflow.formjs import FILE_KEY
from engine.worktime.calendar import parse_duration

# The standard's roles. `satuan_kerja:<UNIT>` queues are per unit, so a lane names the
# prefix with a placeholder (`satuan_kerja:{unit}`).
KNOWN_ROLES = frozenset({
    "kepala_biro", "kepala_bagian", "kepala_subbagian", "staf", "deputi", "menteri",
    "biro_tata_usaha", "tim", "inspektur", "biro_umum", "biro_it", "admin", "auditor",
    "worker",  # accounts of systems that send messages and signals or run service tasks
})
UNIT_ROLE_PREFIX = "satuan_kerja:"


def is_known_role(role: str) -> bool:
    if role.startswith(UNIT_ROLE_PREFIX):
        return len(role) > len(UNIT_ROLE_PREFIX)
    return role in KNOWN_ROLES


@dataclass(frozen=True)
class UserTaskMeta:
    """What the engine needs to queue one user task, read once at deployment."""
    element_id: str
    name: str
    # the task's queues, `|`-joined: groups (roles) and `user:<username>`, with `{name}`
    # placeholders filled from task data (engine/workflow/dialects.py)
    role_template: str
    form_key: str
    due_duration: str
    # The kind of notification sent when the task becomes ready: `task_assigned` unless the
    # diagram says otherwise (an escalation task says `escalation`).
    notification: str = "task_assigned"
    due_date: str = ""  # an ISO date-time, or `{variable}` holding one (camunda:dueDate)
    # camunda:assignee: the one user of `role_template` holds the task (claimed) as it opens
    assigned: bool = False


# Process-level properties that say how an instance starts (see docs/modelling.md).
START_PROPERTIES = ("startForm", "unitsVariable", "starterUnitVariable")


@dataclass(frozen=True)
class ProcessMeta:
    process_id: str
    name: str
    startable_by: tuple[str, ...]
    start_rules: dict  # the START_PROPERTIES the process sets
    # the diagram files this process and everything it calls live in, and the decision
    # table files their business rule tasks evaluate
    files: tuple[str, ...]
    form_keys: tuple[str, ...]
    content_hash: str


@dataclass
class ProcessModel:
    """Parsed diagrams and forms of one deployment."""
    files: dict[str, bytes]
    forms: dict[str, dict]
    parser: SpiffBpmnParser
    processes: dict[str, ProcessMeta]
    user_tasks: dict[str, UserTaskMeta] = field(default_factory=dict)  # key: "file#element"
    # what deploys but deserves the process owner's attention, shaped like the problems
    warnings: list[dict] = field(default_factory=list)

    @classmethod
    def from_files(cls, files: dict[str, bytes], forms: dict[str, dict] | None = None,
                   require_forms: bool = True,
                   known_groups: Collection[str] | None = None) -> "ProcessModel":
        """Parse `.bpmn` files (name -> bytes) and form schemas (form key -> schema).
        `known_groups`: the groups a task may name without a warning (default: the
        standard's roles, as is_known_role knows them).

        Raises DiagramInvalid listing every problem found.
        """
        return _ModelBuilder(files, forms or {}, require_forms, known_groups).build()

    @classmethod
    def from_sources(cls, diagrams: dict[str, bytes], form_files: dict[str, bytes],
                     known_groups: Collection[str] | None = None) -> "ProcessModel":
        """Diagrams and form files (JSON Schema `.json`, form-js `.form`) as uploaded: the
        forms' problems come in the same answer as the diagrams'."""
        schemas, problems, warnings = read_form_files(form_files)
        builder = _ModelBuilder(diagrams, schemas, True, known_groups)
        builder.errors.extend(problems)
        builder.warnings.extend(warnings)
        return builder.build()

    def spec_and_subprocesses(self, process_id: str):
        return (self.parser.get_spec(process_id),
                self.parser.get_subprocess_specs(process_id))

    def user_task_meta(self, task_spec) -> UserTaskMeta | None:
        return self.user_tasks.get(user_task_key(task_spec))


def user_task_key(task_spec) -> str:
    """Element ids are unique within a diagram file, so file + id names a user task."""
    return f"{task_spec._wf_spec.file}#{task_spec.bpmn_id}"


def resolve_role(template: str, data: dict) -> str:
    """Fill `{name}` placeholders of a task's queues from task data (e.g.
    `satuan_kerja:{unit}`)."""
    fields = [name for _, name, _, _ in string.Formatter().parse(template) if name]
    missing = [name for name in fields if name not in data]
    if missing:
        raise KeyError(f"role '{template}' needs task data {', '.join(missing)}")
    return template.format_map({name: data[name] for name in fields})


def queues_of(role: str) -> list[str]:
    """The queues a task row's `role` names: groups and `user:<username>`."""
    return role.split(QUEUE_SEPARATOR)


def groups_and_users(role: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The groups and the usernames among a task row's queues."""
    queues = queues_of(role)
    return (tuple(q for q in queues if not q.startswith(USER_QUEUE_PREFIX)),
            tuple(q[len(USER_QUEUE_PREFIX):] for q in queues if q.startswith(USER_QUEUE_PREFIX)))


def resolve_due_date(template: str, data: dict) -> datetime | None:
    """A task's due date from camunda:dueDate: the date-time itself or the variable's
    value (null or absent: no due date). Raises ValueError saying what is wrong."""
    if not template:
        return None
    if template.startswith("{"):
        value = data.get(template.strip("{}"))
        if value is None:
            return None
    else:
        value = template
    moment = parse_due_date(value)
    if moment is None:
        raise ValueError(f"due date {value!r} is not an ISO 8601 date-time with a time zone")
    return moment.astimezone(timezone.utc)  # stored and compared in UTC like every due date


def _problem(file, message, node=None, element_id=None, line=None, column=None) -> dict:
    if node is not None:
        line = line or node.sourceline
        element_id = element_id or _nearest_id(node)
    return {"file": file, "line": line, "column": column, "element_id": element_id,
            "message": message}


class _ModelBuilder:
    def __init__(self, files: dict[str, bytes], forms: dict[str, dict], require_forms: bool,
                 known_groups: Collection[str] | None):
        self.files = dict(sorted(files.items()))
        self.forms = forms
        self.require_forms = require_forms
        self.is_known_group = (is_known_role if known_groups is None
                               else known_in(frozenset(known_groups)))
        self.errors: list[dict] = []
        self.warnings: list[dict] = []
        self.documents: dict[str, etree._ElementTree] = {}  # parsed by SpiffWorkflow too
        self.read: dict[str, object] = {}  # every well-formed BPMN document
        self.decision_files: dict[str, str] = {}  # decision id -> its decision table file
        self.decision_outputs: dict[str, list[str]] = {}  # decision id -> its output names

    def error(self, file: str, message: str, node=None, element_id: str | None = None,
              line: int | None = None, column: int | None = None):
        self.errors.append(_problem(file, message, node, element_id, line, column))

    def warn(self, file: str, message: str, node=None):
        self.warnings.append(_problem(file, message, node))

    def build(self) -> ProcessModel:
        if not self.files:
            raise DiagramInvalid("No diagram to deploy", [
                {"file": None, "line": None, "column": None, "element_id": None,
                 "message": "a deployment needs at least one .bpmn file"}])
        parser = SpiffBpmnParser()
        for name, content in self.files.items():
            self._add_document(parser, name, content)
        self._check_called_elements()
        user_tasks: dict[str, UserTaskMeta] = {}
        for name, doc in self.read.items():
            user_tasks.update(self._user_tasks_of(name, doc))
        processes = self._processes(parser, user_tasks) if not self.errors else {}
        if not self.errors and not processes:
            self.error(next(iter(self.files)), "no executable process in the deployment: "
                       "mark the process executable (isExecutable=\"true\")")
        self._raise_if_errors()
        return ProcessModel(files=self.files, forms=self.forms, parser=parser,
                            processes=processes, user_tasks=user_tasks,
                            warnings=_in_order(self.warnings))

    def _raise_if_errors(self):
        if self.errors:
            count = len(self.errors)
            raise DiagramInvalid(f"{count} problem{'s' if count > 1 else ''} in the deployment",
                                 _in_order(self.errors), _in_order(self.warnings))

    def _add_document(self, parser: SpiffBpmnParser, name: str, content: bytes):
        try:
            doc = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True,
                                                            remove_comments=True))
        except etree.XMLSyntaxError as exc:
            self.error(name, f"XML syntax: {exc.msg}", line=exc.lineno, column=exc.offset)
            return
        if decisions.is_decision_document(doc):
            self._add_decision_tables(parser, name, doc)
            return
        if etree.QName(doc).namespace != BPMN_NS:
            self.error(name, "not a BPMN 2.0 document (root must be bpmn:definitions) nor a "
                             "DMN decision table file (root dmn:definitions)",
                       line=doc.sourceline)
            return
        schema_valid = self._valid_against_schema(name, doc)
        self.read[name] = doc

        def report(severity, message, node):
            (self.error if severity == "error" else self.warn)(name, message, node)

        errors_before = len(self.errors)
        validation.check_document(doc, report)
        if not schema_valid or len(self.errors) > errors_before:
            return  # SpiffWorkflow would only repeat these problems in its own words
        validation.executable_as_drawn(doc)
        try:
            parser.add_bpmn_xml(doc, filename=name)
        except ValidationException as exc:
            self.error(name, str(exc.args[0] if exc.args else exc), element_id=exc.id or None,
                       line=exc.line_number or None)
            return
        self.documents[name] = doc

    def _add_decision_tables(self, parser: SpiffBpmnParser, name: str, doc):
        errors_before = len(self.errors)
        decisions.check_tables(doc, lambda message, node: self.error(name, message, node))
        found = decisions.decisions_of(doc)
        if len(found) != 1:
            self.error(name, f"a .dmn file holds one decision (this one has {len(found)}): "
                             "put each decision table in its own file", line=doc.sourceline)
        for decision in found:
            decision_id = decision.get("id")
            if decision_id in self.decision_files:
                self.error(name, f"decision '{decision_id}' is also defined in "
                                 f"{self.decision_files[decision_id]}", decision)
            self.decision_files[decision_id] = name
            self.decision_outputs[decision_id] = decisions.output_names(decision)
        if len(self.errors) > errors_before:
            return
        try:
            parser.add_dmn_xml(doc, filename=name)
            parser.dmn_parsers[found[0].get("id")].parse()  # now, not when a task needs it
        except Exception as exc:  # SpiffWorkflow's DMN parser raises anything on odd input
            message = (f"missing attribute {exc}" if isinstance(exc, KeyError)
                       else str(exc.args[0] if exc.args else exc))
            self.error(name, f"decision table cannot be read: {message}", found[0])

    def _valid_against_schema(self, name: str, doc) -> bool:
        """BPMN 2.0 XSD (with SpiffWorkflow's extension schema): every violation, with line."""
        VALIDATOR.preprocess(doc)
        schema = VALIDATOR.validator
        if schema.validate(doc):
            return True
        for entry in schema.error_log:
            node = _node_at(doc, entry.path)
            self.error(name, f"BPMN schema: {entry.message}", line=entry.line,
                       column=entry.column or None, element_id=_nearest_id(node))
        return False

    def _check_called_elements(self) -> None:
        """A call activity calls a process of this deployment."""
        process_ids = {p.get("id") for doc in self.read.values()
                       for p in doc.xpath("./bpmn:process", namespaces=NS)}
        for name, doc in self.read.items():
            for call in doc.xpath(".//bpmn:callActivity[@calledElement]", namespaces=NS):
                if call.get("calledElement") not in process_ids:
                    self.error(name, f"called process '{call.get('calledElement')}' is not in "
                                     "the deployment", call)
            for task in decisions.business_rule_tasks(doc):
                ref = decisions.decision_ref(task)
                if ref is None:
                    self.error(name, "business rule task names no decision (set its "
                                     "decision id: spiffworkflow:calledDecisionId or "
                                     "camunda:decisionRef)", task)
                elif ref not in self.decision_files:
                    self.error(name, f"decision '{ref}' is not in the deployment: no .dmn "
                                     "file defines a decision with that id", task)
                elif problem := decisions.result_problem(task, self.decision_outputs[ref]):
                    self.error(name, problem, task)

    def _lanes_of(self, name: str, doc) -> dict[str, object]:
        """element id -> its (innermost) lane. Embedded subprocess contents inherit the lane
        of their subprocess."""
        lanes: dict[str, object] = {}
        for lane in doc.xpath(".//bpmn:lane", namespaces=NS):
            if lane.xpath("./bpmn:childLaneSet", namespaces=NS):
                continue  # a parent lane: its children carry the roles
            for ref in lane.xpath("./bpmn:flowNodeRef", namespaces=NS):
                element_id = (ref.text or "").strip()
                lanes[element_id] = lane
                for inner in doc.xpath(f".//bpmn:subProcess[@id='{element_id}']//*[@id]",
                                       namespaces=NS):
                    lanes.setdefault(inner.get("id"), lane)
        return lanes

    def _user_tasks_of(self, name: str, doc) -> dict[str, UserTaskMeta]:
        lanes = self._lanes_of(name, doc)
        found = {}
        for node in doc.xpath(".//bpmn:userTask", namespaces=NS):
            element_id = node.get("id")
            reading = read_user_task(node, lanes.get(element_id), self.is_known_group)
            for message in reading.problems:
                self.error(name, message, node)
            for message in reading.warnings:
                self.warn(name, message, node)
            form_key = self._form_key(name, node, reading)
            due = reading.due_duration
            if due and not _is_duration(due):
                self.error(name, f"dueDuration '{due}' is not an ISO 8601 duration of weeks, "
                                 f"days, hours or minutes (working time)", node)
            found[f"{name}#{element_id}"] = UserTaskMeta(
                element_id=element_id, name=node.get("name") or element_id,
                role_template=reading.queue, form_key=form_key, due_duration=due,
                notification=extension_properties(node).get("notification") or "task_assigned",
                due_date=reading.due_date, assigned=reading.assigned)
        return found

    def _form_key(self, name: str, node, reading) -> str:
        if reading.form_file:
            keys = [k for k, schema in self.forms.items()
                    if schema.get(FILE_KEY) == reading.form_file]
            if not keys:
                self.error(name, f"form file '{reading.form_file}' is not in the deployment",
                           node)
            return keys[0] if keys else ""
        if reading.form_key and self.require_forms and reading.form_key not in self.forms:
            self.error(name, f"form '{reading.form_key}' is not in the deployment (a JSON "
                             f"Schema file '{reading.form_key}.json' or a .form file with "
                             f"that id)", node)
        return reading.form_key

    def _processes(self, parser: SpiffBpmnParser, user_tasks) -> dict[str, ProcessMeta]:
        processes = {}
        for process_id in parser.get_process_ids():
            try:
                spec = parser.get_spec(process_id)
                subprocesses = parser.get_subprocess_specs(process_id,
                                                           require_call_activity_specs=False)
            except (ValidationException, SpiffWorkflowException) as exc:
                self.error(getattr(exc, "file_name", "") or "", str(exc.args[0] if exc.args else exc),
                           element_id=getattr(exc, "id", None) or None,
                           line=getattr(exc, "line_number", None) or None)
                continue
            missing = [s for s, sub in subprocesses.items() if sub is None]
            for called in missing:
                self.error(spec.file, f"called process '{called}' is not executable",
                           element_id=_caller_of(spec, subprocesses, called))
            if missing:
                continue
            all_specs = [spec, *subprocesses.values()]
            diagrams = {s.file for s in all_specs}
            files = tuple(sorted(diagrams | self._tables_used_in(diagrams)))
            node = self.documents[spec.file].xpath(f".//bpmn:process[@id='{process_id}']",
                                                   namespaces=NS)[0]
            properties = extension_properties(node)
            start_rules = {k: v for k, v in properties.items() if k in START_PROPERTIES}
            start_form = start_rules.get("startForm")
            if start_form and self.require_forms and start_form not in self.forms:
                self.error(spec.file, f"start form '{start_form}' is not in the deployment",
                           node)
            elif not start_form:  # Camunda Modeler names it on the start event
                start_form = self._start_event_form(spec.file, node)
                if start_form:
                    start_rules["startForm"] = start_form
            form_keys = tuple(sorted({
                meta.form_key for key, meta in user_tasks.items()
                if key.split("#", 1)[0] in files and meta.form_key} | (
                    {start_form} if start_form else set())))
            startable = (properties.get("startableBy")
                         or node.get(camunda("candidateStarterGroups")) or "")
            processes[process_id] = ProcessMeta(
                process_id=process_id,
                name=node.get("name") or process_id,
                startable_by=tuple(r.strip() for r in startable.split(",") if r.strip()),
                start_rules=start_rules,
                files=files,
                form_keys=form_keys,
                content_hash=self._content_hash(files, form_keys),
            )
        return processes

    def _start_event_form(self, name: str, process) -> str:
        found = read_start_form(process)
        if found is None:
            return ""
        start, reading = found
        for message in reading.problems:
            self.error(name, message, start)
        return self._form_key(name, start, reading)

    def _tables_used_in(self, diagrams: set[str]) -> set[str]:
        """The decision table files the business rule tasks of these diagrams evaluate."""
        return {self.decision_files[ref] for name in diagrams
                for task in decisions.business_rule_tasks(self.documents[name])
                if (ref := decisions.decision_ref(task)) in self.decision_files}

    def _content_hash(self, files, form_keys) -> str:
        digest = hashlib.sha256()
        for name in files:
            digest.update(name.encode() + b"\0" + self.files[name] + b"\0")
        for key in form_keys:
            digest.update(key.encode() + b"\0" +
                          json.dumps(self.forms.get(key), sort_keys=True).encode() + b"\0")
        return digest.hexdigest()


def _in_order(problems: list[dict]) -> list[dict]:
    return sorted(problems, key=lambda p: (p["file"] or "", p["line"] or 0, p["column"] or 0))


def _node_at(doc, path: str | None):
    namespaces = {prefix: uri for prefix, uri in doc.nsmap.items() if prefix}
    try:
        found = doc.getroottree().xpath(path, namespaces=namespaces) if path else []
    except etree.XPathError:
        return None
    return found[0] if found else None


def _nearest_id(node) -> str | None:
    while node is not None:
        if node.get("id"):
            return node.get("id")
        node = node.getparent()
    return None


def _is_duration(value: str) -> bool:
    try:
        parse_duration(value)
        return True
    except ValueError:
        return False


def _caller_of(spec, subprocesses, called: str) -> str | None:
    for s in [spec, *[v for v in subprocesses.values() if v is not None]]:
        for task_spec in s.task_specs.values():
            if isinstance(task_spec, SubWorkflowTask) and task_spec.spec == called:
                return task_spec.bpmn_id
    return None
