"""The tree of a process instance's open activities (`/process-instance/{id}/activity-
instances`), from the engine's view of where the instance stands on its diagrams: every
element under way (user tasks, service tasks waiting for a worker, catches waiting for a
timer, a message or a signal, a step that failed), nested under the call activities and
sub-processes they run in. Ids are the workflow's task ids; a failed element carries the
instance's incident. Reading the instance applies the policy."""
from __future__ import annotations

from flask import Blueprint, jsonify

from api.camunda.auth import authenticated
from api.camunda.lookups import definition_id_of
from api.extension import engine_context
from engine import usecases


def add_routes(bp: Blueprint) -> None:
    bp.add_url_rule("/process-instance/<instance_id>/activity-instances",
                    "activity_instances", activity_instances)


class _Tree:
    def __init__(self, diagram):
        self.instance_id = diagram.process_instance_id
        self.definition_id = definition_id_of(diagram.definition_key,
                                              diagram.definition_version)
        self.incident = None if diagram.error_seq is None \
            else f"{self.instance_id}:{diagram.error_seq}"
        self.placed = False  # whether an element carries the incident

    def node(self, own_id: str, parent: str | None, activity_id: str, kind: str,
             name: str | None, children: list, failed: bool = False) -> dict:
        incidents = []
        if failed and self.incident:
            incidents, self.placed = [{"id": self.incident, "activityId": activity_id,
                                       "parentActivityInstanceId": parent}], True
        return {"id": own_id, "parentActivityInstanceId": parent, "activityId": activity_id,
                "activityType": kind, "activityName": name, "name": name,
                "processInstanceId": self.instance_id,
                "processDefinitionId": self.definition_id,
                "childActivityInstances": children, "childTransitionInstances": [],
                "executionIds": [self.instance_id],
                "incidentIds": [i["id"] for i in incidents], "incidents": incidents}

    def children(self, run, parent: str) -> list[dict]:
        found = [self.node(a.id, parent, a.element_id, a.activity_type, a.name, [],
                           a.failed) for a in run.activities]
        for call in run.calls:
            for sub in (run for run in call.runs if run.under_way):
                found.append(self.node(sub.workflow_id, parent, call.element_id,
                                       sub.caller_type or "callActivity", sub.caller_name,
                                       self.children(sub, sub.workflow_id)))
        return found


@authenticated
def activity_instances(actor, instance_id):
    diagram = usecases.instance_diagram(engine_context(), actor, instance_id)
    tree = _Tree(diagram)
    children = tree.children(diagram.root, instance_id)
    root = tree.node(instance_id, None, diagram.definition_key, "processDefinition",
                     diagram.root.process_name, children)
    if tree.incident and not tree.placed:  # a failed step the diagram no longer shows
        root["incidentIds"] = [tree.incident]
        root["incidents"] = [{"id": tree.incident, "activityId": diagram.definition_key,
                              "parentActivityInstanceId": None}]
    return jsonify(root)
