"""Camunda 7's REST API under /engine-rest, continued: identity, incidents and history,
and the administration of one process instance."""
from __future__ import annotations

import io

from tests.api.helpers import PASSWORD
from tests.api.test_camunda import CAMUNDA_DATE, at_the_service_task, basic, modeler_deploy
from tests.conftest import FIXTURES

ROOT = basic("root")


# ---------------------------------------------------------------- identity

def test_an_admin_lists_users_with_an_id_filter_and_paging(client, admin, login):
    login("ani", "staf")
    login("budi", "staf")
    everyone = client.get("/engine-rest/user", headers=ROOT).get_json()
    assert [u["id"] for u in everyone] == ["ani", "budi", "root"]
    assert everyone[0] == {"id": "ani", "firstName": "Pegawai", "lastName": "ani",
                           "email": None}
    assert [u["id"] for u in client.get("/engine-rest/user?id=budi",
                                        headers=ROOT).get_json()] == ["budi"]
    page = client.get("/engine-rest/user?firstResult=1&maxResults=1", headers=ROOT)
    assert [u["id"] for u in page.get_json()] == ["budi"]
    assert client.get("/engine-rest/user/count", headers=ROOT).get_json() == {"count": 3}
    assert client.get("/engine-rest/user/ani/profile", headers=ROOT).get_json()["id"] == "ani"
    missing = client.get("/engine-rest/user/nobody/profile", headers=ROOT)
    assert missing.status_code == 404 and missing.get_json()["type"]


def test_a_user_who_is_not_an_admin_reads_only_itself(client, admin, login):
    login("ani", "staf")
    login("budi", "staf")
    ani = basic("ani")
    assert [u["id"] for u in client.get("/engine-rest/user?id=ani",
                                        headers=ani).get_json()] == ["ani"]
    assert client.get("/engine-rest/user/ani/profile", headers=ani).status_code == 200
    for path in ("/engine-rest/user", "/engine-rest/user/budi/profile", "/engine-rest/group",
                 "/engine-rest/identity/groups?userId=budi"):
        answer = client.get(path, headers=ani)
        assert answer.status_code == 403, path
        assert answer.get_json()["type"] == "AuthorizationException"
    own = client.get("/engine-rest/identity/groups?userId=ani", headers=ani).get_json()
    assert [g["id"] for g in own["groups"]] == ["staf"]
    assert [u["id"] for u in own["groupUsers"]] == ["ani"]


def test_groups_are_roles_filtered_by_id_and_member(client, admin, login):
    login("ani", "staf")
    groups = client.get("/engine-rest/group", headers=ROOT).get_json()
    assert {"admin", "staf"} <= {g["id"] for g in groups}
    assert [g["id"] for g in client.get("/engine-rest/group?id=staf",
                                        headers=ROOT).get_json()] == ["staf"]
    assert [g["id"] for g in client.get("/engine-rest/group?member=ani",
                                        headers=ROOT).get_json()] == ["staf"]
    assert client.get("/engine-rest/group/count?member=ani",
                      headers=ROOT).get_json() == {"count": 1}
    assert client.get("/engine-rest/identity/groups",
                      headers=ROOT).status_code == 400


def test_verify_checks_a_password_through_the_throttled_sign_in(client, admin, login):
    login("ani", "staf")
    right = client.post("/engine-rest/identity/verify", headers=ROOT,
                        json={"username": "ani", "password": PASSWORD})
    assert right.get_json() == {"authenticatedUser": "ani", "authenticated": True}
    wrong = client.post("/engine-rest/identity/verify", headers=ROOT,
                        json={"username": "ani", "password": "wrong"})
    assert wrong.get_json() == {"authenticatedUser": "ani", "authenticated": False}
    for _ in range(12):
        answer = client.post("/engine-rest/identity/verify", headers=ROOT,
                             json={"username": "ani", "password": "wrong"})
        if answer.status_code == 429:
            break
    assert answer.status_code == 429
    bad = client.post("/engine-rest/identity/verify", headers=ROOT, json={"username": 1})
    assert bad.status_code == 400


# ---------------------------------------------------------------- incidents and history

def failed_for_good(client, login) -> dict:
    """The service task of the Camunda Modeler diagram failed with no retries left."""
    started = at_the_service_task(client, ROOT, login)
    worker = basic("pekerja")
    fetch = {"workerId": "w1", "topics": [{"topicName": "nilai", "lockDuration": 60000}]}
    (external,) = client.post("/engine-rest/external-task/fetchAndLock", json=fetch,
                              headers=worker).get_json()
    assert client.post(f"/engine-rest/external-task/{external['id']}/failure", json={
        "workerId": "w1", "errorMessage": "server down", "retries": 0},
        headers=worker).status_code == 204
    return started


def test_an_external_task_out_of_retries_is_an_incident(client, admin, login):
    started = failed_for_good(client, login)
    (incident,) = client.get("/engine-rest/incident", headers=ROOT).get_json()
    assert incident["processInstanceId"] == started["id"]
    assert incident["processDefinitionId"] == started["definitionId"]
    assert incident["incidentType"] == "failedExternalTask"
    assert "server down" in incident["incidentMessage"]
    assert CAMUNDA_DATE.match(incident["incidentTimestamp"])
    assert client.get(f"/engine-rest/incident?processInstanceId={started['id']}"
                      "&incidentType=failedJob", headers=ROOT).get_json() == []
    assert client.get("/engine-rest/incident/count?processDefinitionKey=Proses_telaah",
                      headers=ROOT).get_json() == {"count": 1}
    assert client.get("/engine-rest/incident", headers=basic("staf1")).status_code == 403
    at_the_incident = client.get(f"/engine-rest/process-instance/{started['id']}/variables",
                                 headers=ROOT)  # the failed step's data
    assert at_the_incident.status_code == 200, at_the_incident.get_json()


def test_history_of_instances_tasks_activities_and_operations(client, admin, login):
    started = at_the_service_task(client, ROOT, login)
    login("pemeriksa", "auditor")
    auditor = basic("pemeriksa")
    (instance,) = client.get("/engine-rest/history/process-instance?processDefinitionKey="
                             "Proses_telaah", headers=auditor).get_json()
    assert instance["id"] == started["id"] and instance["state"] == "ACTIVE"
    assert instance["processDefinitionId"] == started["definitionId"]
    assert CAMUNDA_DATE.match(instance["startTime"]) and instance["endTime"] is None
    assert client.get("/engine-rest/history/process-instance/count?finished=true",
                      headers=auditor).get_json() == {"count": 0}
    assert client.get("/engine-rest/history/process-instance/count?unfinished=true",
                      headers=auditor).get_json() == {"count": 1}
    (task,) = client.get(f"/engine-rest/history/task?processInstanceId={started['id']}",
                         headers=auditor).get_json()
    assert task["assignee"] == "staf1" and task["deleteReason"] == "completed"
    assert CAMUNDA_DATE.match(task["endTime"]) and task["duration"] >= 0
    assert client.get("/engine-rest/history/task/count?unfinished=true",
                      headers=auditor).get_json() == {"count": 0}
    (activity,) = client.get("/engine-rest/history/activity-instance?processInstanceId="
                             f"{started['id']}", headers=auditor).get_json()
    assert activity["taskId"] == task["id"] and activity["activityType"] == "userTask"
    assert activity["activityId"] == task["taskDefinitionKey"]
    assert activity["assignee"] == "staf1" and not activity["canceled"]
    operations = client.get("/engine-rest/history/user-operation?processInstanceId="
                            f"{started['id']}", headers=auditor).get_json()
    assert [(o["operationType"], o["userId"]) for o in operations] == [
        ("Claim", "staf1"), ("Complete", "staf1")]
    for path in ("/engine-rest/history/process-instance", "/engine-rest/history/task",
                 f"/engine-rest/history/user-operation?processInstanceId={started['id']}"):
        assert client.get(path, headers=basic("staf1")).status_code == 403, path
    assert client.get("/engine-rest/history/activity-instance?startedAfter=monday",
                      headers=auditor).status_code == 400


# ---------------------------------------------------------------- one process instance

def started_telaah(client) -> dict:
    """The Camunda Modeler diagram deployed and started with variables: its user task is
    open."""
    telaah = FIXTURES / "camunda" / "telaah.bpmn"
    modeler_deploy(client, ROOT, {"telaah.bpmn": (io.BytesIO(telaah.read_bytes()),
                                                  "telaah.bpmn")})
    return client.post("/engine-rest/process-definition/key/Proses_telaah/start", json={
        "variables": {"usulan": {"value": "Gedung A", "type": "String"},
                      "jumlah": {"value": 3, "type": "Integer"}}},
        headers=ROOT).get_json()


def test_an_instances_variables_are_read_whole_and_one_by_one(client, admin, login):
    started = started_telaah(client)
    path = f"/engine-rest/process-instance/{started['id']}/variables"
    variables = client.get(path, headers=ROOT).get_json()
    assert variables["usulan"] == {"value": "Gedung A", "type": "String", "valueInfo": {}}
    assert client.get(path + "/jumlah", headers=ROOT).get_json() == {
        "value": 3, "type": "Integer", "valueInfo": {}}
    missing = client.get(path + "/nothing", headers=ROOT)
    assert missing.status_code == 404 and "nothing" in missing.get_json()["message"]
    login("staf1", "staf")
    assert client.get(path, headers=basic("staf1")).get_json()["jumlah"]["value"] == 3
    assert client.get("/engine-rest/process-instance/nope/variables",
                      headers=ROOT).status_code == 404
    assert client.put(path + "/jumlah", json={"value": 4},
                      headers=basic("staf1")).status_code == 403  # admins change them


def test_an_admin_suspends_resumes_and_deletes_an_instance(client, admin, login):
    started = started_telaah(client)
    path = f"/engine-rest/process-instance/{started['id']}"
    login("staf1", "staf")
    assert client.put(path + "/suspended", json={"suspended": True},
                      headers=basic("staf1")).status_code == 403
    assert client.put(path + "/suspended", json={"suspended": "yes"},
                      headers=ROOT).status_code == 400
    assert client.put(path + "/suspended", json={"suspended": True},
                      headers=ROOT).status_code == 204
    assert client.get(path, headers=ROOT).get_json()["suspended"] is True
    assert client.put(path + "/suspended", json={"suspended": True},
                      headers=ROOT).status_code == 409
    assert client.put(path + "/suspended", json={"suspended": False},
                      headers=ROOT).status_code == 204
    assert client.get(path, headers=ROOT).get_json()["suspended"] is False
    assert client.delete(path, headers=basic("staf1")).status_code == 403
    assert client.delete(path, headers=ROOT).status_code == 204
    assert client.get("/engine-rest/process-instance/count",
                      headers=ROOT).get_json() == {"count": 0}
    assert client.delete(path, headers=ROOT).status_code == 409  # ended already
    (old,) = client.get(f"/engine-rest/history/process-instance?processInstanceId="
                        f"{started['id']}", headers=ROOT).get_json()
    assert old["state"] == "EXTERNALLY_TERMINATED" and CAMUNDA_DATE.match(old["endTime"])


def test_the_activity_tree_lists_the_open_tasks(client, admin, login):
    started = started_telaah(client)
    tree = client.get(f"/engine-rest/process-instance/{started['id']}/activity-instances",
                      headers=ROOT).get_json()
    assert tree["id"] == started["id"] and tree["activityType"] == "processDefinition"
    assert tree["activityId"] == "Proses_telaah"
    assert tree["processDefinitionId"] == started["definitionId"]
    (task,) = tree["childActivityInstances"]
    assert task["activityId"] == "Activity_telaah" and task["activityType"] == "userTask"
    assert task["parentActivityInstanceId"] == started["id"]
    (listed,) = client.get(f"/engine-rest/task?processInstanceId={started['id']}",
                           headers=ROOT).get_json()
    assert task["id"] == listed["id"]
