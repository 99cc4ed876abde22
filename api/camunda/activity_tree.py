"""The tree of a process instance's open activities (`/process-instance/{id}/activity-instances`).
Reading the instance applies the policy."""
from __future__ import annotations

from flask import Blueprint, jsonify

from api.camunda.auth import authenticated
from api.camunda.lookups import definition_id_of
from api.extension import engine_context
from engine import usecases


def add_routes(bp: Blueprint) -> None:
    bp.add_url_rule("/process-instance/<instance_id>/activity-instances",
                    "activity_instances", activity_instances)


def _activity(instance_id: str, definition_id: str | None, activity_id: str,
              kind: str, name: str | None, own_id: str, parent: str | None,
              children: list) -> dict:
    return {"id": own_id, "parentActivityInstanceId": parent, "activityId": activity_id,
            "activityType": kind, "activityName": name, "name": name,
            "processInstanceId": instance_id, "processDefinitionId": definition_id,
            "childActivityInstances": children, "childTransitionInstances": [],
            "executionIds": [instance_id], "incidentIds": [], "incidents": []}


@authenticated
def activity_instances(actor, instance_id):
    instance = usecases.get_instance(engine_context(), actor, instance_id)
    definition_id = definition_id_of(instance.definition_key, instance.definition_version)
    tasks = [_activity(instance_id, definition_id, t.element_id, "userTask", t.name, t.id,
                       instance_id, []) for t in instance.open_tasks]
    return jsonify(_activity(instance_id, definition_id, instance.definition_key,
                             "processDefinition", instance.definition_key, instance_id,
                             None, tasks))
