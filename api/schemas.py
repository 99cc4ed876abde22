"""Marshmallow schemas: what the API accepts (strictly: unknown fields and wrong types are
refused with 422) and the shape of everything it returns. The OpenAPI document is
generated from these same classes."""
from __future__ import annotations

import re

from marshmallow import RAISE, Schema, fields, pre_load, validate

from engine.commands import INSTANCE_STATUSES, MAX_PAGE, TASK_SORTS, TASK_STATES


class RequestSchema(Schema):
    class Meta:
        unknown = RAISE


class StrictBoolean(fields.Boolean):
    """JSON true/false only: `"no"` or `0` in a body is a mistake, not a boolean."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


def _limit():
    return fields.Integer(load_default=50, validate=validate.Range(1, MAX_PAGE),
                          metadata={"description": f"page size, 1 to {MAX_PAGE}"})


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

    @pre_load
    def restore_plus(self, data, **kwargs):
        # An unencoded `+` in a query string arrives as a space: `...T10:00:00 07:00`.
        value = data.get("due_before")
        if isinstance(value, str) and re.fullmatch(r"\S+T\S+ \d\d(:?\d\d)?", value):
            data = dict(data, due_before=value.replace(" ", "+"))
        return data


class TaskCompleteSchema(RequestSchema):
    data = fields.Dict(keys=fields.String(), required=True,
                       metadata={"description": "the form data, checked against the "
                                 "task's form schema"})


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


class TaskPageSchema(Schema):
    items = fields.List(fields.Nested(TaskSchema))
    total = fields.Integer()


class TaskFormSchema(Schema):
    form_key = fields.String()
    # Named `schema` in JSON; a different attribute name keeps it apart from Schema itself.
    form_schema = fields.Dict(data_key="schema",
                              metadata={"description": "JSON Schema (draft 2020-12)"})


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
