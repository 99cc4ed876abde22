"""Form schemas (JSON Schema draft 2020-12): checking a schema at deployment and validating
submitted data against it, with errors keyed by the field's dotted path."""
from __future__ import annotations

import json
from collections.abc import Callable

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

from engine.errors import FormInvalid
from engine.workflow import formjs
from engine.workflow.dialects import form_key_of_file

DOCUMENT_ID_FORMAT = "document-id"


def schema_problem(schema) -> str | None:
    """Why this is not a usable draft 2020-12 schema, or None."""
    if not isinstance(schema, dict):
        return "a form schema must be a JSON object"
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return f"not a valid JSON Schema: {exc.message}"
    return None


def declared_fields(schema) -> frozenset[str]:
    """The top-level properties a form declares, also in its `allOf`/`anyOf`/`oneOf` and
    `if`/`then`/`else` parts: what a completion may write into the instance's data."""
    if not isinstance(schema, dict):
        return frozenset()
    fields = set(schema.get("properties") or {})
    for part in ("allOf", "anyOf", "oneOf"):
        for branch in schema.get(part) or []:
            fields |= declared_fields(branch)
    for part in ("if", "then", "else"):
        fields |= declared_fields(schema.get(part))
    return frozenset(fields)


def declared_data(schema, data: dict) -> dict:
    """The submitted fields the form declares. The rest never reaches the instance's data:
    a form that allows extra fields must not let a submission overwrite the variables the
    process routes by (a unit code, a decision made earlier)."""
    fields = declared_fields(schema)
    return {name: value for name, value in data.items() if name in fields}


def closed_problem(schema) -> str | None:
    """Why a deployed form should be closed (`additionalProperties: false`), or None: extra
    fields are dropped at completion anyway, but the person filling the form should be told
    rather than see them vanish."""
    if isinstance(schema, dict) and schema.get("additionalProperties") is not False:
        return ("the form does not say \"additionalProperties\": false; fields it does not "
                "declare are dropped when a task is completed")
    return None


def field_path(error) -> str:
    path = ".".join(str(part) for part in error.absolute_path)
    if error.validator == "required":
        # `required` fails on the parent object; name the missing field itself.
        missing = error.message.split("'")[1] if "'" in error.message else ""
        return f"{path}.{missing}" if path else missing
    if error.validator == "additionalProperties" and "'" in error.message:
        extra = error.message.split("'")[1]
        return f"{path}.{extra}" if path else extra
    return path or "data"


def validate(schema: dict, data, document_exists: Callable[[str], bool],
             prefix: str | None = None) -> None:
    """Raise FormInvalid naming every field (under `prefix.` if given) that does not fit."""
    checker = FormatChecker()
    checker.checks(DOCUMENT_ID_FORMAT)(lambda value: not isinstance(value, str)
                                       or document_exists(value))
    validator = Draft202012Validator(schema, format_checker=checker)
    errors: dict[str, list[str]] = {}
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        message = error.message
        if error.validator == "format" and error.validator_value == DOCUMENT_ID_FORMAT:
            message = f"{error.instance!r} is not a document of this process instance"
        path = field_path(error)
        errors.setdefault(f"{prefix}.{path}" if prefix else path, []).append(message)
    if errors:
        raise FormInvalid("The data does not fit the task's form", errors)


FORM_JS_SUFFIX = ".form"


def read_form_files(form_files: dict[str, bytes]) -> tuple[dict[str, dict], list[dict],
                                                             list[dict]]:
    """(form key -> JSON Schema, problems, warnings) of deployed form files: JSON Schema
    files keyed by their name without `.json`, form-js `.form` files by their `id`
    (translated to JSON Schema). Problems and warnings as {file, line, column, element_id,
    message}."""
    schemas, problems, warnings = {}, [], []

    def note(into, filename, message, line=None, column=None, element_id=None):
        into.append({"file": filename, "line": line, "column": column,
                     "element_id": element_id, "message": message})

    for filename, content in sorted(form_files.items()):
        try:
            document = json.loads(content)
        except (ValueError, UnicodeDecodeError) as exc:
            note(problems, filename, f"not valid JSON: {exc}", getattr(exc, "lineno", None),
                 getattr(exc, "colno", None))
            schemas.setdefault(form_key_of_file(filename), {})  # the tasks naming it are fine
            continue
        if filename.endswith(FORM_JS_SUFFIX):
            if not formjs.is_form_js(document):
                note(problems, filename, "not a Camunda form: a .form file holds the JSON "
                                         "with 'components' that the form editor saves")
                continue
            try:
                schema = formjs.to_json_schema(document, filename)
            except formjs.FormJsInvalid as exc:
                for component, message in exc.problems:
                    note(problems, filename, message, element_id=component)
                if isinstance(document.get("id"), str):
                    schemas.setdefault(document["id"], {formjs.FILE_KEY: filename})
                continue
            key = schema[formjs.SOURCE_KEY]["id"]
        else:
            key = form_key_of_file(filename)
            schema = document
            problem = schema_problem(schema)
            if problem:
                note(problems, filename, problem)
                schemas.setdefault(key, {})
                continue
            closed = closed_problem(schema)
            if closed:
                note(warnings, filename, closed)
        if key in schemas:
            note(problems, filename, f"a second form with the key '{key}'")
            continue
        schemas[key] = schema
    return schemas, problems, warnings


def file_of(form_key: str, schema: dict) -> str:
    """The name of the file a deployed form came from."""
    return schema.get(formjs.FILE_KEY) or f"{form_key}.json"


def kind_of(form_key: str, schema: dict | None) -> str:
    """What GET /tasks/{id}/form serves: `none`, `json-schema` or `form-js`."""
    if not form_key:
        return "none"
    return formjs.KIND if (schema or {}).get(formjs.KIND_KEY) == formjs.KIND else "json-schema"


def completion_data(form_key: str, schema: dict, data: dict) -> dict:
    """What a completion writes into the instance: the form's declared fields, or every
    variable sent when the task has no form."""
    return declared_data(schema, data) if form_key else dict(data)
