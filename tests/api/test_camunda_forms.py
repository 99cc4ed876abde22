"""Forms as Camunda serves them: `/form` names a task's, `/deployed-form` and a definition's
`/deployed-start-form` are the files a form viewer draws (a Camunda form's own JSON, or our
JSON Schema), and `submit-form` starts an instance through the start form."""
from __future__ import annotations

import io
import json

from tests.api.test_camunda import basic, mini_files, modeler_deploy
from tests.api.test_camunda_jobs import BEFORE_DEADLINE, USULAN_FORM, deploy_usulan
from tests.conftest import FIXTURES

ROOT = basic("root")

LEAVE = FIXTURES / "dialects" / "camunda"


def test_a_camunda_form_is_served_as_it_was_deployed(client, admin, login):
    files = {p.name: (io.BytesIO(p.read_bytes()), p.name) for p in sorted(LEAVE.iterdir())}
    assert modeler_deploy(client, ROOT, files, name="cuti").status_code == 200
    login("budi", "staf")
    started = client.post("/engine-rest/process-definition/key/leave_request/start",
                          headers=basic("budi"), json={"variables": {
                              "requester": {"value": "budi"}, "deputy": {"value": "dewi"},
                              "deadline": {"value": "2026-12-31T17:00:00+07:00"}}})
    assert started.status_code == 200, started.get_json()
    (task,) = client.get(f"/engine-rest/task?processInstanceId={started.get_json()['id']}",
                         headers=basic("budi")).get_json()
    form = client.get(f"/engine-rest/task/{task['id']}/form", headers=basic("budi"))
    assert form.get_json()["camundaFormRef"]["key"] == "leave_form"
    deployed = client.get(f"/engine-rest/task/{task['id']}/deployed-form",
                          headers=basic("budi"))
    assert deployed.status_code == 200
    assert deployed.get_json() == json.loads((LEAVE / "leave_form.form").read_text())
    login("sari", "staf")  # not the task's assignee: the task is not hers to see
    assert client.get(f"/engine-rest/task/{task['id']}/deployed-form",
                      headers=basic("sari")).status_code == 404


def test_a_json_schema_form_is_served_as_deployed(client, admin, login):
    modeler_deploy(client, ROOT, mini_files())
    client.post("/engine-rest/process-definition/key/mini_review/start", json={},
                headers=ROOT)
    login("staf1", "staf")
    (task,) = client.get("/engine-rest/task?candidateGroup=staf",
                         headers=basic("staf1")).get_json()
    deployed = client.get(f"/engine-rest/task/{task['id']}/deployed-form",
                          headers=basic("staf1"))
    mini_form = json.loads((FIXTURES / "mini" / f"{task['formKey']}.json").read_text())
    assert deployed.status_code == 200 and deployed.get_json() == mini_form


def test_a_start_form_is_served_and_submitted_as_a_start(client, admin):
    definition_id = deploy_usulan(client)
    base = f"/engine-rest/process-definition/{definition_id}"
    deployed = client.get(f"{base}/deployed-start-form", headers=ROOT)
    assert deployed.status_code == 200
    assert deployed.get_json() == json.loads(USULAN_FORM.read_text())

    refused = client.post(f"{base}/submit-form", json={"variables": {}}, headers=ROOT)
    assert refused.status_code == 400 and "usulan" in refused.get_json()["message"]
    submitted = client.post("/engine-rest/process-definition/key/Proses_usulan/submit-form",
                            json={"variables": BEFORE_DEADLINE, "businessKey": "U-1"},
                            headers=ROOT)
    assert submitted.status_code == 200, submitted.get_json()
    assert submitted.get_json()["definitionId"] == definition_id
    assert submitted.get_json()["businessKey"] == "U-1"

    modeler_deploy(client, ROOT, mini_files())  # its start event names no form
    none = client.get("/engine-rest/process-definition/key/mini_review/deployed-start-form",
                      headers=ROOT)
    assert none.status_code == 404 and none.get_json()["type"]
