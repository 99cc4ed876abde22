"""Camunda 7's REST API under /engine-rest: a definition's start form and its variables,
statistics of the open work, a task's local variables, an external task's error details and
retries, and jobs (failed steps and timers), with the real client's job calls."""
from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest
import requests

from tests.api.helpers import PASSWORD
from tests.api.test_camunda import (
    CAMUNDA_DATE,
    at_the_service_task,
    basic,
    mini_files,
    modeler_deploy,
)
from tests.api.test_camunda_more import failed_for_good
from tests.conftest import FIXTURES

ROOT = basic("root")
USULAN = FIXTURES / "camunda" / "usulan.bpmn"
USULAN_FORM = FIXTURES / "camunda" / "form_usulan.form"
DEFINITION = "/engine-rest/process-definition"
# the script computes the ceiling once the deadline has passed (the clock is 2026-03-02)
BEFORE_DEADLINE = {"usulan": {"value": "Gedung B", "type": "String"},
                   "jumlah": {"value": 4, "type": "Integer"},
                   "tenggat": {"value": "2026-03-05", "type": "String"}}
AFTER_DEADLINE = datetime(2026, 3, 6, 3, 0, tzinfo=timezone.utc)


def deploy_usulan(client) -> str:
    """The Camunda Modeler diagram with a start form (a Camunda form); its definition id."""
    answer = modeler_deploy(client, ROOT, {
        USULAN.name: (io.BytesIO(USULAN.read_bytes()), USULAN.name),
        USULAN_FORM.name: (io.BytesIO(USULAN_FORM.read_bytes()), USULAN_FORM.name)},
        name="usulan")
    assert answer.status_code == 200, answer.get_json()
    (definition_id,) = answer.get_json()["deployedProcessDefinitions"]
    return definition_id


def start_usulan(client, variables=None) -> dict:
    started = client.post(f"{DEFINITION}/key/Proses_usulan/start",
                          json={"variables": variables or BEFORE_DEADLINE}, headers=ROOT)
    assert started.status_code == 200, started.get_json()
    return started.get_json()


def failed_step(client, login, deploy: bool = True) -> dict:
    """An instance whose script step failed after its user task was completed."""
    if deploy:
        deploy_usulan(client)
    started = start_usulan(client)
    login("staf1", "staf")
    (task,) = client.get(f"/engine-rest/task?processInstanceId={started['id']}",
                         headers=ROOT).get_json()
    assert client.post(f"/engine-rest/task/{task['id']}/complete", json={},
                       headers=basic("staf1")).status_code == 204
    return started


# ---------------------------------------------------------------- the start form

def test_the_start_form_of_a_camunda_modeler_diagram_and_its_variables(client, admin, login):
    definition_id = deploy_usulan(client)
    login("staf1", "staf")
    for path in (f"{DEFINITION}/{definition_id}", f"{DEFINITION}/key/Proses_usulan"):
        form = client.get(path + "/startForm", headers=basic("staf1")).get_json()
        assert form["key"] == "form_usulan" and form["contextPath"] is None
        assert form["camundaFormRef"]["key"] == "form_usulan"
        variables = client.get(path + "/form-variables", headers=basic("staf1")).get_json()
        assert variables == {
            "usulan": {"value": None, "type": "String", "valueInfo": {}},
            "jumlah": {"value": 1, "type": "Integer", "valueInfo": {}},
            "tenggat": {"value": None, "type": "String", "valueInfo": {}},
            "mendesak": {"value": False, "type": "Boolean", "valueInfo": {}}}
    picked = client.get(f"{DEFINITION}/key/Proses_usulan/form-variables"
                        "?variableNames=jumlah,mendesak", headers=ROOT).get_json()
    assert set(picked) == {"jumlah", "mendesak"}
    # the start form is the engine's: a start without its required fields is refused
    refused = client.post(f"{DEFINITION}/key/Proses_usulan/start", json={}, headers=ROOT)
    assert refused.status_code == 400 and "usulan" in refused.get_json()["message"]
    assert client.get(f"{DEFINITION}/key/nope/startForm", headers=ROOT).status_code == 404
    assert client.get(f"{DEFINITION}/nope:1:9/form-variables",
                      headers=ROOT).status_code == 404


def test_a_start_event_naming_a_form_not_deployed_is_refused(client, admin):
    answer = modeler_deploy(client, ROOT, {USULAN.name: (io.BytesIO(USULAN.read_bytes()),
                                                         USULAN.name)}, name="usulan")
    assert answer.status_code == 400
    assert "form_usulan" in answer.get_json()["message"]
    (problem,) = answer.get_json()["details"]["usulan.bpmn"]["errors"]
    assert problem["mainElementId"] == "StartEvent_usulan"


def test_a_definition_without_a_start_form_answers_a_null_key(client, admin, login):
    at_the_service_task(client, ROOT, login)
    assert client.get(f"{DEFINITION}/key/Proses_telaah/startForm", headers=ROOT).get_json() \
        == {"key": None, "contextPath": None, "generated": False}
    assert client.get(f"{DEFINITION}/key/Proses_telaah/form-variables",
                      headers=ROOT).get_json() == {}


def test_a_tasks_form_variables_add_its_forms_fields_to_its_data(client, admin, login):
    modeler_deploy(client, ROOT, mini_files())
    started = client.post(f"{DEFINITION}/key/mini_review/start", json={"variables": {
        "year": {"value": 2026, "type": "Integer"}}}, headers=ROOT).get_json()
    (task,) = client.get(f"/engine-rest/task?processInstanceId={started['id']}",
                         headers=ROOT).get_json()
    path = f"/engine-rest/task/{task['id']}/form-variables"
    assert client.get(path, headers=ROOT).get_json() == {
        "year": {"value": 2026, "type": "Integer", "valueInfo": {}},  # the task's data
        "title": {"value": None, "type": "String", "valueInfo": {}},  # its form's fields
        "attachment": {"value": None, "type": "String", "valueInfo": {}}}
    assert set(client.get(path + "?variableNames=title",
                          headers=ROOT).get_json()) == {"title"}
    assert set(client.get(f"/engine-rest/task/{task['id']}/variables",
                          headers=ROOT).get_json()) == {"year"}


# ---------------------------------------------------------------- statistics

def test_statistics_count_open_work_per_version_and_per_activity(client, admin, login):
    definition_id = deploy_usulan(client)
    login("pemeriksa", "auditor")
    auditor = basic("pemeriksa")
    (before,) = client.get(f"{DEFINITION}/statistics", headers=auditor).get_json()
    assert (before["id"], before["instances"], before["failedJobs"]) == (definition_id, 0, 0)
    assert before["definition"]["key"] == "Proses_usulan" and before["incidents"] == []
    assert client.get(f"{DEFINITION}/{definition_id}/statistics",
                      headers=auditor).get_json() == []

    start_usulan(client)
    failed_step(client, login, deploy=False)  # a second instance: its script failed
    (row,) = client.get(f"{DEFINITION}/statistics?failedJobs=true&incidents=true",
                        headers=auditor).get_json()
    assert (row["instances"], row["failedJobs"]) == (2, 1)
    assert row["incidents"] == [{"incidentType": "failedJob", "incidentCount": 1}]
    plain = client.get(f"{DEFINITION}/statistics", headers=auditor).get_json()[0]
    assert (plain["failedJobs"], plain["incidents"]) == (0, [])  # not asked for
    activities = client.get(f"{DEFINITION}/key/Proses_usulan/statistics?failedJobs=true"
                            "&incidents=true", headers=auditor).get_json()
    assert [(a["id"], a["instances"], a["failedJobs"], a["incidents"]) for a in activities] \
        == [("Activity_hitung", 1, 1, [{"incidentType": "failedJob", "incidentCount": 1}]),
            ("Activity_periksa", 1, 0, [])]
    only_external = client.get(f"{DEFINITION}/statistics?incidentsForType="
                               "failedExternalTask", headers=auditor).get_json()[0]
    assert only_external["incidents"] == []
    assert client.get(f"{DEFINITION}/statistics", headers=basic("staf1")).status_code == 403
    assert client.get(f"{DEFINITION}/key/nope/statistics", headers=auditor).status_code == 404
    assert client.get(f"{DEFINITION}/statistics?incidents=maybe",
                      headers=auditor).status_code == 400


def test_a_failed_external_task_is_counted_at_its_activity(client, admin, login):
    failed_for_good(client, login)
    (activity,) = client.get(f"{DEFINITION}/key/Proses_telaah/statistics?incidents=true&"
                             "failedJobs=true", headers=ROOT).get_json()
    assert (activity["id"], activity["instances"], activity["failedJobs"]) == (
        "Activity_nilai", 1, 0)
    assert activity["incidents"] == [{"incidentType": "failedExternalTask",
                                      "incidentCount": 1}]


# ---------------------------------------------------------------- a task's local variables

def test_a_task_has_no_local_variables_of_its_own(client, admin, login):
    deploy_usulan(client)
    started = start_usulan(client)
    login("staf1", "staf")
    login("kabag", "kepala_bagian")
    (task,) = client.get(f"/engine-rest/task?processInstanceId={started['id']}",
                         headers=ROOT).get_json()
    path = f"/engine-rest/task/{task['id']}"
    assert client.get(path + "/variables", headers=basic("staf1")).get_json()["usulan"][
        "value"] == "Gedung B"
    assert client.get(path + "/localVariables", headers=basic("staf1")).get_json() == {}
    missing = client.get(path + "/localVariables/usulan", headers=basic("staf1"))
    assert missing.status_code == 404 and "/variables" in missing.get_json()["message"]
    assert client.get(path + "/localVariables", headers=basic("kabag")).status_code == 404
    assert client.get("/engine-rest/task/nope/localVariables", headers=ROOT).status_code == 404
    assert client.put(path + "/localVariables/usulan", json={"value": "x"},
                      headers=basic("staf1")).status_code == 405


# ---------------------------------------------------------------- external tasks

def test_an_external_tasks_error_details_are_read_as_text(client, admin, login):
    at_the_service_task(client, ROOT, login)
    worker = basic("pekerja")
    fetch = {"workerId": "w1", "topics": [{"topicName": "nilai", "lockDuration": 60000}]}
    (external,) = client.post("/engine-rest/external-task/fetchAndLock", json=fetch,
                              headers=worker).get_json()
    path = f"/engine-rest/external-task/{external['id']}"
    assert client.get(path + "/errorDetails", headers=worker).status_code == 204  # none yet
    assert client.post(path + "/failure", json={
        "workerId": "w1", "errorMessage": "timeout", "errorDetails": "Traceback: line 7",
        "retries": 1, "retryTimeout": 0}, headers=worker).status_code == 204
    details = client.get(path + "/errorDetails", headers=worker)
    assert details.status_code == 200 and details.mimetype == "text/plain"
    assert details.get_data(as_text=True) == "Traceback: line 7"
    one = client.get(path, headers=worker).get_json()
    assert (one["id"], one["retries"], one["errorMessage"]) == (external["id"], 1, "timeout")
    assert "errorDetails" not in one and "variables" not in one
    assert "errorDetails" not in client.get("/engine-rest/external-task",
                                            headers=worker).get_json()[0]
    (again,) = client.post("/engine-rest/external-task/fetchAndLock", json=fetch,
                           headers=worker).get_json()
    assert again["errorDetails"] == "Traceback: line 7"
    assert client.get("/engine-rest/external-task/nope", headers=worker).status_code == 404
    assert client.get("/engine-rest/external-task/nope/errorDetails",
                      headers=worker).status_code == 404
    assert client.get(path, headers=basic("staf1")).status_code == 403


def test_retries_bring_an_external_task_out_of_retries_back(client, admin, login):
    started = failed_for_good(client, login)
    worker = basic("pekerja")
    (incident,) = client.get("/engine-rest/incident", headers=ROOT).get_json()
    task_id = incident["configuration"]
    path = f"/engine-rest/external-task/{task_id}"
    out = client.get(path, headers=worker).get_json()
    assert (out["retries"], out["errorMessage"]) == (0, "server down")
    fetch = {"workerId": "w2", "topics": [{"topicName": "nilai", "lockDuration": 60000}]}
    assert client.post("/engine-rest/external-task/fetchAndLock", json=fetch,
                       headers=worker).get_json() == []
    assert client.put(path + "/retries", json={"retries": 2},
                      headers=worker).status_code == 403  # an admin's
    bad = client.put(path + "/retries", json={"retries": "two"}, headers=ROOT)
    assert bad.status_code == 400 and "retries" in bad.get_json()["message"]
    missing = client.put(path + "/retries", json={}, headers=ROOT)
    assert missing.status_code == 400 and "retries" in missing.get_json()["message"]
    assert client.put("/engine-rest/external-task/nope/retries", json={"retries": 1},
                      headers=ROOT).status_code == 404
    assert client.put(path + "/retries", json={"retries": 2}, headers=ROOT).status_code == 204
    assert client.get("/engine-rest/incident", headers=ROOT).get_json() == []
    assert client.get(f"/engine-rest/process-instance/{started['id']}",
                      headers=ROOT).status_code == 200
    (back,) = client.post("/engine-rest/external-task/fetchAndLock", json=fetch,
                          headers=worker).get_json()
    assert (back["id"], back["retries"]) == (task_id, 2)
    # retries 0 on a waiting task: the incident a worker's last failure makes
    assert client.put(path + "/retries", json={"retries": 0}, headers=ROOT).status_code == 204
    (again,) = client.get("/engine-rest/incident", headers=ROOT).get_json()
    assert again["incidentType"] == "failedExternalTask" and again["configuration"] == task_id
    assert "retries set to 0 by root" in again["incidentMessage"]
    replay = client.post(f"/api/v1/process-instances/{started['id']}/replay", headers=admin)
    assert replay.get_json()["consistent"] is True, replay.get_json()


# ---------------------------------------------------------------- jobs

def test_a_failed_step_is_a_job_an_admin_retries(ctx, client, admin, login):
    started = failed_step(client, login)
    jobs = client.get("/engine-rest/job?withException=true&sortBy=jobDueDate&sortOrder=desc",
                      headers=ROOT).get_json()
    (job,) = jobs
    assert job["processInstanceId"] == started["id"]
    assert job["processDefinitionId"] == started["definitionId"]
    assert job["retries"] == 0 and job["failedActivityId"] == "Activity_hitung"
    assert "pagu dihitung setelah tenggat" in job["exceptionMessage"]
    assert CAMUNDA_DATE.match(job["createTime"])
    (incident,) = client.get("/engine-rest/incident", headers=ROOT).get_json()
    assert incident["incidentType"] == "failedJob" and incident["configuration"] == job["id"]
    assert incident["activityId"] == "Activity_hitung"
    assert client.get(f"/engine-rest/job/{job['id']}", headers=ROOT).get_json() == job
    assert client.get("/engine-rest/job/count?failedActivityId=Activity_hitung",
                      headers=ROOT).get_json() == {"count": 1}
    assert client.get("/engine-rest/job?failedActivityId=Activity_periksa",
                      headers=ROOT).get_json() == []
    assert client.get("/engine-rest/job?tenantIdIn=a", headers=ROOT).get_json() == []

    login("staf1", "staf")
    path = f"/engine-rest/job/{job['id']}/retries"
    assert client.put(path, json={"retries": 1}, headers=basic("staf1")).status_code == 403
    assert client.get("/engine-rest/job", headers=basic("staf1")).status_code == 403
    bad = client.put(path, json={"retries": -1}, headers=ROOT)
    assert bad.status_code == 400 and "retries" in bad.get_json()["message"]
    assert client.put("/engine-rest/job/nope:failed/retries", json={"retries": 1},
                      headers=ROOT).status_code == 404
    assert client.get("/engine-rest/job/nope", headers=ROOT).status_code == 404
    assert client.get("/engine-rest/job?sortBy=colour", headers=ROOT).status_code == 400

    # retried before the deadline the step fails again; after it, the instance goes on
    assert client.put(path, json={"retries": 1}, headers=ROOT).status_code == 204
    assert client.get("/engine-rest/job/count", headers=ROOT).get_json() == {"count": 1}
    ctx.clock.set(AFTER_DEADLINE, ticking=True)
    assert client.put(path, json={"retries": 1}, headers=ROOT).status_code == 204
    assert client.get("/engine-rest/job", headers=ROOT).get_json() == []
    assert client.get("/engine-rest/incident", headers=ROOT).get_json() == []
    (old,) = client.get(f"/engine-rest/history/process-instance?processInstanceId="
                        f"{started['id']}", headers=ROOT).get_json()
    assert old["state"] == "COMPLETED"
    replay = client.post(f"/api/v1/process-instances/{started['id']}/replay", headers=admin)
    assert replay.get_json()["consistent"] is True, replay.get_json()


def test_a_waiting_timer_is_a_job_with_its_due_date(client, admin, login):
    deploy_usulan(client)
    started = start_usulan(client)
    (job,) = client.get(f"/engine-rest/job?processInstanceId={started['id']}&timers=true",
                        headers=ROOT).get_json()
    assert job["dueDate"].startswith("2026-03-05T03:00")  # P3D after the start
    assert (job["retries"], job["exceptionMessage"]) == (3, None)
    assert client.get("/engine-rest/job?withException=true", headers=ROOT).get_json() == []
    login("pemeriksa", "auditor")
    assert client.get("/engine-rest/job/count", headers=basic("pemeriksa")).get_json() == {
        "count": 1}
    refused = client.put(f"/engine-rest/job/{job['id']}/retries", json={"retries": 1},
                         headers=ROOT)
    assert refused.status_code == 409  # a timer has no retries


# ---------------------------------------------------------------- the real client

camunda_client = pytest.importorskip("camunda.client.engine_client")


def test_the_engine_client_lists_a_failed_job_and_sets_its_retries(live_server):
    url = f"{live_server.url}/engine-rest"
    auth = ("admin", live_server.admin_password)
    token = requests.post(f"{live_server.url}/api/v1/auth/token", timeout=30, json={
        "username": "admin", "password": live_server.admin_password}).json()["access_token"]
    created = requests.post(f"{live_server.url}/api/v1/users", timeout=30,
                            headers={"Authorization": f"Bearer {token}"},
                            json={"username": "staf1", "password": PASSWORD,
                                  "roles": ["staf"]})
    assert created.status_code == 201, created.text
    deployed = requests.post(f"{url}/deployment/create", timeout=30, auth=auth, data={
        "deployment-name": "usulan", "deployment-source": "Camunda Modeler"}, files={
        USULAN.name: (USULAN.name, USULAN.read_bytes()),
        USULAN_FORM.name: (USULAN_FORM.name, USULAN_FORM.read_bytes())})
    assert deployed.ok, deployed.text
    client = camunda_client.EngineClient(url, config={
        "auth_basic": {"username": "admin", "password": live_server.admin_password}})
    # a deadline far ahead: the step fails whenever it runs
    instance = client.start_process("Proses_usulan", {
        "usulan": "Gedung C", "jumlah": 2, "tenggat": "2999-12-31"})
    (task,) = requests.get(f"{url}/task?processInstanceId={instance['id']}", timeout=30,
                           auth=("staf1", PASSWORD)).json()
    assert requests.post(f"{url}/task/{task['id']}/complete", json={}, timeout=30,
                         auth=("staf1", PASSWORD)).status_code == 204

    (job,) = client.get_jobs(offset=0, limit=10, with_failure=True,
                             process_instance_id=instance["id"], task_name="Activity_hitung")
    assert job["retries"] == 0 and "2999-12-31" in job["exceptionMessage"]
    assert client.set_job_retry(job["id"], retries=1) is True
    history = requests.get(f"{live_server.url}/api/v1/process-instances/{instance['id']}/"
                           "history?type=instance_retried", timeout=30,
                           headers={"Authorization": f"Bearer {token}"}).json()
    assert [e["actor"] for e in history["events"]] == ["admin"]  # the step ran again
    (again,) = client.get_jobs(offset=0, limit=10, with_failure=True)
    assert again["id"] == job["id"] and again["retries"] == 0  # and failed again
