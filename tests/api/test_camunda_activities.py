"""Camunda 7's REST API under /engine-rest: the tree of every open activity of an instance,
history of activities from the event log across instances, user operations and historic
incidents."""
from __future__ import annotations

import io
from datetime import timedelta

from engine import usecases
from tests.api.test_camunda import CAMUNDA_DATE, basic, modeler_deploy
from tests.api.test_camunda_more import ROOT, failed_for_good
from tests.conftest import FIXTURES

WORKER_FETCH = {"workerId": "w1", "topics": [{"topicName": "arsip", "lockDuration": 60000}]}


def started_kajian(client, business_key: str = "K-1") -> dict:
    """The Camunda Modeler diagram of a review deployed and started: its user task and its
    service task wait side by side."""
    kajian = FIXTURES / "camunda" / "kajian.bpmn"
    modeler_deploy(client, ROOT, {"kajian.bpmn": (io.BytesIO(kajian.read_bytes()),
                                                  "kajian.bpmn")})
    answer = client.post("/engine-rest/process-definition/key/Proses_kajian/start",
                         json={"businessKey": business_key}, headers=ROOT)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def tree_of(client, instance_id: str) -> dict:
    answer = client.get(f"/engine-rest/process-instance/{instance_id}/activity-instances",
                        headers=ROOT)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def shape(node: dict) -> list:
    """(activityId, activityType, children) of every child, ordered by activityId."""
    return sorted((c["activityId"], c["activityType"], shape(c))
                  for c in node["childActivityInstances"])


def test_the_tree_shows_a_user_task_and_a_service_task_waiting_side_by_side(
        client, admin, login):
    started = started_kajian(client)
    tree = tree_of(client, started["id"])
    assert tree["id"] == started["id"] and tree["activityType"] == "processDefinition"
    assert shape(tree) == [("Activity_arsip", "serviceTask", []),
                           ("Activity_kaji", "userTask", [])]
    children = {c["activityId"]: c for c in tree["childActivityInstances"]}
    (task,) = client.get(f"/engine-rest/task?processInstanceId={started['id']}",
                         headers=ROOT).get_json()
    assert children["Activity_kaji"]["id"] == task["id"]
    login("pengarsip", "worker")
    (external,) = client.post("/engine-rest/external-task/fetchAndLock", json=WORKER_FETCH,
                              headers=basic("pengarsip")).get_json()
    assert children["Activity_arsip"]["id"] == external["id"]
    assert all(c["parentActivityInstanceId"] == started["id"] and c["incidentIds"] == []
               for c in children.values())
    assert tree_of(client, started["id"])["childActivityInstances"] == \
        tree["childActivityInstances"]  # the same ids when asked again
