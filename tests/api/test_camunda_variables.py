"""A process instance's variables under /engine-rest: read wherever the instance waits
(a worker's service task too), set, modified and deleted by admins, seen by the worker that
fetches the task next; an ended instance's final variables; the history of variable
instances for auditors; the external-task client's EngineClient reading one."""
from __future__ import annotations

import base64
import io

import pytest
import requests

from tests.api.helpers import PASSWORD
from tests.api.test_camunda import at_the_service_task, basic, modeler_deploy
from tests.conftest import FIXTURES

ROOT = basic("root")
DIAGRAM = FIXTURES / "camunda" / "telaah.bpmn"
FETCH = {"workerId": "w1", "topics": [{"topicName": "nilai", "lockDuration": 60000}]}


def variables_path(instance: dict) -> str:
    return f"/engine-rest/process-instance/{instance['id']}/variables"


def test_variables_at_a_service_task_are_changed_by_an_admin_and_the_worker_gets_them(
        client, admin, login):
    started = at_the_service_task(client, ROOT, login)
    path = variables_path(started)
    read = client.get(path + "?deserializeValues=false", headers=ROOT)
    assert read.status_code == 200 and read.get_json() == {}  # waiting only for a worker

    assert client.put(path + "/usulan", json={"value": "Gedung B", "type": "String"},
                      headers=ROOT).status_code == 204
    assert client.get(path + "/usulan", headers=ROOT).get_json() == {
        "value": "Gedung B", "type": "String", "valueInfo": {}}
    modified = client.post(path, headers=ROOT, json={
        "modifications": {"jumlah": {"value": 5, "type": "Integer"},
                          "rincian": {"value": '{"lantai": [1, 2]}', "type": "Json"}},
        "deletions": ["usulan"]})
    assert modified.status_code == 204, modified.get_json()
    assert client.get(path, headers=ROOT).get_json() == {
        "jumlah": {"value": 5, "type": "Integer", "valueInfo": {}},
        "rincian": {"value": '{"lantai": [1, 2]}', "type": "Json", "valueInfo": {}}}
    data = client.get(path + "/rincian/data", headers=ROOT)
    assert data.status_code == 200 and data.mimetype == "application/octet-stream"
    assert data.data == b'{"lantai": [1, 2]}'
    assert client.delete(path + "/jumlah", headers=ROOT).status_code == 204
    gone = client.get(path + "/jumlah", headers=ROOT)
    assert gone.status_code == 404 and "jumlah" in gone.get_json()["message"]
    assert client.get(path + "/jumlah/data", headers=ROOT).status_code == 404

    staff = basic("staf1")  # reads every instance; changes none
    assert client.get(path, headers=staff).get_json() == {
        "rincian": {"value": '{"lantai": [1, 2]}', "type": "Json", "valueInfo": {}}}
    for refused in (client.put(path + "/x", json={"value": 1, "type": "Integer"},
                               headers=staff),
                    client.post(path, json={"deletions": ["rincian"]}, headers=staff),
                    client.delete(path + "/rincian", headers=staff)):
        assert refused.status_code == 403
        assert refused.get_json()["type"] == "AuthorizationException"

    worker = basic("pekerja")
    (external,) = client.post("/engine-rest/external-task/fetchAndLock", json=FETCH,
                              headers=worker).get_json()
    assert external["variables"] == {
        "rincian": {"value": '{"lantai": [1, 2]}', "type": "Json", "valueInfo": {}}}
    assert client.post(f"/engine-rest/external-task/{external['id']}/complete", json={
        "workerId": "w1", "variables": {"nilai": {"value": 87, "type": "Integer"}}},
        headers=worker).status_code == 204

    # ended: its final variables are read, nothing changes them any more
    assert client.get(path, headers=ROOT).get_json() == {
        "nilai": {"value": 87, "type": "Integer", "valueInfo": {}},
        "rincian": {"value": '{"lantai": [1, 2]}', "type": "Json", "valueInfo": {}}}
    for refused in (client.put(path + "/nilai", json={"value": 90, "type": "Integer"},
                               headers=ROOT),
                    client.post(path, json={"deletions": ["nilai"]}, headers=ROOT),
                    client.delete(path + "/nilai", headers=ROOT)):
        assert refused.status_code == 409 and "completed" in refused.get_json()["message"]


def test_a_change_reaches_the_user_task_that_comes_next(client, admin, login):
    telaah = DIAGRAM.read_bytes()
    modeler_deploy(client, ROOT, {"telaah.bpmn": (io.BytesIO(telaah), "telaah.bpmn")})
    started = client.post("/engine-rest/process-definition/key/Proses_telaah/start", json={
        "variables": {"usulan": {"value": "Gedung A", "type": "String"}}},
        headers=ROOT).get_json()
    path = variables_path(started)
    assert client.put(path + "/usulan", json={"value": "Gedung C", "type": "String"},
                      headers=ROOT).status_code == 204
    login("staf1", "staf")
    (task,) = client.get(f"/engine-rest/task?processInstanceId={started['id']}",
                         headers=basic("staf1")).get_json()
    assert client.get(f"/engine-rest/task/{task['id']}/variables",
                      headers=basic("staf1")).get_json()["usulan"]["value"] == "Gedung C"


@pytest.mark.parametrize("method, suffix, body, field", [
    ("put", "/jumlah", {"type": "Integer"}, "value"),
    ("put", "/jumlah", {"value": "lima", "type": "Integer"}, "variables.jumlah"),
    ("put", "/objek", {"value": "rO0ABXQAA2FiYw==", "type": "Object",
                       "valueInfo": {"objectTypeName": "java.lang.String",
                                     "serializationDataFormat":
                                     "application/x-java-serialized-object"}},
     "variables.objek"),
    ("put", "/jumlah", {"value": 5, "type": 5}, "variables.jumlah"),
    ("put", "/jumlah", {"value": 5, "valueInfo": [1]}, "variables.jumlah"),
    ("put", "/jumlah", [5], "_body"),
    ("post", "", [], "_body"),
    ("post", "", {"modifications": [1]}, "modifications"),
    ("post", "", {"modifications": {"a": 3}}, "modifications.a"),
    ("post", "", {"deletions": "usulan"}, "deletions"),
    ("post", "", {"deletions": [""]}, "deletions[0]"),
    ("post", "", {"deletions": ["usulan", 5]}, "deletions[1]"),
])
def test_bad_bodies_are_a_400_naming_the_field(client, admin, login, method, suffix, body,
                                               field):
    started = at_the_service_task(client, ROOT, login)
    path = variables_path(started)
    answer = getattr(client, method)(path + suffix, json=body, headers=ROOT)
    assert answer.status_code == 400, answer.get_json()
    assert answer.get_json()["type"] == "InvalidRequestException"
    assert field in answer.get_json()["message"]
    assert client.get(path, headers=ROOT).get_json() == {}  # nothing changed


def test_the_history_of_variable_instances_is_for_auditors(client, admin, login):
    first = at_the_service_task(client, ROOT, login)
    second = client.post("/engine-rest/process-definition/key/Proses_telaah/start", json={
        "variables": {"usulan": {"value": "Gedung A", "type": "String"},
                      "jumlah": {"value": 3, "type": "Integer"}}}, headers=ROOT).get_json()
    assert client.post(variables_path(first), headers=ROOT, json={"modifications": {
        "usulan": {"value": "Gedung B", "type": "String"}}}).status_code == 204
    login("pemeriksa", "auditor")
    auditor = basic("pemeriksa")

    listed = client.get("/engine-rest/history/variable-instance?sortBy=variableName"
                        "&sortOrder=asc", headers=auditor).get_json()
    assert [v["name"] for v in listed] == ["jumlah", "usulan", "usulan"]
    assert sorted((v["processInstanceId"], v["name"], v["value"]) for v in listed) == sorted(
        [(second["id"], "jumlah", 3), (second["id"], "usulan", "Gedung A"),
         (first["id"], "usulan", "Gedung B")])
    one = next(v for v in listed if v["processInstanceId"] == first["id"])
    assert one["id"] == f"{first['id']}:usulan" and one["type"] == "String"
    assert one["valueInfo"] == {} and one["state"] == "CREATED" and one["taskId"] is None
    assert one["processDefinitionKey"] == "Proses_telaah"
    assert one["processDefinitionId"] == first["definitionId"]
    assert one["executionId"] == one["activityInstanceId"] == first["id"]

    def names(query: str) -> list:
        return sorted((v["processInstanceId"] == first["id"], v["name"]) for v in client.get(
            "/engine-rest/history/variable-instance?" + query, headers=auditor).get_json())
    assert names(f"processInstanceId={second['id']}") == [(False, "jumlah"), (False, "usulan")]
    assert names(f"processInstanceIdIn={first['id']},nope") == [(True, "usulan")]
    assert names("variableName=usulan") == [(False, "usulan"), (True, "usulan")]
    assert names("variableNameLike=jum%25") == [(False, "jumlah")]
    assert names("processDefinitionKey=other") == []
    assert names("variableName=usulan&maxResults=1&sortBy=instanceId") in (
        [(False, "usulan")], [(True, "usulan")])
    assert client.get("/engine-rest/history/variable-instance/count?variableName=usulan",
                      headers=auditor).get_json() == {"count": 2}
    posted = client.post("/engine-rest/history/variable-instance", headers=auditor,
                         json={"processInstanceIdIn": [second["id"]],
                               "sorting": [{"sortBy": "variableName", "sortOrder": "desc"}]})
    assert [v["name"] for v in posted.get_json()] == ["usulan", "jumlah"]
    assert client.post("/engine-rest/history/variable-instance/count", headers=auditor,
                       json={"variableNameLike": "%"}).get_json() == {"count": 3}

    assert client.get("/engine-rest/history/variable-instance",
                      headers=basic("staf1")).status_code == 403
    assert client.get("/engine-rest/history/variable-instance?maxResults=-1",
                      headers=auditor).status_code == 400


def test_the_external_task_clients_engine_client_reads_a_variable(live_server):
    engine_client = pytest.importorskip("camunda.client.engine_client")
    url = f"{live_server.url}/engine-rest"
    auth = ("admin", live_server.admin_password)
    deployed = requests.post(f"{url}/deployment/create", timeout=30, auth=auth, data={
        "deployment-name": "telaah"}, files={DIAGRAM.name: (DIAGRAM.name, DIAGRAM.read_bytes())})
    assert deployed.ok, deployed.text
    for name, role in [("staf1", "staf"), ("pekerja", "worker")]:
        made = requests.post(f"{live_server.url}/api/v1/users", timeout=30,
                             headers=_bearer(live_server), json={
                                 "username": name, "password": PASSWORD, "roles": [role]})
        assert made.status_code == 201, made.text
    starter = engine_client.EngineClient(engine_base_url=url, config={
        "auth_basic": {"username": "admin", "password": live_server.admin_password}})
    started = starter.start_process("Proses_telaah", {"usulan": "Gedung A", "jumlah": 3})
    (task,) = requests.get(f"{url}/task?processInstanceId={started['id']}", timeout=30,
                           auth=("staf1", PASSWORD)).json()
    done = requests.post(f"{url}/task/{task['id']}/complete", timeout=30, json={},
                         auth=("staf1", PASSWORD))
    assert done.status_code == 204, done.text

    # the worker reads a variable of the instance whose service task waits for it
    client = engine_client.EngineClient(engine_base_url=url, config={
        "auth_basic": {"username": "pekerja", "password": PASSWORD}})

    content = client.get_process_instance_variable(started["id"], "usulan")
    assert base64.b64decode(content) == b"Gedung A"
    with_meta = client.get_process_instance_variable(started["id"], "jumlah", with_meta=True)
    assert with_meta["type"] == "Integer" and base64.b64decode(with_meta["value"]) == b"3"


def _bearer(live_server) -> dict:
    token = requests.post(f"{live_server.url}/api/v1/auth/token", timeout=30, json={
        "username": "admin", "password": live_server.admin_password}).json()
    return {"Authorization": f"Bearer {token['access_token']}"}
