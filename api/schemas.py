"""Marshmallow schemas: what the API accepts (strictly: unknown fields and wrong types are
refused with 422) and the shape of everything it returns. The OpenAPI document is
generated from these same classes."""
from __future__ import annotations

import functools
import re

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates_schema,
)

from api.extension import engine_context
from engine.usecases import (
    EVENT_TYPES,
    INSTANCE_STATUSES,
    MAX_PAGE,
    MAX_SEARCH,
    TASK_COUNT_CAP,
    TASK_COUNTS,
    TASK_SORTS,
    TASK_STATES,
)


@functools.cache
def shared(schema_class: type[Schema]) -> Schema:
    """One instance per schema class for every request: building one deep-copies its declared
    fields (a noticeable part of a cheap request), and dump and load keep no state in it."""
    return schema_class()

# commands.instance_history pages up to this many events (a literal there, not a constant).
MAX_HISTORY_PAGE = 10_000
# PATCH /process-instances/{id}: the statuses an admin may ask for (routes/instances.py
# maps each to its command).
INSTANCE_STATUS_CHANGES = ("suspended", "running", "terminated")


class RequestSchema(Schema):
    class Meta:
        unknown = RAISE


class StrictBoolean(fields.Boolean):
    """JSON true/false only: `"no"` or `0` in a body is a mistake, not a boolean."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


def _limit(default: int = 50, maximum: int = MAX_PAGE):
    return fields.Integer(load_default=default, validate=validate.Range(1, maximum),
                          metadata={"description": f"page size, 1 to {maximum}"})


def _offset():
    return fields.Integer(load_default=0, validate=validate.Range(min=0),
                          metadata={"description": "items to skip"})


# ---------------------------------------------------------------- requests

class TokenRequestSchema(RequestSchema):
    username = fields.String(required=True)
    password = fields.String(required=True, metadata={"format": "password"})


class UserCreateSchema(RequestSchema):
    username = fields.String(required=True)
    password = fields.String(required=True, metadata={"format": "password"})
    full_name = fields.String(load_default=None, allow_none=True)
    email = fields.String(load_default=None, allow_none=True,
                          metadata={"description": "where notifications go"})
    roles = fields.List(fields.String(), required=True)


class UnitCreateSchema(RequestSchema):
    code = fields.String(required=True)
    name = fields.String(required=True)


class UnitUpdateSchema(RequestSchema):
    # Checked here: the engine's update_unit takes any name.
    name = fields.String(validate=validate.Length(1, 200))
    active = StrictBoolean()


class UnitQuerySchema(RequestSchema):
    active_only = fields.Boolean(load_default=False)


class InstanceStartSchema(RequestSchema):
    variables = fields.Dict(keys=fields.String(), load_default=dict,
                            metadata={"description": "start variables; for the LKj "
                                      "procedure {year, units?: [unit codes]}"})
    version = fields.Integer(strict=True, validate=validate.Range(min=1),
                             metadata={"description": "a deployed version; the latest "
                                       "when left out"})


class InstanceQuerySchema(RequestSchema):
    status = fields.String(validate=validate.OneOf(INSTANCE_STATUSES))
    definition_key = fields.String()
    limit = _limit()
    offset = _offset()


class TaskQuerySchema(RequestSchema):
    state = fields.String(validate=validate.OneOf((*TASK_STATES, "open", "all")),
                          metadata={"description": "default: open (ready and claimed)"})
    role = fields.String()
    assignee = fields.String(metadata={"description": "a user name, or `me`"})
    process_instance_id = fields.String()
    due_before = fields.AwareDateTime(metadata={"description": "ISO 8601 with offset"})
    sort = fields.String(validate=validate.OneOf(tuple(TASK_SORTS)),
                         metadata={"description": "default: due_at"})
    limit = _limit()
    offset = _offset()
    count = fields.String(load_default="capped", validate=validate.OneOf(TASK_COUNTS),
                          metadata={"description": f"capped (default): `total` counts at most "
                                    f"{TASK_COUNT_CAP:,} tasks; exact: every matching task "
                                    f"(slower on long queues)"})

    @pre_load
    def restore_plus(self, data, **kwargs):
        return _plus_restored(data, "due_before")


def _plus_restored(data: dict, *names: str) -> dict:
    """An unencoded `+` in a query string arrives as a space: `...T10:00:00 07:00`."""
    for name in names:
        value = data.get(name)
        if isinstance(value, str) and re.fullmatch(r"\S+T\S+ \d\d(:?\d\d)?", value):
            data = dict(data, **{name: value.replace(" ", "+")})
    return data


class TaskCompleteSchema(RequestSchema):
    data = fields.Dict(keys=fields.String(), required=True,
                       metadata={"description": "the form data, checked against the "
                                 "task's form schema"})


class UserUpdateSchema(RequestSchema):
    full_name = fields.String()
    roles = fields.List(fields.String(), metadata={"description": "replaces the user's roles"})
    active = StrictBoolean(metadata={"description": "false: the user's tokens stop working"})
    password = fields.String(metadata={"format": "password"})
    email = fields.String(metadata={"description": "where notifications go; empty removes it"})


class InstanceStatusChangeSchema(RequestSchema):
    status = fields.String(required=True, validate=validate.OneOf(INSTANCE_STATUS_CHANGES),
                           metadata={"description": "suspended: hold a running instance; "
                                     "running: resume a suspended one; terminated: end it "
                                     "and cancel its open tasks"})
    reason = fields.String(metadata={"description": "why it is terminated (recorded in the "
                                     "history); only with status terminated"})

    @validates_schema
    def reason_only_when_terminating(self, data, **kwargs):
        if "reason" in data and data["status"] != "terminated":
            raise ValidationError("only with status 'terminated'", "reason")


class InstanceRetrySchema(RequestSchema):
    data = fields.Dict(keys=fields.String(), load_default=dict,
                       metadata={"description": "variables that fix what the failed step "
                                 "reads, e.g. {parts: 4}"})


class HistoryQuerySchema(RequestSchema):
    type_ = fields.String(data_key="type", validate=validate.OneOf(EVENT_TYPES),
                          metadata={"description": "only events of this type"})
    limit = _limit(default=100, maximum=MAX_HISTORY_PAGE)
    offset = _offset()


class CompletedTaskQuerySchema(RequestSchema):
    role = fields.String()
    user = fields.String(metadata={"description": "who completed the task"})
    completed_from = fields.AwareDateTime(data_key="from", metadata={
        "description": "completed at or after; ISO 8601 with offset"})
    completed_to = fields.AwareDateTime(data_key="to", metadata={
        "description": "completed before; ISO 8601 with offset"})
    limit = _limit(default=100)
    offset = _offset()

    @pre_load
    def restore_plus(self, data, **kwargs):
        return _plus_restored(data, "from", "to")


class SlaQuerySchema(RequestSchema):
    period_start = fields.AwareDateTime(data_key="from", required=True, metadata={
        "description": "the period's start (inclusive); ISO 8601 with offset"})
    period_end = fields.AwareDateTime(data_key="to", required=True, metadata={
        "description": "the period's end (exclusive); ISO 8601 with offset"})
    definition_key = fields.String()
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))
    table = fields.String(load_default="steps", validate=validate.OneOf(["steps", "breaches"]),
                          metadata={"description": "with format=csv: which table"})

    @pre_load
    def restore_plus(self, data, **kwargs):
        return _plus_restored(data, "from", "to")


# ---------------------------------------------------------------- responses

class TokenSchema(Schema):
    access_token = fields.String()
    token_type = fields.String(metadata={"example": "Bearer"})
    expires_in = fields.Integer(metadata={"description": "seconds"})


class MeSchema(Schema):
    username = fields.String()
    full_name = fields.String(allow_none=True)
    roles = fields.List(fields.String())


class UserSchema(MeSchema):
    active = fields.Boolean()
    email = fields.String(allow_none=True)


class MigrationRequestSchema(RequestSchema):
    to_version = fields.Integer(required=True, validate=validate.Range(min=1))
    dry_run = StrictBoolean(load_default=False, metadata={
        "description": "only say whether the move is allowed; store nothing"})


class CalendarDayChangeSchema(RequestSchema):
    closed = StrictBoolean(required=True, metadata={
        "description": "true: a holiday or collective leave; false: a file's holiday opened again"})
    name = fields.String(load_default=None, allow_none=True)
    kind = fields.String(load_default="office", validate=validate.OneOf(
        ["national", "collective_leave", "office"]))


class ClosedDaySchema(Schema):
    date = fields.String()
    name = fields.String()
    kind = fields.String()
    source = fields.String(metadata={"description": "file (committed calendar) or admin"})


class CalendarSchema(Schema):
    year = fields.Integer()
    timezone = fields.String()
    working_hours = fields.Dict(keys=fields.String(), values=fields.String())
    working_days = fields.List(fields.Integer(), metadata={"description": "ISO: Monday = 1"})
    from_file = fields.Boolean(metadata={"description": "a committed (not provisional) "
                                                        "calendar covers the year"})
    closed_days = fields.List(fields.Nested(ClosedDaySchema))
    reopened_days = fields.List(fields.String())


class UserListSchema(Schema):
    items = fields.List(fields.Nested(UserSchema))


class UnitSchema(Schema):
    code = fields.String()
    name = fields.String()
    active = fields.Boolean()


class UnitListSchema(Schema):
    items = fields.List(fields.Nested(UnitSchema))


class DefinitionSchema(Schema):
    key = fields.String()
    version = fields.Integer()
    name = fields.String()
    deployed_at = fields.DateTime()
    startable_by = fields.List(fields.String())


class DefinitionListSchema(Schema):
    items = fields.List(fields.Nested(DefinitionSchema))


class DeployedDefinitionSchema(DefinitionSchema):
    created = fields.Boolean(metadata={"description": "true: this deployment made this "
                                       "version; false: the process was unchanged"})


class DeploymentProblemSchema(Schema):
    file = fields.String(allow_none=True)
    line = fields.Integer(allow_none=True)
    column = fields.Integer(allow_none=True)
    element_id = fields.String(allow_none=True)
    message = fields.String()


class DeploymentSchema(Schema):
    definitions = fields.List(fields.Nested(DeployedDefinitionSchema))
    warnings = fields.List(fields.Nested(DeploymentProblemSchema), metadata={
        "description": "what deployed but deserves attention, e.g. a form that does not "
                       "say additionalProperties: false (fields it does not declare are "
                       "dropped at completion)"})


class TaskSchema(Schema):
    id = fields.String()
    name = fields.String()
    element_id = fields.String()
    process_instance_id = fields.String()
    definition_key = fields.String()
    role = fields.String()
    assignee = fields.String(allow_none=True)
    state = fields.String(metadata={"enum": list(TASK_STATES)})
    created_at = fields.DateTime()
    due_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    completed_by = fields.String(allow_none=True)
    form_key = fields.String()
    subject = fields.String(allow_none=True, metadata={
        "description": "what the task is about: the document title or the unit its "
                       "sub-process was called for"})
    phase = fields.String(allow_none=True, metadata={
        "description": "the phase of the procedure: the top-level call activity it runs under"})
    overdue = fields.Method("_overdue", metadata={
        "type": "boolean", "description": "open past its due date, or completed after it"})

    def _overdue(self, task) -> bool:
        return task.is_overdue(engine_context().clock.now())  # the engine's clock


class TaskPageSchema(Schema):
    items = fields.List(fields.Nested(TaskSchema))
    total = fields.Integer()


class TaskQueuePageSchema(TaskPageSchema):
    """A page of a queue (GET /tasks): its total may be a cap."""
    total = fields.Integer(metadata={
        "description": f"the matching tasks; with count=capped (the default) at most "
                       f"{TASK_COUNT_CAP:,}: when more match, {TASK_COUNT_CAP:,} and "
                       f"total_exact is false"})
    total_exact = fields.Boolean(metadata={
        "description": "true: total is the number of matching tasks; false: more than "
                       "total match (ask count=exact for the number)"})


class TaskFormSchema(Schema):
    form_key = fields.String()
    # Named `schema` in JSON; a different attribute name keeps it apart from Schema itself.
    form_schema = fields.Dict(data_key="schema",
                              metadata={"description": "JSON Schema (draft 2020-12)"})


class TaskVariablesSchema(Schema):
    variables = fields.Dict(metadata={"description": "the data the task sees (open) or saw "
                                      "(completed)"})


class CompletionSchema(Schema):
    task = fields.Nested(TaskSchema)
    next_tasks = fields.List(fields.Nested(TaskSchema))


class InstanceSummarySchema(Schema):
    id = fields.String()
    definition_key = fields.String()
    definition_version = fields.Integer()
    status = fields.String(metadata={"enum": list(INSTANCE_STATUSES)})
    started_at = fields.DateTime()
    started_by = fields.String(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)
    error = fields.String(allow_none=True)


class InstanceSchema(InstanceSummarySchema):
    open_tasks = fields.List(fields.Nested(TaskSchema))


class InstancePageSchema(Schema):
    items = fields.List(fields.Nested(InstanceSummarySchema))
    total = fields.Integer()


class DocumentSchema(Schema):
    id = fields.String()
    process_instance_id = fields.String()
    filename = fields.String()
    sha256 = fields.String()
    size = fields.Integer()
    content_type = fields.String()
    uploaded_by = fields.String()
    uploaded_at = fields.DateTime()


class EventSchema(Schema):
    seq = fields.Integer()
    occurred_at = fields.String(metadata={"format": "date-time"})
    actor = fields.String()
    type = fields.String(metadata={"enum": list(EVENT_TYPES)})
    element_id = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)
    payload = fields.Dict()
    prev_hash = fields.String(metadata={"description": "the hash of the event before; "
                                        "64 zeros for the first"})
    hash = fields.String(metadata={"description": "sha256 of the event's canonical JSON"})


class EventPageSchema(Schema):
    events = fields.List(fields.Nested(EventSchema), attribute="items")
    total = fields.Integer()


class DivergenceSchema(Schema):
    seq = fields.Integer(allow_none=True, metadata={
        "description": "the event where replay and history part; null: the stored state"})
    event_type = fields.String(allow_none=True)
    what = fields.String()
    expected = fields.Raw(allow_none=True, metadata={"description": "any JSON value"})
    found = fields.Raw(allow_none=True, metadata={"description": "any JSON value"})


class ReplaySchema(Schema):
    consistent = fields.Boolean()
    events_replayed = fields.Integer()
    divergence = fields.Nested(DivergenceSchema, allow_none=True)


class HealthSchema(Schema):
    status = fields.String(metadata={"example": "ok"})


class ProblemSchema(Schema):
    """RFC 9457 problem details."""
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String()
    errors = fields.Raw(metadata={
        "description": "field errors {field: [messages]}, or for a diagram a list of "
                       "{file, line, column, element_id, message}"})


class MigrationSchema(Schema):
    process_instance_id = fields.String()
    from_version = fields.Integer()
    to_version = fields.Integer()
    allowed = fields.Boolean()
    reasons = fields.List(fields.String(), metadata={"description": "why it is refused"})
    dry_run = fields.Boolean()
    open_tasks = fields.List(fields.Nested(TaskSchema))


class MigrationListSchema(Schema):
    items = fields.List(fields.Nested(MigrationSchema))


class PasswordChangeSchema(RequestSchema):
    """POST /me/password: the caller replaces its own password."""
    current_password = fields.String(required=True, metadata={"format": "password"})
    new_password = fields.String(required=True, metadata={
        "format": "password", "description": "at least 8 characters"})


# ---------------------------------------------------------------- following an instance

class TaskSearchQuerySchema(TaskQuerySchema):
    """GET /tasks: the queue filters, and a process and a search."""
    definition_key = fields.String(metadata={"description": "only this process's tasks"})
    search = fields.String(validate=validate.Length(max=MAX_SEARCH), metadata={
        "description": "tasks whose name, subject or phase contains this (any case)"})


class DocumentListSchema(Schema):
    items = fields.List(fields.Nested(DocumentSchema))


class TimelineEntrySchema(Schema):
    seq = fields.Integer()
    occurred_at = fields.DateTime()
    actor = fields.String(metadata={"description": "a user name, or system"})
    actor_name = fields.String(allow_none=True, metadata={"description": "the user's full name"})
    type = fields.String(metadata={"enum": list(EVENT_TYPES)})
    element_id = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)
    task_name = fields.String(allow_none=True)
    subject = fields.String(allow_none=True)
    details = fields.Dict(metadata={
        "description": "what the event tells besides: role and due_at of a new task, the "
                       "decision of a completed check, a document's filename, an error "
                       "message, a reason; never the form data"})


class TimelineSchema(Schema):
    items = fields.List(fields.Nested(TimelineEntrySchema))


class CallSchema(Schema):
    element_id = fields.String(metadata={"description": "the call activity"})
    runs = fields.List(fields.Nested("ProcessRunSchema"), metadata={
        "description": "the sub-process runs it started: one per round or item"})


class ProcessRunSchema(Schema):
    workflow_id = fields.String(metadata={"description": "empty for the top-level process"})
    process_id = fields.String()
    process_name = fields.String()
    file = fields.String(allow_none=True, metadata={"description": "its key in `diagrams`"})
    subject = fields.String(allow_none=True)
    completed = fields.List(fields.String(), metadata={"description": "finished element ids"})
    active = fields.List(fields.String(), metadata={
        "description": "element ids under way: a task waiting, a running call activity, a "
                       "waiting timer"})
    open_tasks = fields.List(fields.Nested(TaskSchema))
    calls = fields.List(fields.Nested(CallSchema))


class DiagramSchema(Schema):
    process_instance_id = fields.String()
    definition_key = fields.String()
    definition_version = fields.Integer()
    status = fields.String(metadata={"enum": list(INSTANCE_STATUSES)})
    diagrams = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "file name -> BPMN XML, as deployed"})
    root = fields.Nested(ProcessRunSchema)


class StartableProcessSchema(Schema):
    definition = fields.Nested(DefinitionSchema)
    start_form_key = fields.String(allow_none=True)
    start_form = fields.Dict(allow_none=True, metadata={
        "description": "JSON Schema of the start variables; null: none are asked"})
    units_variable = fields.String(allow_none=True, metadata={
        "description": "the start variable listing unit codes (default: every active unit)"})
    starter_unit_variable = fields.String(allow_none=True, metadata={
        "description": "the start variable filled with the starter's own unit"})


class StartableProcessListSchema(Schema):
    items = fields.List(fields.Nested(StartableProcessSchema))
