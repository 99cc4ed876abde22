"""Camunda 7's REST API (`/engine-rest`): a translation of its wire format onto the same use
cases and policy as `/api/v1`, so Camunda Modeler's deploy button and Camunda client
libraries work against this engine. Also reachable as `/engine-rest/engine/default/...`
(the default engine's name). docs/camunda-compatibility.md lists what is covered."""
from flask import Blueprint, Flask

from api.camunda import (
    activity_tree,
    definitions,
    deployments,
    errors,
    events,
    external_tasks,
    history,
    history_variables,
    identity,
    incidents,
    instance_admin,
    instance_variables,
    instances,
    jobs,
    meta,
    tasks,
)

PREFIXES = {"camunda": "/engine-rest", "camunda_default": "/engine-rest/engine/default"}


def blueprint() -> Blueprint:
    bp = Blueprint("camunda", __name__)
    errors.register(bp)
    for module in (meta, deployments, definitions, instances, tasks, external_tasks,
                   events, identity, incidents, history,
                   instance_admin, activity_tree, instance_variables, history_variables,
                   jobs):
        module.add_routes(bp)
    return bp


def register(app: Flask) -> None:
    bp = blueprint()
    for name, prefix in PREFIXES.items():
        app.register_blueprint(bp, name=name, url_prefix=prefix)
