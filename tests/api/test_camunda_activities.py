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


def run_to_the_end(client, ctx, login, started: dict) -> None:
    """The review's user task completed by staf1, its service task by a worker, its message
    sent and its hour waited: the instance ends. Checks the tree at each wait."""
    instance_id = started["id"]
    login("staf1", "staf")
    (task,) = client.get(f"/engine-rest/task?processInstanceId={instance_id}",
                         headers=basic("staf1")).get_json()
    assert client.post(f"/engine-rest/task/{task['id']}/complete", json={},
                       headers=basic("staf1")).status_code == 204
    login("pengarsip", "worker")
    mine = [t for t in client.post("/engine-rest/external-task/fetchAndLock",
                                   json=WORKER_FETCH, headers=basic("pengarsip")).get_json()
            if t["processInstanceId"] == instance_id]
    assert client.post(f"/engine-rest/external-task/{mine[0]['id']}/complete",
                       json={"workerId": "w1"}, headers=basic("pengarsip")).status_code == 204

    tree = tree_of(client, instance_id)
    assert shape(tree) == [("Activity_tinjau", "subProcess",
                            [("Event_tanggapan", "intermediateMessageCatch", [])])]
    (sub,) = tree["childActivityInstances"]
    (catch,) = sub["childActivityInstances"]
    assert sub["parentActivityInstanceId"] == instance_id
    assert catch["parentActivityInstanceId"] == sub["id"] != instance_id

    assert client.post("/engine-rest/message", json={
        "messageName": "tanggapan", "processInstanceId": instance_id},
        headers=basic("pengarsip")).status_code == 204
    assert shape(tree_of(client, instance_id)) == [("Event_tunggu", "intermediateTimer", [])]

    ctx.clock.set(ctx.clock.now() + timedelta(hours=2), ticking=True)
    for leased in usecases.lease_due_timers(ctx, "timer-worker"):
        usecases.fire_timers(ctx, leased, "timer-worker")
    assert tree_of(client, instance_id)["childActivityInstances"] == []


def test_the_tree_follows_the_instance_into_its_sub_process_and_its_waits(
        client, ctx, admin, login):
    started = started_kajian(client)
    run_to_the_end(client, ctx, login, started)
    (ended,) = client.get(f"/engine-rest/history/process-instance?processInstanceId="
                         f"{started['id']}", headers=ROOT).get_json()
    assert ended["state"] == "COMPLETED"


def test_history_lists_a_finished_instances_activities_in_order(client, ctx, admin, login):
    started = started_kajian(client)
    run_to_the_end(client, ctx, login, started)
    login("pemeriksa", "auditor")
    found = client.get(f"/engine-rest/history/activity-instance?processInstanceId="
                       f"{started['id']}", headers=basic("pemeriksa")).get_json()
    assert [(a["activityId"], a["activityType"]) for a in found] == [
        ("Activity_kaji", "userTask"), ("Activity_arsip", "serviceTask"),
        ("Event_tanggapan", "intermediateMessageCatch"), ("Event_tunggu", "intermediateTimer")]
    assert all(a["processInstanceId"] == started["id"] and not a["canceled"]
               and a["processDefinitionId"] == started["definitionId"]
               and CAMUNDA_DATE.match(a["endTime"]) for a in found)
    kaji, arsip, message, timer = found
    for worked in (kaji, arsip):  # the log records when these began
        assert CAMUNDA_DATE.match(worked["startTime"])
        assert worked["durationInMillis"] >= 0 and worked["startTime"] <= worked["endTime"]
    assert kaji["assignee"] == "staf1" and kaji["taskId"] == kaji["id"]
    assert arsip["activityName"] == "Mengarsipkan usulan"
    assert message["startTime"] is None and timer["startTime"] is None  # not recorded
    assert kaji["endTime"] <= message["endTime"] < timer["endTime"]
    newest_first = client.get(f"/engine-rest/history/activity-instance?processInstanceId="
                              f"{started['id']}&sortBy=startTime&sortOrder=desc",
                              headers=basic("pemeriksa")).get_json()
    assert newest_first == found[::-1]
    assert client.get("/engine-rest/history/activity-instance?activityType=intermediateTimer",
                      headers=basic("pemeriksa")).get_json() == [timer]
    assert client.get("/engine-rest/history/activity-instance?sortBy=duration",
                      headers=basic("pemeriksa")).status_code == 400


def test_history_pages_activities_across_instances(client, ctx, admin, login):
    first = started_kajian(client, "K-1")
    ctx.clock.set(ctx.clock.now() + timedelta(minutes=1), ticking=True)
    second = started_kajian(client, "K-2")
    auditor = basic("pemeriksa")
    login("pemeriksa", "auditor")
    path = "/engine-rest/history/activity-instance"
    everything = client.get(path, headers=auditor).get_json()
    assert sorted((a["processInstanceId"], a["activityId"]) for a in everything) == sorted(
        [(first["id"], "Activity_kaji"), (second["id"], "Activity_kaji")])
    assert all(a["endTime"] is None and a["startTime"] for a in everything)
    pages = [client.get(f"{path}?firstResult={n}&maxResults=1", headers=auditor).get_json()
             for n in range(3)]
    assert [p[0]["id"] for p in pages[:2]] == [a["id"] for a in everything]
    assert pages[2] == []
    assert client.get(f"{path}/count?unfinished=true&processDefinitionKey=Proses_kajian",
                      headers=auditor).get_json() == {"count": 2}

    run_to_the_end(client, ctx, login, first)
    assert client.get(f"{path}/count", headers=auditor).get_json() == {"count": 5}
    assert client.get(f"{path}/count?finished=true", headers=auditor).get_json() == \
        {"count": 4}
    (open_one,) = client.get(f"{path}?unfinished=true", headers=auditor).get_json()
    assert open_one["processInstanceId"] == second["id"]
    service = client.get(f"{path}?activityId=Activity_arsip", headers=auditor).get_json()
    assert [a["processInstanceId"] for a in service] == [first["id"]]
    began = {a["processInstanceId"]: a["startTime"].replace("+", "%2B") for a in everything}
    later = client.get(f"{path}?startedAfter={began[second['id']]}", headers=auditor)
    assert [a["processInstanceId"] for a in later.get_json()] == [second["id"]]
    earlier = client.get(f"{path}?startedBefore={began[first['id']]}", headers=auditor)
    assert sorted(a["activityId"] for a in earlier.get_json()) == [
        "Activity_arsip", "Activity_kaji"]  # both began when the first instance started
    assert client.get(f"{path}?processDefinitionKey=nope", headers=auditor).get_json() == []


def test_user_operations_are_listed_across_instances(client, admin, login):
    first, second = started_kajian(client, "K-1"), started_kajian(client, "K-2")
    login("staf1", "staf")
    login("staf2", "staf")
    for started, user in ((first, "staf1"), (second, "staf2")):
        (task,) = client.get(f"/engine-rest/task?processInstanceId={started['id']}",
                             headers=basic(user)).get_json()
        assert client.post(f"/engine-rest/task/{task['id']}/claim", json={"userId": user},
                           headers=basic(user)).status_code == 204
        assert client.post(f"/engine-rest/task/{task['id']}/complete", json={},
                           headers=basic(user)).status_code == 204
    assert client.put(f"/engine-rest/process-instance/{second['id']}/suspended",
                      json={"suspended": True}, headers=ROOT).status_code == 204
    path = "/engine-rest/history/user-operation"
    everything = client.get(path, headers=ROOT).get_json()
    assert [(o["processInstanceId"], o["operationType"], o["userId"]) for o in everything] == [
        (first["id"], "Claim", "staf1"), (first["id"], "Complete", "staf1"),
        (second["id"], "Claim", "staf2"), (second["id"], "Complete", "staf2"),
        (second["id"], "Suspend", "root")]
    assert all(CAMUNDA_DATE.match(o["timestamp"]) for o in everything)
    assert everything[4]["entityType"] == "ProcessInstance" and everything[0]["taskId"]
    assert client.get(f"{path}?userId=staf2", headers=ROOT).get_json() == everything[2:4]
    assert client.get(f"{path}?operationType=Complete&maxResults=1&firstResult=1",
                      headers=ROOT).get_json() == [everything[3]]
    assert client.get(f"{path}/count?processInstanceId={first['id']}",
                      headers=ROOT).get_json() == {"count": 2}
    assert client.get(f"{path}?sortBy=timestamp&sortOrder=desc",
                      headers=ROOT).get_json() == everything[::-1]
    after = everything[4]["timestamp"]
    assert client.get(f"{path}?afterTimestamp={after.replace('+', '%2B')}",
                      headers=ROOT).get_json()[-1] == everything[4]
    assert client.get(f"{path}?operationType=Delegate", headers=ROOT).get_json() == []
    assert client.get(f"{path}?beforeTimestamp=yesterday", headers=ROOT).status_code == 400


def test_a_historic_incident_is_open_then_resolved_by_the_retry(client, admin, login):
    started = failed_for_good(client, login)
    tree = tree_of(client, started["id"])
    (failed,) = tree["childActivityInstances"]
    assert failed["activityId"] == "Activity_nilai" and failed["activityType"] == "serviceTask"
    (current,) = client.get("/engine-rest/incident", headers=ROOT).get_json()
    assert failed["incidentIds"] == [current["id"]]

    path = "/engine-rest/history/incident"
    (episode,) = client.get(path, headers=ROOT).get_json()
    assert episode["id"] == current["id"] and episode["open"] and not episode["resolved"]
    assert episode["incidentType"] == "failedExternalTask"
    assert episode["activityId"] == "Activity_nilai" and "server down" in \
        episode["incidentMessage"]
    assert CAMUNDA_DATE.match(episode["createTime"]) and episode["endTime"] is None

    retried = client.post(f"/api/v1/process-instances/{started['id']}/retry",
                          json={"reason": "server is back"}, headers=admin)
    assert retried.status_code == 200, retried.get_json()
    (episode,) = client.get(path, headers=ROOT).get_json()
    assert episode["resolved"] and not episode["open"] and not episode["deleted"]
    assert CAMUNDA_DATE.match(episode["endTime"]) and episode["endTime"] >= \
        episode["createTime"]
    assert client.get(f"{path}?open=true", headers=ROOT).get_json() == []
    assert client.get(f"{path}/count?resolved=true&processInstanceId={started['id']}",
                      headers=ROOT).get_json() == {"count": 1}
    assert client.get(f"{path}/count?incidentType=failedJob",
                      headers=ROOT).get_json() == {"count": 0}
    assert client.get("/engine-rest/incident", headers=ROOT).get_json() == []
    assert tree_of(client, started["id"])["childActivityInstances"][0]["incidentIds"] == []


def test_history_of_activities_operations_and_incidents_is_not_for_staff(
        client, admin, login):
    started_kajian(client)
    login("staf1", "staf")
    for path in ("/history/activity-instance", "/history/activity-instance/count",
                 "/history/user-operation", "/history/user-operation/count",
                 "/history/incident", "/history/incident/count"):
        answer = client.get("/engine-rest" + path, headers=basic("staf1"))
        assert answer.status_code == 403, path
        assert answer.get_json()["type"] == "AuthorizationException"
