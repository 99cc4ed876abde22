"""Deployments as Camunda Modeler's deploy button sends them: `POST /deployment/create`
(multipart, each file under its own part name), and the deployment list it reads to test
the connection."""
from __future__ import annotations


from flask import Blueprint, jsonify, request

from api.camunda import paging, wire
from api.camunda.auth import authenticated
from api.camunda.definitions import definition_dto
from api.extension import engine_context
from engine import usecases
from engine.errors import DeploymentNotFound, InvalidInput

NAME_PART = "deployment-name"
SOURCE_PART = "deployment-source"
# Camunda's sortBy values for deployments, and what sorts by them.
SORTS = {"id": lambda d: d.id, "name": lambda d: d.name or "",
         "deploymentTime": lambda d: d.deployed_at}


def add_routes(bp: Blueprint) -> None:
    bp.add_url_rule("/deployment/create", "deploy", deploy, methods=["POST"])
    bp.add_url_rule("/deployment", "deployments", list_deployments)
    bp.add_url_rule("/deployment/count", "deployment_count", count_deployments)
    bp.add_url_rule("/deployment/<deployment_id>", "deployment", get_deployment)
    bp.add_url_rule("/deployment/<deployment_id>", "delete_deployment", delete_deployment,
                    methods=["DELETE"])
    bp.add_url_rule("/deployment/<deployment_id>/resources", "deployment_resources",
                    deployment_resources)


@authenticated
def deploy(actor):
    """Every process whose meaning changed becomes a new version; the others are kept
    (the engine always filters duplicates: `enable-duplicate-filtering` and
    `deploy-changed-only` are what it does anyway; `tenant-id` is ignored)."""
    if request.mimetype != "multipart/form-data":
        raise InvalidInput("Send the deployment as multipart/form-data",
                           {"_body": ["must be multipart/form-data"]})
    diagrams, form_files = _uploaded_files()
    name = request.form.get(NAME_PART) or None
    if name is not None and "\x00" in name:
        raise InvalidInput("The deployment cannot be made",
                           {NAME_PART: ["must not contain the NUL character"]})
    ctx = engine_context()
    result = usecases.deploy(ctx, actor, diagrams, form_files, on_top_of_latest=True,
                             name=name)
    created = [d for d in result.definitions if d.created]
    # Nothing changed: like Camunda's duplicate filtering, the deployment already made
    deployment_id = result.deployment_id or max(
        (d.deployment_id for d in result.definitions if d.deployment_id), default=None)
    answer = _deployment_dto(usecases.get_deployment(ctx, actor, deployment_id)) \
        if deployment_id else {"links": [], "id": None, "name": name,
                               "source": request.form.get(SOURCE_PART),
                               "deploymentTime": None, "tenantId": None}
    return jsonify({
        **answer,
        "deployedProcessDefinitions": {wire.definition_id(d.key, d.version, d.id):
                                       _with_resource(ctx, d) for d in created} or None,
        "deployedCaseDefinitions": None, "deployedDecisionDefinitions": None,
        "deployedDecisionRequirementsDefinitions": None,
    })


def _with_resource(ctx, d) -> dict:
    """A new version with `resource`, the file holding its process, as Camunda answers a
    deployment (deployers such as camunda-deploy print it)."""
    return {**definition_dto(d), "resource": usecases.definition_xml(ctx, d.key, d.version)[0]}


def _uploaded_files() -> tuple[dict[str, bytes], dict[str, bytes]]:
    """Every file part is a resource, whatever its part name (the modeler names each part
    after its file); a part without a file name is named by its part."""
    return usecases.deployable_files(
        ((upload.filename or part, upload.read())
         for part in request.files for upload in request.files.getlist(part)), "files")


@authenticated
def list_deployments(actor):
    return jsonify([_deployment_dto(d) for d in paging.page_of(_matching(actor))])


@authenticated
def count_deployments(actor):
    return jsonify({"count": len(_matching(actor))})


@authenticated
def get_deployment(actor, deployment_id):
    return jsonify(_deployment_dto(_deployment(actor, deployment_id)))


@authenticated
def delete_deployment(actor, deployment_id):
    """Refused (409) while an instance uses a version it made. `cascade` (deleting those
    instances too) is refused: instances are ended by terminating them, which keeps their
    history."""
    if paging.flag(request.args, "cascade"):
        raise InvalidInput("cascade is not supported: terminate the instances first",
                           {"cascade": ["instances are never deleted with their "
                                        "deployment; terminate them, then delete"]})
    deployment = _deployment(actor, deployment_id)
    usecases.delete_deployment(engine_context(), actor, deployment.id)
    return "", 204


@authenticated
def deployment_resources(actor, deployment_id):
    deployment = _deployment(actor, deployment_id)
    return jsonify([{"id": r.name, "name": r.name, "deploymentId": str(deployment.id)}
                    for r in deployment.resources])


def _deployment(actor, deployment_id: str):
    if not deployment_id.isascii() or not deployment_id.isdigit() or len(deployment_id) > 18:
        raise DeploymentNotFound(f"no deployment {deployment_id}")
    return usecases.get_deployment(engine_context(), actor, int(deployment_id))


def _matching(actor) -> list:
    """Every deployment matching the query's filters, in its order."""
    ctx, everything, offset = engine_context(), [], 0
    while True:
        page = usecases.list_deployments(ctx, actor, limit=100, offset=offset)
        everything += page
        if len(page) < 100:
            break
        offset += 100
    args = request.args
    if args.get("id"):
        everything = [d for d in everything if str(d.id) == args["id"]]
    if args.get("name"):
        everything = [d for d in everything if d.name == args["name"]]
    if args.get("nameLike"):
        everything = [d for d in everything if wire.like(args["nameLike"], d.name or "")]
    return paging.sorted_by(everything, SORTS)


def _deployment_dto(d) -> dict:
    return {"links": [], "id": str(d.id), "name": d.name, "source": d.source,
            "deploymentTime": wire.date(d.deployed_at), "tenantId": None}


def _id_text(value) -> str | None:
    return None if value is None else str(value)
