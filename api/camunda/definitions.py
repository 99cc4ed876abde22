"""Process definitions: the list with Camunda's filters, one by id or by key, its XML, its
start form and the form's variables, starting an instance by id or by key, and statistics
of the open work (every version's, or one version's per activity: auditors and admins, as
the cockpit's overviews)."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from api.camunda import forms, paging, wire
from api.camunda.auth import authenticated
from api.camunda.bodies import json_object
from api.camunda.instances import instance_dto
from api.extension import engine_context
from engine import usecases
from engine.errors import DefinitionNotFound, NotFound
from engine.usecases.views import DefinitionView

SORTS = {"id": lambda d: (d.key, d.version), "key": lambda d: d.key,
         "name": lambda d: d.name or "", "version": lambda d: d.version,
         "deploymentId": lambda d: d.deployment_id or 0}


def add_routes(bp: Blueprint) -> None:
    bp.add_url_rule("/process-definition", "definitions", list_definitions)
    bp.add_url_rule("/process-definition/count", "definition_count", count_definitions)
    bp.add_url_rule("/process-definition/statistics", "every_definition_statistics",
                    definition_statistics)
    for prefix, find in (("/process-definition/<definition_id>", _by_id),
                         ("/process-definition/key/<key>", _latest_of)):
        name = "definition" if find is _by_id else "definition_of_key"
        bp.add_url_rule(prefix, name, _getter(find))
        bp.add_url_rule(prefix + "/xml", name + "_xml", _xml_getter(find))
        bp.add_url_rule(prefix + "/diagram", name + "_diagram", _diagram_getter(find))
        bp.add_url_rule(prefix + "/start", name + "_start", _starter(find), methods=["POST"])
        # submit-form starts as /start does: the start form checks the variables either way
        bp.add_url_rule(prefix + "/submit-form", name + "_submit_form", _starter(find),
                        methods=["POST"])
        bp.add_url_rule(prefix + "/startForm", name + "_start_form", _start_form_getter(find))
        bp.add_url_rule(prefix + "/deployed-start-form", name + "_deployed_start_form",
                        _deployed_start_form_getter(find))
        bp.add_url_rule(prefix + "/form-variables", name + "_form_variables",
                        _form_variables_getter(find))
        bp.add_url_rule(prefix + "/statistics", name + "_statistics",
                        _activity_statistics_getter(find))


def definition_dto(d: DefinitionView) -> dict:
    return {"links": [], "id": wire.definition_id(d.key, d.version, d.id), "key": d.key,
            "category": None, "description": None, "name": d.name, "version": d.version,
            "resource": None, "deploymentId": None if d.deployment_id is None
            else str(d.deployment_id), "diagram": None, "suspended": d.suspended,
            "tenantId": None, "versionTag": None, "historyTimeToLive": None,
            "startableInTasklist": True}


def _every_version() -> list[DefinitionView]:
    ctx = engine_context()
    return [v for latest in usecases.list_definitions(ctx)
            for v in usecases.definition_versions(ctx, latest.key)]


def _matching() -> list[DefinitionView]:
    args, found = request.args, _every_version()
    if paging.flag(args, "latestVersion"):
        latest = {}
        for d in found:
            latest[d.key] = d
        found = list(latest.values())
    suspended = paging.flag(args, "suspended")
    if suspended is not None:
        found = [d for d in found if d.suspended == suspended]
    filters = {"key": lambda d, v: d.key == v,
               "keysIn": lambda d, v: d.key in v.split(","),
               "name": lambda d, v: d.name == v,
               "nameLike": lambda d, v: wire.like(v, d.name or ""),
               "version": lambda d, v: str(d.version) == v,
               "processDefinitionId": lambda d, v: definition_dto(d)["id"] == v,
               "deploymentId": lambda d, v: str(d.deployment_id) == v}
    for field, test in filters.items():
        if args.get(field):
            found = [d for d in found if test(d, args[field])]
    return paging.sorted_by(found, SORTS)


@authenticated
def list_definitions(actor):
    return jsonify([definition_dto(d) for d in paging.page_of(_matching())])


@authenticated
def count_definitions(actor):
    return jsonify({"count": len(_matching())})


def _by_id(definition_id: str) -> DefinitionView:
    try:
        key, version, row_id = wire.parse_definition_id(definition_id)
    except ValueError:
        raise DefinitionNotFound(f"no process definition {definition_id!r}") from None
    for d in usecases.definition_versions(engine_context(), key):
        if d.version == version and d.id == row_id:
            return d
    raise DefinitionNotFound(f"no process definition {definition_id!r}")


def _latest_of(key: str) -> DefinitionView:
    return usecases.definition_versions(engine_context(), key)[-1]


def _getter(find):
    @authenticated
    def get(actor, **path):
        return jsonify(definition_dto(find(*path.values())))
    return get


def _xml_getter(find):
    @authenticated
    def xml(actor, **path):
        d = find(*path.values())
        _, content = usecases.definition_xml(engine_context(), d.key, d.version)
        return jsonify({"id": definition_dto(d)["id"],
                        "bpmn20Xml": content.decode("utf-8")})
    return xml


def _diagram_getter(find):
    @authenticated
    def diagram(actor, **path):
        """Camunda's answer for a definition deployed without an image: the engine stores
        none (the console draws the diagram from its XML)."""
        find(*path.values())
        return "", 204
    return diagram


def _starter(find):
    @authenticated
    def start(actor, **path):
        d = find(*path.values())
        body = json_object()
        variables = wire.variables_in(body.get("variables"))
        instance = usecases.start_instance(engine_context(), actor, d.key, variables,
                                           version=d.version,
                                           business_key=body.get("businessKey"))
        answer = instance_dto(instance)
        if paging.flag(body, "withVariablesInReturn"):
            # the variables the start was given (docs/camunda-compatibility.md)
            answer["variables"] = wire.variables_out(variables)
        return jsonify(answer)
    return start



# ---------------------------------------------------------------- the start form

def _start_form(d: DefinitionView) -> tuple[str | None, dict | None, str]:
    """(form key, JSON Schema, kind) of the version's start form; (None, None, none)."""
    key = (d.start_rules or {}).get("startForm")
    if not key:
        return None, None, "none"
    for file in usecases.definition_forms(engine_context(), d.key, d.version):
        if file.form_key == key:
            return key, file.schema, file.kind
    return key, None, "json-schema"


def _start_form_getter(find):
    @authenticated
    def start_form(actor, **path):
        key, _, kind = _start_form(find(*path.values()))
        return jsonify(forms.form_dto(key, kind))
    return start_form


def _deployed_start_form_getter(find):
    @authenticated
    def deployed_start_form(actor, **path):
        key, schema, kind = _start_form(find(*path.values()))
        if schema is None:
            raise NotFound("the process definition has no deployed start form")
        return jsonify(forms.deployed(schema, kind))
    return deployed_start_form


def _form_variables_getter(find):
    @authenticated
    def form_variables(actor, **path):
        _, schema, _ = _start_form(find(*path.values()))
        return jsonify(forms.form_variables(schema, {}))
    return form_variables


# ---------------------------------------------------------------- statistics

INCIDENT_TYPES = {"failed_step": "failedJob", "failed_external_task": "failedExternalTask"}


def _incidents(counts: dict[str, int]) -> list[dict]:
    """Camunda's `incidents`, when `incidents=true` (or `incidentsForType`) asks for them."""
    wanted = paging.text(request.args, "incidentsForType")
    return [{"incidentType": INCIDENT_TYPES[cause], "incidentCount": n}
            for cause, n in sorted(counts.items())
            if n and wanted in (None, INCIDENT_TYPES[cause])]


def _with_incidents(row: dict, counts: dict[str, int]) -> dict:
    """`failedJobs` when `failedJobs=true` asks for them (else 0, as Camunda), and the
    incidents asked for."""
    if not paging.flag(request.args, "failedJobs"):
        row["failedJobs"] = 0
    if paging.flag(request.args, "incidents") or request.args.get("incidentsForType"):
        row["incidents"] = _incidents(counts)
    else:
        row["incidents"] = []
    return row


@authenticated
def definition_statistics(actor):
    """One row per version, instances or not; `failedJobs` counts failed steps (not failed
    external tasks)."""
    ctx = engine_context()
    views = {(d.key, d.version): d for d in _every_version()}
    rows = []
    for work in usecases.version_statistics(ctx, actor):
        view = views.get(work.definition[:2])
        if view is None:
            continue
        rows.append(_with_incidents({"@class": "org.camunda.bpm.engine.rest.dto.repository."
                                               "ProcessDefinitionStatisticsResultDto",
                                     "id": definition_dto(view)["id"],
                                     "instances": work.instances,
                                     "failedJobs": work.failed_steps,
                                     "definition": definition_dto(view)}, work.incidents))
    return jsonify(rows)


def _activity_statistics_getter(find):
    @authenticated
    def activity_statistics(actor, **path):
        d = find(*path.values())
        elements = usecases.element_statistics(engine_context(), actor, d.key, d.version)
        return jsonify([_with_incidents({"@class": "org.camunda.bpm.engine.rest.dto."
                                                   "repository.ActivityStatisticsResultDto",
                                         "id": e.element_id, "instances": e.instances,
                                         "failedJobs": e.failed_steps}, e.incidents)
                        for e in elements])
    return activity_statistics
