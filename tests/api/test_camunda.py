"""Camunda 7's REST API under /engine-rest: its wire format, its authentication (Basic and
bearer), and the calls Camunda Modeler's deploy button makes."""
from __future__ import annotations

import base64
import io
import re

import pytest

from tests.api.helpers import PASSWORD
from tests.conftest import FIXTURES

CAMUNDA_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}$")


def basic(username: str, password: str = PASSWORD) -> dict:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def root_basic(admin):
    return basic("root")


def mini_files() -> dict:
    folder = FIXTURES / "mini"
    return {path.name: (io.BytesIO(path.read_bytes()), path.name)
            for path in sorted(folder.iterdir())}


def modeler_deploy(client, headers, files: dict, name="mini"):
    """The multipart body Camunda Modeler sends: each file under its own part name."""
    data = {"deployment-name": name, "deployment-source": "Camunda Modeler",
            "enable-duplicate-filtering": "true", "deploy-changed-only": "true",
            "tenant-id": "ignored", **files}
    return client.post("/engine-rest/deployment/create", data=data, headers=headers,
                       content_type="multipart/form-data")


@pytest.mark.parametrize("prefix", ["/engine-rest", "/engine-rest/engine/default"])
def test_version_and_engine_answer_under_both_prefixes(client, prefix):
    assert client.get(f"{prefix}/version").get_json() == {"version": "7.22.0"}
    assert client.get(f"{prefix}/engine").get_json() == [{"name": "default"}]


def test_calls_without_credentials_are_refused_with_a_basic_challenge(client):
    answer = client.get("/engine-rest/deployment?maxResults=0")
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == 'Basic realm="default"'
    body = answer.get_json()
    assert body["type"] == "AuthenticationException" and body["message"]
    assert set(body) == {"type", "message", "code"}


def test_a_wrong_password_is_refused_and_counted_by_the_throttle(client, admin):
    for _ in range(12):
        answer = client.get("/engine-rest/deployment", headers=basic("root", "wrong"))
        if answer.status_code == 429:
            break
        assert answer.status_code == 401
    assert answer.status_code == 429
    assert answer.get_json()["type"] == "TooManyRequestsException"


def test_basic_and_bearer_authenticate_the_same_user(client, admin, root_basic):
    for headers in (admin, root_basic):
        answer = client.get("/engine-rest/deployment?maxResults=0", headers=headers)
        assert answer.status_code == 200 and answer.get_json() == []


def test_the_policy_applies_a_non_admin_cannot_deploy(client, login):
    login("staff", "kepala_bagian")
    answer = modeler_deploy(client, basic("staff"), mini_files())
    assert answer.status_code == 403
    assert answer.get_json()["type"] == "AuthorizationException"


def test_the_modeler_deploys_and_the_answer_keys_definitions_by_id(client, root_basic):
    answer = modeler_deploy(client, root_basic, mini_files())
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["name"] == "mini" and body["source"] == "api"  # the engine's own source
    assert CAMUNDA_DATE.match(body["deploymentTime"])
    (definition_id, definition), = body["deployedProcessDefinitions"].items()
    assert definition_id == definition["id"] and definition_id.startswith("mini_review:1:")
    assert definition["key"] == "mini_review" and definition["version"] == 1
    assert definition["deploymentId"] == body["id"]

    listed = client.get("/engine-rest/deployment", headers=root_basic).get_json()
    assert [d["id"] for d in listed] == [body["id"]]
    assert client.get("/engine-rest/deployment/count",
                      headers=root_basic).get_json() == {"count": 1}
    one = client.get(f"/engine-rest/deployment/{body['id']}", headers=root_basic).get_json()
    assert one["name"] == "mini" and CAMUNDA_DATE.match(one["deploymentTime"])
    resources = client.get(f"/engine-rest/deployment/{body['id']}/resources",
                           headers=root_basic).get_json()
    assert "review.bpmn" in {r["name"] for r in resources}
    assert client.get("/engine-rest/deployment?name=other",
                      headers=root_basic).get_json() == []
    assert client.get("/engine-rest/deployment?nameLike=mi%25",
                      headers=root_basic).get_json()[0]["id"] == body["id"]

    again = modeler_deploy(client, root_basic, mini_files()).get_json()
    assert again["deployedProcessDefinitions"] is None  # nothing changed, nothing made
    assert again["id"] == body["id"]  # like duplicate filtering: the deployment made before


def test_an_invalid_diagram_is_a_400_with_message_and_parse_details(client, root_basic):
    broken = b'<?xml version="1.0"?><definitions xmlns="http://www.omg.org/spec/BPMN/' \
             b'20100524/MODEL"><process id="p" isExecutable="true"><startEvent id="s"/>' \
             b'<sequenceFlow id="f" sourceRef="s" targetRef="missing"/></process></definitions>'
    answer = modeler_deploy(client, root_basic, {"diagram_1.bpmn": (io.BytesIO(broken),
                                                                    "diagram_1.bpmn")})
    assert answer.status_code == 400
    body = answer.get_json()
    assert body["type"] in ("ParseException", "InvalidRequestException")
    assert "diagram_1.bpmn" in body["message"] or "diagram_1.bpmn" in body.get("details", {})


def test_bad_input_is_camundas_invalid_request(client, root_basic):
    answer = client.post("/engine-rest/deployment/create", json={}, headers=root_basic)
    assert answer.status_code == 400
    assert answer.get_json()["type"] == "InvalidRequestException"
    answer = client.get("/engine-rest/deployment?maxResults=-1", headers=root_basic)
    assert answer.status_code == 400 and "maxResults" in answer.get_json()["message"]
    answer = client.get("/engine-rest/deployment/nope", headers=root_basic)
    assert answer.status_code == 404


@pytest.mark.parametrize("path", ["/engine-rest/deployment", "/engine-rest/history/activity-instance"])
@pytest.mark.parametrize("field, value", [("firstResult", "+5"), ("maxResults", " 5"),
                                          ("firstResult", "٣"), ("maxResults", "1.5"),
                                          ("firstResult", "10000000000000000000000")])
def test_a_page_bound_that_is_not_plain_digits_is_refused_naming_it(client, root_basic, path,
                                                                      field, value):
    """Every Camunda listing reads its paging one way; a number too large for a database
    offset is refused where the engine pages in the database."""
    answer = client.get(path, query_string={field: value}, headers=root_basic)
    if path.endswith("deployment") and value.startswith("1000"):
        assert answer.status_code == 200 and answer.get_json() == []  # a list's slice
        return
    assert answer.status_code == 400, answer.get_json()
    assert field in answer.get_json()["message"]


def test_definitions_are_listed_read_and_started_by_id_and_key(client, root_basic, login):
    deployed = modeler_deploy(client, root_basic, mini_files()).get_json()
    (definition_id, _), = deployed["deployedProcessDefinitions"].items()
    listed = client.get("/engine-rest/process-definition?key=mini_review&latestVersion=true",
                        headers=root_basic).get_json()
    assert [d["id"] for d in listed] == [definition_id]
    assert client.get("/engine-rest/process-definition/count?key=nope",
                      headers=root_basic).get_json() == {"count": 0}
    by_key = client.get("/engine-rest/process-definition/key/mini_review",
                        headers=root_basic).get_json()
    assert by_key["id"] == definition_id
    xml = client.get(f"/engine-rest/process-definition/{definition_id}/xml",
                     headers=root_basic).get_json()
    assert "mini_review" in xml["bpmn20Xml"]
    # no image was deployed: Camunda's 204; an unknown definition is still a 404
    assert client.get(f"/engine-rest/process-definition/{definition_id}/diagram",
                      headers=root_basic).status_code == 204
    assert client.get("/engine-rest/process-definition/key/nope/diagram",
                      headers=root_basic).status_code == 404
    assert client.get("/engine-rest/process-definition/mini_review:1:999",
                      headers=root_basic).status_code == 404
    assert client.get("/engine-rest/process-definition/key/nope",
                      headers=root_basic).status_code == 404


def test_variables_in_camundas_types_are_read_and_checked(client, root_basic):
    from api.camunda import wire
    from engine.errors import InvalidInput
    assert wire.variables_in({
        "s": {"value": "x", "type": "String"}, "i": {"value": 3, "type": "Integer"},
        "l": {"value": 2 ** 40, "type": "Long"}, "d": {"value": 1.5, "type": "Double"},
        "b": {"value": True, "type": "Boolean"}, "n": {"value": None, "type": "Null"},
        "t": {"value": "2026-03-02T10:00:00.000+0700", "type": "Date"},
        "j": {"value": '{"a": [1]}', "type": "Json"},
        "o": {"value": '{"a": 1}', "type": "Object",
              "valueInfo": {"serializationDataFormat": "application/json"}}}) == {
        "s": "x", "i": 3, "l": 2 ** 40, "d": 1.5, "b": True, "n": None,
        "t": "2026-03-02T10:00:00.000+0700", "j": {"a": [1]}, "o": {"a": 1}}
    for bad in ({"v": {"value": "x", "type": "Integer"}},
                {"v": {"value": "rO0AB", "type": "Object",
                       "valueInfo": {"serializationDataFormat":
                                     "application/x-java-serialized-object"}}},
                {"v": {"value": "yesterday", "type": "Date"}},
                {"v": {"value": 1, "type": "Bytes"}}, {"v": 3}):
        with pytest.raises(InvalidInput):
            wire.variables_in(bad)
    assert wire.variables_out({"a": 1, "b": 2 ** 40, "c": {"x": 1}, "d": None}) == {
        "a": {"value": 1, "type": "Integer", "valueInfo": {}},
        "b": {"value": 2 ** 40, "type": "Long", "valueInfo": {}},
        "c": {"value": '{"x": 1}', "type": "Json", "valueInfo": {}},
        "d": {"value": None, "type": "Null", "valueInfo": {}}}


def test_a_deployment_in_use_is_kept_and_cascade_is_refused(client, root_basic):
    deployed = modeler_deploy(client, root_basic, mini_files()).get_json()
    (definition_id, _), = deployed["deployedProcessDefinitions"].items()
    started = client.post(f"/engine-rest/process-definition/{definition_id}/start",
                          json={"businessKey": "LKJ-2026",
                                "variables": {"year": {"value": 2026, "type": "Integer"}},
                                "withVariablesInReturn": True},
                          headers=root_basic)
    assert started.status_code == 200, started.get_json()
    instance = started.get_json()
    assert instance["definitionId"] == definition_id and instance["businessKey"] == "LKJ-2026"
    assert instance["variables"]["year"] == {"value": 2026, "type": "Integer", "valueInfo": {}}
    path = f"/engine-rest/deployment/{deployed['id']}"
    refused = client.delete(path, headers=root_basic)
    assert refused.status_code == 409 and "used by 1" in refused.get_json()["message"]
    cascade = client.delete(path + "?cascade=true", headers=root_basic)
    assert cascade.status_code == 400 and "cascade" in cascade.get_json()["message"]
    assert client.get(path, headers=root_basic).status_code == 200


def test_an_unused_deployment_is_deleted(client, root_basic):
    deployed = modeler_deploy(client, root_basic, mini_files()).get_json()
    path = f"/engine-rest/deployment/{deployed['id']}"
    assert client.delete(path, headers=root_basic).status_code == 204
    assert client.get(path, headers=root_basic).status_code == 404
    assert client.get("/engine-rest/process-definition/key/mini_review",
                      headers=root_basic).status_code == 404
    assert client.delete(path, headers=root_basic).status_code == 404


def test_a_task_is_found_by_candidate_group_claimed_and_completed(client, root_basic, login):
    deployed = modeler_deploy(client, root_basic, mini_files()).get_json()
    (definition_id, _), = deployed["deployedProcessDefinitions"].items()
    started = client.post("/engine-rest/process-definition/key/mini_review/start",
                          json={"businessKey": "B-1"}, headers=root_basic).get_json()
    login("staf1", "staf")
    login("staf2", "staf")
    staf1, staf2 = basic("staf1"), basic("staf2")
    tasks = client.get("/engine-rest/task?candidateGroup=staf", headers=staf1).get_json()
    assert [t["taskDefinitionKey"] for t in tasks] == ["draft"]
    task = tasks[0]
    assert task["processInstanceId"] == started["id"]
    assert task["processDefinitionId"] == definition_id
    assert task["assignee"] is None and CAMUNDA_DATE.match(task["created"])
    assert client.post("/engine-rest/task", json={"processDefinitionKey": "mini_review",
                                                  "nameLike": "%konsep"},
                       headers=staf1).get_json()[0]["id"] == task["id"]
    assert client.get("/engine-rest/task/count?candidateGroup=kepala_bagian",
                      headers=staf1).get_json() == {"count": 0}
    links = client.get(f"/engine-rest/task/{task['id']}/identity-links",
                       headers=staf1).get_json()
    assert links == [{"userId": None, "groupId": "staf", "type": "candidate"}]

    path = f"/engine-rest/task/{task['id']}"
    assert client.post(path + "/claim", json={"userId": "staf1"},
                       headers=staf1).status_code == 204
    assert client.get(path, headers=staf1).get_json()["assignee"] == "staf1"
    for_someone_else = client.post(path + "/claim", json={"userId": "staf1"}, headers=staf2)
    assert for_someone_else.status_code == 403  # only an admin gives a task to someone else
    # Camunda answers 500 here; a task someone holds is a conflict
    taken = client.post(path + "/claim", json={"userId": "staf2"}, headers=staf2)
    assert taken.status_code == 409 and "staf1" in taken.get_json()["message"]
    assert client.get("/engine-rest/task?candidateGroup=staf",
                      headers=staf2).get_json() == []
    assert len(client.get("/engine-rest/task?candidateGroup=staf&includeAssignedTasks=true",
                          headers=staf2).get_json()) == 1

    refused = client.post(path + "/complete", json={"variables": {
        "title": {"value": 5, "type": "Integer"}}}, headers=staf1)
    assert refused.status_code == 400 and refused.get_json()["type"] == \
        "InvalidRequestException"
    done = client.post(path + "/complete", json={
        "variables": {"title": {"value": "Konsep LKj", "type": "String"}},
        "withVariablesInReturn": True}, headers=staf1)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["title"] == {"value": "Konsep LKj", "type": "String",
                                        "valueInfo": {}}
    assert client.get(path, headers=staf1).status_code in (200, 404)
    assert client.get("/engine-rest/task?processInstanceId=" + started["id"],
                      headers=root_basic).get_json()[0]["taskDefinitionKey"] == "check"
    instances = client.get("/engine-rest/process-instance?businessKey=B-1",
                           headers=root_basic).get_json()
    assert [i["id"] for i in instances] == [started["id"]]
    assert instances[0]["definitionId"] == definition_id and not instances[0]["ended"]
    assert client.get("/engine-rest/process-instance/count",
                      headers=root_basic).get_json() == {"count": 1}
    assert client.get(f"/engine-rest/process-instance/{started['id']}",
                      headers=root_basic).get_json()["businessKey"] == "B-1"


def at_the_service_task(client, root_basic, login) -> dict:
    """The Camunda Modeler diagram deployed and started, its user task completed: the
    instance waits for a worker of topic `nilai`; `pekerja` is a worker."""
    telaah = FIXTURES / "camunda" / "telaah.bpmn"
    modeler_deploy(client, root_basic, {"telaah.bpmn": (io.BytesIO(telaah.read_bytes()),
                                                        "telaah.bpmn")})
    started = client.post("/engine-rest/process-definition/key/Proses_telaah/start",
                          json={}, headers=root_basic).get_json()
    login("staf1", "staf")
    task = client.get("/engine-rest/task", headers=basic("staf1")).get_json()[0]
    assert client.post(f"/engine-rest/task/{task['id']}/complete", json={},
                       headers=basic("staf1")).status_code == 204
    login("pekerja", "worker")
    return started


def test_a_worker_fetches_external_tasks_and_others_may_not(client, root_basic, login):
    started = at_the_service_task(client, root_basic, login)
    worker = basic("pekerja")
    fetch = {"workerId": "w1", "maxTasks": 5, "asyncResponseTimeout": 100,
             "topics": [{"topicName": "nilai", "lockDuration": 60000}]}
    refused = client.post("/engine-rest/external-task/fetchAndLock", json=fetch,
                          headers=basic("staf1"))
    assert refused.status_code == 403  # workers and admins only
    (external,) = client.post("/engine-rest/external-task/fetchAndLock", json=fetch,
                              headers=worker).get_json()
    assert external["processInstanceId"] == started["id"]
    assert external["processDefinitionKey"] == "Proses_telaah"
    assert CAMUNDA_DATE.match(external["lockExpirationTime"])
    listed = client.get("/engine-rest/external-task?topicName=nilai", headers=worker)
    assert [t["id"] for t in listed.get_json()] == [external["id"]]
    assert client.get("/engine-rest/external-task/count?topicName=nilai",
                      headers=worker).get_json() == {"count": 1}
    assert client.get("/engine-rest/external-task/count?topicName=lain",
                      headers=worker).get_json() == {"count": 0}


def test_a_worker_reports_failure_and_the_task_comes_back(client, root_basic, login):
    at_the_service_task(client, root_basic, login)
    worker = basic("pekerja")
    fetch = {"workerId": "w1", "topics": [{"topicName": "nilai", "lockDuration": 60000}]}
    (external,) = client.post("/engine-rest/external-task/fetchAndLock", json=fetch,
                              headers=worker).get_json()
    path = f"/engine-rest/external-task/{external['id']}"
    other = client.post(path + "/complete", json={"workerId": "w2"}, headers=worker)
    assert other.status_code == 409  # not the lock's holder
    assert client.post(path + "/extendLock", json={"workerId": "w1", "newDuration": 5000},
                       headers=worker).status_code == 204
    assert client.post(path + "/failure", json={
        "workerId": "w1", "errorMessage": "timeout", "retries": 2, "retryTimeout": 0},
        headers=worker).status_code == 204
    (again,) = client.post("/engine-rest/external-task/fetchAndLock", json=fetch,
                           headers=worker).get_json()
    assert again["id"] == external["id"] and again["retries"] == 2
    assert again["errorMessage"] == "timeout"
    listed = client.get("/engine-rest/external-task?topicName=nilai", headers=worker).get_json()
    assert [(t["id"], t["workerId"]) for t in listed] == [(external["id"], "w1")]
    assert client.post(path + "/unlock", headers=worker).status_code == 204
    assert client.get("/engine-rest/external-task", headers=worker).get_json()[0][
        "workerId"] is None
    (again,) = client.post("/engine-rest/external-task/fetchAndLock", json=fetch,
                           headers=worker).get_json()
    assert client.post("/engine-rest/external-task/nope/unlock",
                       headers=worker).status_code == 404
    assert client.post(path + "/complete", json={
        "workerId": "w1", "variables": {"nilai": {"value": 87, "type": "Integer"}}},
        headers=worker).status_code == 204
    assert client.post("/engine-rest/signal", json={"name": "nobody-listens"},
                       headers=worker).status_code == 204
    unknown = client.post("/engine-rest/message", json={"messageName": "nobody-waits"},
                          headers=worker)
    assert unknown.status_code == 404 and "nobody-waits" in unknown.get_json()["message"]
    assert client.post("/engine-rest/external-task/fetchAndLock", json=fetch,
                       headers=worker).get_json() == []


@pytest.mark.parametrize("query", [{"candidateGroups": 5}, {"nameLike": ["x"]},
                                   {"sorting": [5]}, {"sorting": [{"sortBy": "colour"}]},
                                   {"dueBefore": "tomorrow"}, {"processInstanceId": 3},
                                   {"taskDefinitionKeyIn": [1, 2]}])
def test_a_task_query_of_the_wrong_shape_is_a_400_naming_the_field(client, root_basic, query):
    answer = client.post("/engine-rest/task", json=query, headers=root_basic)
    assert answer.status_code == 400, answer.get_json()
    assert next(iter(query)) in answer.get_json()["message"] or "sort" in \
        answer.get_json()["message"]


def test_an_id_too_large_for_the_database_is_not_found(client, root_basic):
    assert client.get("/engine-rest/deployment/" + "9" * 30,
                      headers=root_basic).status_code == 404
    assert client.post("/engine-rest/process-instance", json={"processInstanceIds": {}},
                       headers=root_basic).status_code == 400


def test_an_admin_gives_a_task_to_someone_else_through_assignee(client, root_basic, login):
    """Camunda's `/assignee` (or `/claim`) with another user's id is an admin reassigning
    the task; the user must hold one of its queues."""
    modeler_deploy(client, root_basic, mini_files())
    login("staf1", "staf"), login("staf2", "staf"), login("kabag", "kepala_bagian")
    client.post("/engine-rest/process-definition/key/mini_review/start", json={},
                headers=root_basic)
    [task] = client.get("/engine-rest/task", headers=basic("staf1")).get_json()
    path = f"/engine-rest/task/{task['id']}"
    assert client.post(path + "/claim", json={"userId": "staf1"},
                       headers=basic("staf1")).status_code == 204

    assert client.post(path + "/assignee", json={"userId": "staf2"},
                       headers=root_basic).status_code == 204
    assert client.get(path, headers=basic("staf2")).get_json()["assignee"] == "staf2"
    refused = client.post(path + "/assignee", json={"userId": "kabag"}, headers=root_basic)
    assert refused.status_code == 400 and "kabag" in refused.get_json()["message"]
    assert client.post(path + "/claim", json={"userId": 7},
                       headers=root_basic).status_code == 400
    operations = client.get("/engine-rest/history/user-operation?operationType=Assign",
                            headers=root_basic).get_json()
    assert [(o["operationType"], o["userId"], o["taskId"]) for o in operations] == [
        ("Assign", "root", task["id"])]
