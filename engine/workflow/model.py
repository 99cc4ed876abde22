"""The deployable process model: parse a set of diagrams and forms into executable specs
plus the metadata the engine reads from them (role, form key, due duration per user task).

Everything a diagram can get wrong is reported here, before anything is stored, as a list of
`{file, line, column, element_id, message}`: all problems at once, not the first one.
"""
from __future__ import annotations

import hashlib
import json
import re
import string
from dataclasses import dataclass, field

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from engine.errors import DiagramInvalid
from engine.workflow.sandbox import check_source
from engine.worktime.calendar import parse_duration

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}

# Roles a lane may name. `satuan_kerja:<UNIT>` queues are per unit, so a lane names the
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
    role_template: str
    form_key: str
    due_duration: str
    # The kind of notification sent when the task becomes ready: `task_assigned` unless the
    # diagram says otherwise (an escalation task says `escalation`).
    notification: str = "task_assigned"


# Process-level properties that say how an instance starts (see docs/modelling.md).
START_PROPERTIES = ("startForm", "unitsVariable", "starterUnitVariable")


@dataclass(frozen=True)
class ProcessMeta:
    process_id: str
    name: str
    startable_by: tuple[str, ...]
    start_rules: dict  # the START_PROPERTIES the process sets
    files: tuple[str, ...]  # the diagram files this process and everything it calls live in
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

    @classmethod
    def from_files(cls, files: dict[str, bytes], forms: dict[str, dict] | None = None,
                   require_forms: bool = True) -> "ProcessModel":
        """Parse `.bpmn` files (name -> bytes) and form schemas (form key -> schema).

        Raises DiagramInvalid listing every problem found.
        """
        return _ModelBuilder(files, forms or {}, require_forms).build()

    def spec_and_subprocesses(self, process_id: str):
        return (self.parser.get_spec(process_id),
                self.parser.get_subprocess_specs(process_id))

    def user_task_meta(self, task_spec) -> UserTaskMeta | None:
        return self.user_tasks.get(user_task_key(task_spec))


def user_task_key(task_spec) -> str:
    """Element ids are unique within a diagram file, so file + id names a user task."""
    return f"{task_spec._wf_spec.file}#{task_spec.bpmn_id}"


def resolve_role(template: str, data: dict) -> str:
    """Fill `{name}` placeholders of a lane role from task data (e.g. `satuan_kerja:{unit}`)."""
    fields = [name for _, name, _, _ in string.Formatter().parse(template) if name]
    missing = [name for name in fields if name not in data]
    if missing:
        raise KeyError(f"role '{template}' needs task data {', '.join(missing)}")
    return template.format_map({name: data[name] for name in fields})


def extension_properties(node) -> dict[str, str]:
    props = node.xpath("./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property",
                       namespaces=NS)
    return {p.get("name"): p.get("value", "") for p in props}


class _ModelBuilder:
    def __init__(self, files: dict[str, bytes], forms: dict[str, dict], require_forms: bool):
        self.files = dict(sorted(files.items()))
        self.forms = forms
        self.require_forms = require_forms
        self.errors: list[dict] = []
        self.documents: dict[str, etree._ElementTree] = {}

    def error(self, file: str, message: str, node=None, element_id: str | None = None,
              line: int | None = None, column: int | None = None):
        if node is not None:
            line = line or node.sourceline
            element_id = element_id or node.get("id")
        self.errors.append({"file": file, "line": line, "column": column,
                            "element_id": element_id, "message": message})

    def build(self) -> ProcessModel:
        if not self.files:
            raise DiagramInvalid("No diagram to deploy", [
                {"file": None, "line": None, "column": None, "element_id": None,
                 "message": "a deployment needs at least one .bpmn file"}])
        parser = SpiffBpmnParser()
        for name, content in self.files.items():
            self._add_document(parser, name, content)
        self._raise_if_errors()

        user_tasks: dict[str, UserTaskMeta] = {}
        for name, doc in self.documents.items():
            user_tasks.update(self._user_tasks_of(name, doc))
        processes = self._processes(parser, user_tasks)
        self._raise_if_errors()
        return ProcessModel(files=self.files, forms=self.forms, parser=parser,
                            processes=processes, user_tasks=user_tasks)

    def _raise_if_errors(self):
        if self.errors:
            count = len(self.errors)
            raise DiagramInvalid(f"{count} problem{'s' if count > 1 else ''} in the deployment",
                                 self.errors)

    def _add_document(self, parser: SpiffBpmnParser, name: str, content: bytes):
        try:
            doc = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True,
                                                            remove_comments=True))
        except etree.XMLSyntaxError as exc:
            self.error(name, f"XML syntax: {exc.msg}", line=exc.lineno, column=exc.offset)
            return
        if etree.QName(doc).namespace != BPMN_NS:
            self.error(name, "not a BPMN 2.0 document (root must be bpmn:definitions)",
                       line=doc.sourceline)
            return
        if not self._valid_against_schema(name, doc):
            return
        self._check_expressions(name, doc)
        try:
            parser.add_bpmn_xml(doc, filename=name)
        except ValidationException as exc:
            self.error(name, str(exc.args[0] if exc.args else exc), element_id=exc.id or None,
                       line=exc.line_number or None)
            return
        self.documents[name] = doc

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

    def _check_expressions(self, name: str, doc) -> None:
        """Scripts, conditions and timer expressions must compile in the sandbox."""
        for xpath, mode, what in _EXPRESSIONS:
            for node in doc.xpath(xpath, namespaces=NS):
                source = (node.text or "").strip()
                if not source:
                    continue
                reason = check_source(source, mode)
                if reason:
                    self.error(name, f"{what} does not compile: {reason}", line=node.sourceline,
                               element_id=_nearest_id(node))

    def _lane_roles(self, name: str, doc) -> dict[str, tuple[str, object]]:
        """element id -> (role template, lane node). Embedded subprocess contents inherit
        the lane of their subprocess."""
        roles: dict[str, tuple[str, object]] = {}
        for lane in doc.xpath(".//bpmn:lane", namespaces=NS):
            if lane.xpath("./bpmn:childLaneSet", namespaces=NS):
                continue  # a parent lane: its children carry the roles
            role = extension_properties(lane).get("role")
            refs = [ref.text.strip() for ref in lane.xpath("./bpmn:flowNodeRef", namespaces=NS)
                    if ref.text]
            if role is None:
                if refs:
                    self.error(name, f"lane '{lane.get('name')}' has no 'role' property", lane)
                continue
            # A role that is only a placeholder (`{final_signer}`) is checked when it resolves.
            if not _is_placeholder(role) and not is_known_role(_role_shape(role)):
                self.error(name, f"lane '{lane.get('name')}' names an unknown role '{role}'", lane)
            for ref in refs:
                roles[ref] = (role, lane)
                for inner in doc.xpath(f".//bpmn:subProcess[@id='{ref}']//*[@id]", namespaces=NS):
                    roles.setdefault(inner.get("id"), (role, lane))
        return roles

    def _user_tasks_of(self, name: str, doc) -> dict[str, UserTaskMeta]:
        roles = self._lane_roles(name, doc)
        found = {}
        for node in doc.xpath(".//bpmn:userTask", namespaces=NS):
            element_id = node.get("id")
            props = extension_properties(node)
            form_key = props.get("formKey")
            due = props.get("dueDuration")
            role = roles.get(element_id, (None, None))[0]
            if not form_key:
                self.error(name, "user task has no 'formKey' property", node)
            elif self.require_forms and form_key not in self.forms:
                self.error(name, f"form '{form_key}' has no schema in forms/", node)
            if not due:
                self.error(name, "user task has no 'dueDuration' property", node)
            elif not _is_duration(due):
                self.error(name, f"dueDuration '{due}' is not an ISO 8601 duration of weeks, "
                                 f"days, hours or minutes (working time)", node)
            if role is None:
                self.error(name, "user task is in no lane with a 'role' property", node)
            found[f"{name}#{element_id}"] = UserTaskMeta(
                element_id=element_id, name=node.get("name") or element_id,
                role_template=role or "", form_key=form_key or "", due_duration=due or "",
                notification=props.get("notification") or "task_assigned")
        return found

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
                self.error(spec.file, f"called process '{called}' is not in the deployment",
                           element_id=_caller_of(spec, subprocesses, called))
            if missing:
                continue
            all_specs = [spec, *subprocesses.values()]
            files = tuple(sorted({s.file for s in all_specs}))
            node = self.documents[spec.file].xpath(f".//bpmn:process[@id='{process_id}']",
                                                   namespaces=NS)[0]
            properties = extension_properties(node)
            start_rules = {k: v for k, v in properties.items() if k in START_PROPERTIES}
            start_form = start_rules.get("startForm")
            if start_form and self.require_forms and start_form not in self.forms:
                self.error(spec.file, f"start form '{start_form}' has no schema in forms/", node)
            form_keys = tuple(sorted({
                meta.form_key for key, meta in user_tasks.items()
                if key.split("#", 1)[0] in files and meta.form_key} | (
                    {start_form} if start_form else set())))
            startable = properties.get("startableBy", "")
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

    def _content_hash(self, files, form_keys) -> str:
        digest = hashlib.sha256()
        for name in files:
            digest.update(name.encode() + b"\0" + self.files[name] + b"\0")
        for key in form_keys:
            digest.update(key.encode() + b"\0" +
                          json.dumps(self.forms.get(key), sort_keys=True).encode() + b"\0")
        return digest.hexdigest()


_EXPRESSIONS = (
    (".//bpmn:conditionExpression", "eval", "condition"),
    (".//bpmn:scriptTask/bpmn:script", "exec", "script"),
    (".//spiffworkflow:preScript", "exec", "pre-script"),
    (".//spiffworkflow:postScript", "exec", "post-script"),
    (".//bpmn:timeDuration", "eval", "timer expression"),
    (".//bpmn:timeDate", "eval", "timer expression"),
    (".//bpmn:timeCycle", "eval", "timer expression"),
    (".//bpmn:loopCardinality", "eval", "loop cardinality"),
    (".//bpmn:completionCondition", "eval", "completion condition"),
    (".//bpmn:loopCondition", "eval", "loop condition"),
)


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


def _role_shape(template: str) -> str:
    """`satuan_kerja:{unit}` -> `satuan_kerja:x`, so the known-role check sees a unit role."""
    return re.sub(r"\{[^}]*\}", "x", template)


def _is_placeholder(template: str) -> bool:
    return re.fullmatch(r"\{[A-Za-z_][A-Za-z0-9_]*\}", template) is not None


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
