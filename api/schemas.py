"""Marshmallow schemas: what the API accepts (strictly: unknown fields and wrong types are
refused with 422) and the shape of everything it returns. The OpenAPI document is
generated from these same classes, so every limit a request schema checks is stated there
too: bounds and formats of numbers, patterns and lengths of strings (the engine's own limits
come from engine/usecases/constraints.py, defined once)."""
from __future__ import annotations

import functools
import re
from datetime import datetime, timezone

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
from engine import usecases
from engine.usecases import (
    BUSINESS_KEY_MAX_LENGTH,
    CALENDAR_DAY_NAME_MAX_LENGTH,
    CALENDAR_DAY_PATTERN,
    CALENDAR_KINDS,
    EMAIL_MAX_LENGTH,
    EMAIL_PATTERN,
    EVENT_NAME_MAX_LENGTH,
    EVENT_TYPES,
    EXTERNAL_FETCH_MAX,
    EXTERNAL_LOCK_MAX_MS,
    EXTERNAL_WAIT_MAX_MS,
    FIRST_CALENDAR_YEAR,
    FULL_NAME_MAX_LENGTH,
    GROUP_DESCRIPTION_MAX_LENGTH,
    GROUP_NAME_PATTERN,
    GROUP_NAME_RULE,
    INSTANCE_STATUSES,
    INT32_MAX,
    LAST_CALENDAR_YEAR,
    MAX_HISTORY_PAGE,
    MAX_OFFSET,
    MAX_PAGE,
    MAX_SEARCH,
    MAX_VERSION,
    NOT_BLANK_PATTERN,
    PASSWORD_MIN_LENGTH,
    ROLE_PATTERN,
    ROLE_RULE,
    TASK_COUNT_CAP,
    TASK_COUNTS,
    TASK_SORTS,
    TASK_STATES,
    UNIT_CODE_PATTERN,
    UNIT_CODE_RULE,
    UNIT_NAME_MAX_LENGTH,
    USERNAME_MAX_LENGTH,
    USERNAME_PATTERN,
    USERNAME_RULE,
)


@functools.cache
def shared(schema_class: type[Schema]) -> Schema:
    """One instance per schema class for every request: building one deep-copies its declared
    fields (a noticeable part of a cheap request), and dump and load keep no state in it."""
    return schema_class()


# PATCH /process-instances/{id}: the statuses an admin may ask for (routes/instances.py
# maps each to its command).
INSTANCE_STATUS_CHANGES = ("suspended", "running", "terminated")
# PostgreSQL can neither store nor compare text holding NUL, so no string the API reads may
# hold one; a string field without a pattern of its own is documented with this one.
NUL_FREE = r"^[^\x00]*$"
INT32_MIN = -(2**31)
ASCII_INTEGER = re.compile(r"-?[0-9]+")
# The instants a date-time field hands on: any RFC 3339 value in years 1-9999 becomes UTC,
# where the extremes (0001-01-01T00:00+01:00) would fall outside what Python represents.
EARLIEST = datetime.min.replace(tzinfo=timezone.utc)
LATEST = datetime.max.replace(tzinfo=timezone.utc)


def anchored(pattern: str) -> str:
    """A whole-value pattern (engine style, for re.fullmatch) as JSON Schema writes it."""
    return f"^(?:{pattern})$"


class RequestSchema(Schema):
    class Meta:
        unknown = RAISE


class Text(fields.String):
    """A string without NUL. With `pattern` (whole-value, as the engine writes it) the value
    must match it; the pattern is stated in the OpenAPI document either way."""

    default_error_messages = {"nul": "must not contain the NUL character",
                              "pattern": "does not have the expected form"}

    def __init__(self, *, pattern: str | None = None, pattern_error: str | None = None,
                 **kwargs):
        metadata = dict(kwargs.pop("metadata", None) or {})
        metadata.setdefault("pattern", anchored(pattern) if pattern else NUL_FREE)
        super().__init__(metadata=metadata, **kwargs)
        self.whole = re.compile(pattern) if pattern else None
        if pattern_error:
            self.error_messages = {**self.error_messages, "pattern": pattern_error}

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in value:
            raise self.make_error("nul")
        if self.whole is not None and not self.whole.fullmatch(value):
            raise self.make_error("pattern")
        return value


class WholeNumber(fields.Integer):
    """An integer within bounds, stated as minimum/maximum and int32/int64 in the document.
    In a JSON body only a JSON integer; in a query or path only ASCII digits (Python's int()
    would also take `1_000`, ` 7` or other scripts' digits)."""

    def __init__(self, minimum: int, maximum: int, *, in_text: bool = False, **kwargs):
        metadata = dict(kwargs.pop("metadata", None) or {})
        metadata.setdefault("format", "int32" if INT32_MIN <= minimum and maximum <= INT32_MAX
                            else "int64")
        super().__init__(strict=not in_text, validate=validate.Range(minimum, maximum),
                         metadata=metadata, **kwargs)
        self.in_text = in_text

    def _validated(self, value):
        if self.in_text and isinstance(value, str) and not ASCII_INTEGER.fullmatch(value):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


class StrictBoolean(fields.Boolean):
    """JSON true/false only: `"no"` or `0` in a body is a mistake, not a boolean."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class QueryBoolean(fields.Boolean):
    """`true` or `false` in a query string, as the document's boolean is written there."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value not in ("true", "false"):
            raise self.make_error("invalid", input=value)
        return value == "true"


class Instant(fields.AwareDateTime):
    """An RFC 3339 date-time with an offset, handed on in UTC. Values beyond what Python
    represents in UTC (the first and last hours of years 1 and 9999) mean the earliest or
    latest instant: as bounds of a filter they select the same."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = value.upper()  # RFC 3339 allows `t` and `z`
        parsed = super()._deserialize(value, attr, data, **kwargs)
        try:
            return parsed.astimezone(timezone.utc)
        except OverflowError:
            return EARLIEST if parsed.year == 1 else LATEST


def _limit(default: int = 50, maximum: int = MAX_PAGE):
    return WholeNumber(1, maximum, in_text=True, load_default=default,
                       metadata={"description": f"page size, 1 to {maximum}"})


def _offset():
    return WholeNumber(0, MAX_OFFSET, in_text=True, load_default=0,
                       metadata={"description": f"items to skip, at most {MAX_OFFSET:,}"})


def _version(**kwargs):
    return WholeNumber(1, MAX_VERSION, **kwargs)


def _roles(description: str, **kwargs):
    # Checked as a list, so the error names `roles` and each unknown role, as the engine
    # does, in the same answer as the other fields' problems. Which groups exist is data
    # (GET /groups); the pattern states their shape.
    return fields.List(Text(metadata={"pattern": anchored(ROLE_PATTERN)}),
                       validate=_known_roles, metadata={"description": description}, **kwargs)


def _known_roles(roles: list[str]) -> None:
    wrong = [role for role in roles if not re.fullmatch(ROLE_PATTERN, role)]
    known = usecases.known_groups(engine_context()) if len(wrong) < len(roles) else set()
    unknown = [role for role in roles if role not in wrong and role not in known]
    if wrong or unknown:
        raise ValidationError([f"unknown role '{role}': {ROLE_RULE}" for role in wrong]
                              + [f"unknown role '{role}'" for role in unknown])


def _email(**kwargs):
    return Text(pattern=f"(?:{EMAIL_PATTERN})?", validate=validate.Length(max=EMAIL_MAX_LENGTH),
                pattern_error="is not an e-mail address", **kwargs)


def _business_key(**kwargs):
    return Text(validate=validate.Length(1, BUSINESS_KEY_MAX_LENGTH), metadata={
        "description": "the instance's key in the business (a letter number, a report "
                       "id): messages correlate by it"}, **kwargs)


def _event_name():
    return Text(required=True, pattern=NOT_BLANK_PATTERN,
                validate=validate.Length(1, EVENT_NAME_MAX_LENGTH),
                pattern_error="must not be blank",
                metadata={"description": "the name of the message or signal as the diagram "
                                         "names it (bpmn:message/bpmn:signal name)"})


def _event_variables():
    return fields.Dict(keys=fields.String(), load_default=dict, metadata={
        "description": "variables the receiving instances (or the instances started) get"})


# ---------------------------------------------------------------- path parameters

class CalendarYearPath(RequestSchema):
    year = WholeNumber(FIRST_CALENDAR_YEAR, LAST_CALENDAR_YEAR, in_text=True, required=True)


class CalendarDayPath(RequestSchema):
    date = fields.Date(required=True, metadata={
        "pattern": anchored(CALENDAR_DAY_PATTERN),
        "description": f"YYYY-MM-DD, in the years {FIRST_CALENDAR_YEAR} to "
                       f"{LAST_CALENDAR_YEAR} that the calendar covers"})

    @validates_schema
    def covered_year(self, data, **kwargs):
        if not FIRST_CALENDAR_YEAR <= data["date"].year <= LAST_CALENDAR_YEAR:
            raise ValidationError(f"the calendar covers the years {FIRST_CALENDAR_YEAR} to "
                                  f"{LAST_CALENDAR_YEAR}", "date")


class DefinitionVersionPath(RequestSchema):
    key = Text(required=True)
    version = _version(in_text=True, required=True)


class InstancePath(RequestSchema):
    instance_id = Text(required=True, metadata={"format": "uuid"})


class TaskPath(RequestSchema):
    task_id = Text(required=True, metadata={"format": "uuid"})


class DocumentPath(RequestSchema):
    document_id = Text(required=True, metadata={"format": "uuid"})


class GroupPath(RequestSchema):
    # Not checked against the pattern: a name no group can have is simply not found (404).
    name = Text(required=True, metadata={"pattern": anchored(ROLE_PATTERN)})


class GroupMemberPath(GroupPath):
    username = Text(required=True)


class DeploymentPath(RequestSchema):
    deployment_id = WholeNumber(1, INT32_MAX, in_text=True, required=True)


class DefinitionKeyPath(RequestSchema):
    key = Text(required=True)


class UnitPath(RequestSchema):
    # Not checked against the pattern: a code no unit can have is simply not found (404).
    code = Text(required=True, metadata={"pattern": anchored(UNIT_CODE_PATTERN)})


# ---------------------------------------------------------------- requests

class TokenRequestSchema(RequestSchema):
    username = Text(required=True)
    password = Text(required=True, metadata={"format": "password"})


class UserCreateSchema(RequestSchema):
    username = Text(required=True, pattern=USERNAME_PATTERN, pattern_error=USERNAME_RULE,
                    metadata={"minLength": 1, "maxLength": USERNAME_MAX_LENGTH})
    password = Text(required=True, validate=validate.Length(min=PASSWORD_MIN_LENGTH),
                    metadata={"format": "password"})
    full_name = Text(load_default=None, allow_none=True,
                     validate=validate.Length(max=FULL_NAME_MAX_LENGTH))
    email = _email(load_default=None, allow_none=True,
                   metadata={"description": "where notifications go"})
    roles = _roles("role names; `satuan_kerja:<UNIT>` names a registered unit (422 "
                   "otherwise)", required=True)


class UnitCreateSchema(RequestSchema):
    code = Text(required=True, pattern=UNIT_CODE_PATTERN, pattern_error=UNIT_CODE_RULE)
    name = Text(required=True, validate=validate.Length(1, UNIT_NAME_MAX_LENGTH))


class UnitUpdateSchema(RequestSchema):
    name = Text(validate=validate.Length(1, UNIT_NAME_MAX_LENGTH))
    active = StrictBoolean()


class GroupCreateSchema(RequestSchema):
    name = Text(required=True, pattern=GROUP_NAME_PATTERN, pattern_error=GROUP_NAME_RULE)
    description = Text(validate=validate.Length(max=GROUP_DESCRIPTION_MAX_LENGTH),
                       allow_none=True)


class DeploymentQuerySchema(RequestSchema):
    limit = _limit()
    offset = _offset()


class UnitQuerySchema(RequestSchema):
    active_only = QueryBoolean(load_default=False)


class InstanceStartSchema(RequestSchema):
    variables = fields.Dict(keys=fields.String(), load_default=dict,
                            metadata={"description": "start variables, checked against the "
                                      "process's start form (422 names what does not fit); "
                                      "for the LKj procedure {year, units?: [unit codes of "
                                      "active units]}"})
    version = _version(metadata={"description": "a deployed version; the latest when left "
                                                "out"})
    business_key = _business_key()


class InstanceQuerySchema(RequestSchema):
    status = fields.String(validate=validate.OneOf(INSTANCE_STATUSES))
    definition_key = Text()
    limit = _limit()
    offset = _offset()


class TaskQuerySchema(RequestSchema):
    state = fields.String(validate=validate.OneOf((*TASK_STATES, "open", "all")),
                          metadata={"description": "default: open (ready and claimed)"})
    role = Text()
    assignee = Text(metadata={"description": "a user name, or `me`"})
    process_instance_id = Text()
    due_before = Instant(metadata={"description": "ISO 8601 with offset"})
    sort = fields.String(validate=validate.OneOf(tuple(TASK_SORTS)),
                         metadata={"description": "default: due_at"})
    limit = _limit()
    offset = _offset()
    count = fields.String(load_default="capped", validate=validate.OneOf(TASK_COUNTS),
                          metadata={"description": f"capped (default): `total` counts at most "
                                    f"{TASK_COUNT_CAP:,} tasks; exact: every matching task "
                                    f"(slower on long queues)"})
    definition_key = Text(metadata={"description": "only this process's tasks"})
    search = Text(validate=validate.Length(max=MAX_SEARCH), metadata={
        "description": "tasks whose name, subject or phase contains this (any case)"})

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


class TaskReassignSchema(RequestSchema):
    username = Text(required=True, metadata={
        "description": "the active user who works the task from now on: one who holds one of "
                       "its queues (a task of one user alone moves to this user's queue)"})
    reason = Text(metadata={"description": "why (kept in the instance's history)"})


class TaskCompleteSchema(RequestSchema):
    data = fields.Dict(keys=fields.String(), required=True,
                       metadata={"description": "the form data, checked against the "
                                 "task's form schema (422 names each field that does not "
                                 "fit)"})
    claim = StrictBoolean(load_default=False, metadata={
        "description": "true: claim the task (if ready) and complete it in one call; a task "
                       "someone else holds is still 409"})


class UserUpdateSchema(RequestSchema):
    full_name = Text(validate=validate.Length(max=FULL_NAME_MAX_LENGTH))
    roles = _roles("replaces the user's roles; `satuan_kerja:<UNIT>` names a registered "
                   "unit (422 otherwise)")
    active = StrictBoolean(metadata={"description": "false: the user's tokens stop working"})
    password = Text(validate=validate.Length(min=PASSWORD_MIN_LENGTH),
                    metadata={"format": "password"})
    email = _email(metadata={"description": "where notifications go; empty removes it"})


class InstanceStatusChangeSchema(RequestSchema):
    status = fields.String(required=True, validate=validate.OneOf(INSTANCE_STATUS_CHANGES),
                           metadata={"description": "suspended: hold a running instance; "
                                     "running: resume a suspended one; terminated: end it "
                                     "and cancel its open tasks"})
    reason = Text(metadata={"description": "why (kept in the instance's history)"})


class MessageSchema(RequestSchema):
    name = _event_name()
    variables = _event_variables()
    correlation = fields.Dict(keys=fields.String(), load_default=dict, metadata={
        "description": "variable -> value: only instances whose variables hold these values "
                       "receive the message"})
    process_instance_id = Text(validate=validate.Length(1, 36), metadata={
        "description": "only this instance receives the message (no start event then)"})
    business_key = _business_key()


class SignalSchema(RequestSchema):
    name = _event_name()
    variables = _event_variables()


def _worker_id():
    return Text(required=True, pattern=NOT_BLANK_PATTERN, pattern_error="must not be blank",
                validate=validate.Length(1, 255),
                metadata={"description": "the worker process; the lock is its own"})


class ExternalTaskPath(RequestSchema):
    task_id = Text(required=True)


class TopicSchema(RequestSchema):
    name = Text(required=True, validate=validate.Length(1, 255))
    lock_duration_ms = WholeNumber(1, EXTERNAL_LOCK_MAX_MS, required=True)
    variables = fields.List(Text(), metadata={
        "description": "the variables to hand over; all of them when left out"})


class FetchAndLockSchema(RequestSchema):
    worker_id = _worker_id()
    topics = fields.List(fields.Nested(TopicSchema), required=True,
                         validate=validate.Length(min=1))
    max_tasks = WholeNumber(1, EXTERNAL_FETCH_MAX, load_default=1)
    wait_ms = WholeNumber(0, EXTERNAL_WAIT_MAX_MS, load_default=0, metadata={
        "description": "wait up to this long for a task when none is there (long polling)"})


class ExternalCompleteSchema(RequestSchema):
    worker_id = _worker_id()
    variables = fields.Dict(keys=fields.String(), load_default=dict)


class ExternalFailureSchema(RequestSchema):
    worker_id = _worker_id()
    message = Text(load_default=None)
    details = Text(load_default=None)
    retries = WholeNumber(0, EXTERNAL_LOCK_MAX_MS, load_default=0, metadata={
        "description": "tries left; 0: an incident (the instance waits in error)"})
    retry_timeout_ms = WholeNumber(0, EXTERNAL_LOCK_MAX_MS, load_default=0)


class ExternalBpmnErrorSchema(RequestSchema):
    worker_id = _worker_id()
    error_code = Text(required=True, pattern=NOT_BLANK_PATTERN, pattern_error="must not be "
                      "blank", validate=validate.Length(1, 255))
    message = Text(load_default=None)
    variables = fields.Dict(keys=fields.String(), load_default=dict)


class ExtendLockSchema(RequestSchema):
    worker_id = _worker_id()
    new_duration_ms = WholeNumber(1, EXTERNAL_LOCK_MAX_MS, required=True)


class InstanceRetrySchema(RequestSchema):
    data = fields.Dict(keys=fields.String(), load_default=dict,
                       metadata={"description": "variables that fix what the failed step "
                                 "reads, e.g. {parts: 4}"})
    reason = Text(metadata={"description": "why (kept in the instance's history)"})


class InstanceVariablesChangeSchema(RequestSchema):
    set_ = fields.Dict(data_key="set", keys=fields.String(), load_default=dict,
                       metadata={"description": "variables to set (name -> JSON value), in "
                                 "every open task of the instance"})
    delete = fields.List(fields.String(), load_default=list,
                         metadata={"description": "names of variables to remove, after `set`"})


class InstanceVariablesSchema(Schema):
    variables = fields.Dict(metadata={"description": "the instance's variables: its open "
                                      "tasks' data, or the data it ended with"})


class HistoryQuerySchema(RequestSchema):
    type_ = fields.String(data_key="type", validate=validate.OneOf(EVENT_TYPES),
                          metadata={"description": "only events of this type"})
    limit = _limit(default=100, maximum=MAX_HISTORY_PAGE)
    offset = _offset()


class CompletedTaskQuerySchema(RequestSchema):
    role = Text()
    user = Text(metadata={"description": "who completed the task"})
    completed_from = Instant(data_key="from", metadata={
        "description": "completed at or after; ISO 8601 with offset"})
    completed_to = Instant(data_key="to", metadata={
        "description": "completed before; ISO 8601 with offset"})
    limit = _limit(default=100)
    offset = _offset()

    @pre_load
    def restore_plus(self, data, **kwargs):
        return _plus_restored(data, "from", "to")


class SlaQuerySchema(RequestSchema):
    period_start = Instant(data_key="from", required=True, metadata={
        "description": f"the period's start (inclusive); ISO 8601 with offset, in the years "
                       f"{FIRST_CALENDAR_YEAR} to {LAST_CALENDAR_YEAR} the working calendar "
                       f"covers (422 otherwise)"})
    period_end = Instant(data_key="to", required=True, metadata={
        "description": "the period's end (exclusive), after `from` (422 otherwise); ISO 8601 "
                       "with offset, at the latest the end of the calendar's last year"})
    definition_key = Text()
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))
    table = fields.String(load_default="steps", validate=validate.OneOf(["steps", "breaches"]),
                          metadata={"description": "with format=csv: which table"})

    @pre_load
    def restore_plus(self, data, **kwargs):
        return _plus_restored(data, "from", "to")


class MigrationRequestSchema(RequestSchema):
    to_version = _version(required=True)
    dry_run = StrictBoolean(load_default=False, metadata={
        "description": "only say whether the move is allowed; store nothing"})


class CalendarDayChangeSchema(RequestSchema):
    closed = StrictBoolean(required=True, metadata={
        "description": "true: a holiday or collective leave; false: a file's holiday opened again"})
    name = Text(load_default=None, allow_none=True,
                validate=validate.Length(max=CALENDAR_DAY_NAME_MAX_LENGTH),
                metadata={"description": "required, and not blank, when closed is true"})
    kind = fields.String(load_default="office", validate=validate.OneOf(CALENDAR_KINDS))
    # A closed day needs a name (the engine's rule), as the document states it.
    openapi_one_of = (
        {"properties": {"closed": {"enum": [True]},
                        "name": {"type": "string", "pattern": anchored(NOT_BLANK_PATTERN)}},
         "required": ["name"]},
        {"properties": {"closed": {"enum": [False]}}},
    )


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
    suspended = fields.Boolean(metadata={"description": "an admin suspended the process: "
                                         "starting it answers 409; running instances go on"})
    start_rules = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "what the process sets about its start: startForm (the start "
                       "variables' form), unitsVariable (a variable defaulting to every active "
                       "unit), starterUnitVariable (the starter's own unit)"})


class FormFileSchema(Schema):
    name = fields.String()
    form_key = fields.String(allow_none=True, metadata={"description": "what a task's "
                             "formKey names: a .json file's name without .json, a .form "
                             "file's id"})
    kind = fields.String(metadata={"description": "json-schema or form-js"})
    content = fields.String(metadata={"description": "the file's text as deployed"})
    schema = fields.Dict(allow_none=True, metadata={"description": "the JSON Schema the "
                         "engine reads from it (form-js translated); null where the file "
                         "has a problem"})


class FormFileListSchema(Schema):
    items = fields.List(fields.Nested(FormFileSchema))


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


class VersionRefSchema(Schema):
    key = fields.String()
    version = fields.Integer()


class ResourceSchema(Schema):
    name = fields.String()
    kind = fields.String(metadata={"description": "bpmn, dmn, form, or the file name's ending"})
    size = fields.Integer()
    sha256 = fields.String()
    definitions = fields.List(fields.Nested(VersionRefSchema), metadata={
        "description": "the versions built from this file"})


class DeploymentRecordSchema(Schema):
    id = fields.Integer()
    name = fields.String(allow_none=True)
    source = fields.String(metadata={"description": "api, folder (`lkj serve`'s procedure "
                                     "folder) or cli (`lkj deploy`)"})
    deployed_at = fields.DateTime()
    deployed_by = fields.String(allow_none=True)
    definitions = fields.List(fields.Nested(VersionRefSchema), metadata={
        "description": "the versions this deployment made"})
    resources = fields.List(fields.Nested(ResourceSchema), metadata={
        "description": "the files it stored (the others it used were deployed before)"})


class DeploymentRecordListSchema(Schema):
    items = fields.List(fields.Nested(DeploymentRecordSchema))


class GroupSchema(Schema):
    name = fields.String()
    description = fields.String(allow_none=True)
    kind = fields.String(metadata={"description": "role, or unit (comes with a unit)"})
    members = fields.Integer()


class GroupListSchema(Schema):
    items = fields.List(fields.Nested(GroupSchema))


class DeploymentSchema(Schema):
    deployment_id = fields.Integer(allow_none=True, metadata={
        "description": "the deployment recorded; null when nothing changed"})
    definitions = fields.List(fields.Nested(DeployedDefinitionSchema))
    warnings = fields.List(fields.Nested(DeploymentProblemSchema), metadata={
        "description": "what deployed but deserves attention, e.g. a form that does not "
                       "say additionalProperties: false (fields it does not declare are "
                       "dropped at completion)"})


class DeploymentCheckSchema(Schema):
    problems = fields.List(fields.Nested(DeploymentProblemSchema), metadata={
        "description": "what keeps the files from deploying, every one at once"})
    warnings = fields.List(fields.Nested(DeploymentProblemSchema), metadata={
        "description": "what would deploy but deserves attention"})


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
    kind = fields.String(metadata={
        "description": "json-schema; form-js (a Camunda form: `schema` is its JSON Schema "
                       "translation, the form itself under `schema.x-form-js`); none (the "
                       "task has no form and takes an object of variables)"})
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
    business_key = fields.String(allow_none=True)


class ReachedSchema(Schema):
    process_instance_id = fields.String()
    definition_key = fields.String()
    elements = fields.List(fields.String(), metadata={
        "description": "the catch events, receive tasks or boundary events that received "
                       "it, or the start event of the instance it started"})
    started = fields.Boolean(metadata={"description": "the instance was started by it"})


class ReachedListSchema(Schema):
    reached = fields.List(fields.Nested(ReachedSchema))


class LockedTaskSchema(Schema):
    id = fields.String()
    topic = fields.String()
    worker_id = fields.String()
    lock_expires_at = fields.DateTime()
    process_instance_id = fields.String()
    business_key = fields.String(allow_none=True)
    element_id = fields.String()
    retries = fields.Integer(allow_none=True)
    error_message = fields.String(allow_none=True)
    variables = fields.Dict()


class LockedTaskListSchema(Schema):
    tasks = fields.List(fields.Nested(LockedTaskSchema))


class CaughtSchema(Schema):
    caught_by = fields.String(allow_none=True, metadata={
        "description": "the error boundary event; null when none catches the error and the "
                       "task failed as an incident instead"})


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
    current_password = Text(required=True, metadata={"format": "password"})
    new_password = Text(required=True, validate=validate.Length(min=PASSWORD_MIN_LENGTH),
                        metadata={"format": "password"})


class DraftSchema(Schema):
    """A draft of the LKj the engine assembled from the units' data (a document of its
    instance)."""
    document = fields.Nested(DocumentSchema)
    year = fields.Integer()
    data_sha256 = fields.String(metadata={
        "description": "sha256 of the units' data (canonical JSON) the draft was built from"})
    task_id = fields.String(allow_none=True, metadata={
        "description": "the step-6 task that became ready when the draft was queued"})
    built_at = fields.DateTime()
    latest = fields.Boolean(metadata={"description": "the newest draft of its instance"})


class DraftListSchema(Schema):
    items = fields.List(fields.Nested(DraftSchema))


# ---------------------------------------------------------------- following an instance


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
