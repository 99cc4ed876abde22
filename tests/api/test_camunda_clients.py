"""Camunda 7 client libraries, unchanged, against a real `lkj serve`: pycamunda deploys a
Camunda Modeler diagram, starts it by key with a variable and a business key, lists the
staff's tasks by candidate group, claims and completes one; camunda-external-task-client-
python3's worker fetches the service task that follows and completes it; Camunda Modeler's deploy
sequence with Basic and with Bearer authentication."""
from __future__ import annotations

import pytest
import requests

from tests.api.helpers import PASSWORD
from tests.conftest import FIXTURES

pycamunda = pytest.importorskip("pycamunda")
pytest.importorskip("camunda.external_task.external_task_worker")
import pycamunda.deployment  # noqa: E402
import pycamunda.processdef  # noqa: E402
import pycamunda.processinst  # noqa: E402
import pycamunda.task  # noqa: E402
from camunda.external_task.external_task_worker import ExternalTaskWorker  # noqa: E402

DIAGRAM = FIXTURES / "camunda" / "telaah.bpmn"


def _user(server, admin_token: str, username: str, role: str) -> None:
    answer = requests.post(f"{server.url}/api/v1/users", timeout=30,
                           headers={"Authorization": f"Bearer {admin_token}"},
                           json={"username": username, "password": PASSWORD,
                                 "roles": [role]})
    assert answer.status_code == 201, answer.text


def _authorised(request, username: str, password: str = PASSWORD):
    request.auth = requests.auth.HTTPBasicAuth(username, password)
    return request


def test_pycamunda_and_the_external_task_worker_run_a_camunda_modeler_diagram(live_server):
    url = f"{live_server.url}/engine-rest"
    admin_token = requests.post(f"{live_server.url}/api/v1/auth/token", timeout=30, json={
        "username": "admin", "password": live_server.admin_password}).json()["access_token"]
    _user(live_server, admin_token, "staf1", "staf")
    _user(live_server, admin_token, "pekerja", "worker")

    create = _authorised(pycamunda.deployment.Create(url, name="telaah",
                                                     source="Camunda Modeler",
                                                     enable_duplicate_filtering=True),
                         "admin", live_server.admin_password)
    with DIAGRAM.open("rb") as diagram:
        create.add_resource(diagram)
        deployment = create()
    (definition,) = deployment.deployed_process_definitions.values()
    assert definition.key == "Proses_telaah" and definition.version == 1

    start = _authorised(pycamunda.processdef.StartInstance(
        url, key="Proses_telaah", business_key="LKJ-2026-01"), "admin",
        live_server.admin_password)
    start.add_variable("tahun", 2026)
    instance = start()
    assert instance.business_key == "LKJ-2026-01"
    assert instance.definition_id == definition.id_

    tasks = _authorised(pycamunda.task.GetList(url, candidate_group="staf"), "staf1")()
    (task,) = tasks
    assert task.task_definition_key == "Activity_telaah"
    assert task.process_instance_id == instance.id_
    _authorised(pycamunda.task.Claim(url, id_=task.id_, user_id="staf1"), "staf1")()
    complete = _authorised(pycamunda.task.Complete(url, id_=task.id_), "staf1")
    complete.add_variable("catatan", "lengkap")
    complete()
    assert _authorised(pycamunda.task.GetList(url, candidate_group="staf"), "staf1")() == ()

    seen = {}

    def nilai(external_task):
        seen.update(external_task.get_variables())
        return external_task.complete({"nilai": 87})

    worker = ExternalTaskWorker(worker_id="pekerja-1", base_url=url, config={
        "auth_basic": {"username": "pekerja", "password": PASSWORD},
        "maxTasks": 1, "lockDuration": 10000, "asyncResponseTimeout": 2000,
        "httpTimeoutMillis": 10000})
    worker.fetch_and_execute(["nilai"], nilai)
    assert seen["tahun"] == 2026 and seen["catatan"] == "lengkap"

    finished = requests.get(f"{live_server.url}/api/v1/process-instances/{instance.id_}",
                            headers={"Authorization": f"Bearer {admin_token}"}, timeout=30)
    assert finished.json()["status"] == "completed", finished.text


@pytest.mark.parametrize("scheme", ["basic", "bearer"])
def test_the_deploy_sequence_of_camunda_modeler(live_server, scheme):
    """What the modeler's deploy dialog sends: test the connection, read the version,
    deploy, start the deployed definition."""
    url = f"{live_server.url}/engine-rest"
    if scheme == "basic":
        auth = {"auth": ("admin", live_server.admin_password)}
    else:
        token = requests.post(f"{live_server.url}/api/v1/auth/token", timeout=30, json={
            "username": "admin", "password": live_server.admin_password}).json()
        auth = {"headers": {"Authorization": f"Bearer {token['access_token']}"}}
    connection = requests.get(f"{url}/deployment?maxResults=0", timeout=30, **auth)
    assert connection.status_code == 200 and connection.json() == []
    assert requests.get(f"{url}/version", timeout=30, **auth).json()["version"].startswith("7.")
    deployed = requests.post(f"{url}/deployment/create", timeout=30, **auth, data={
        "deployment-name": "telaah", "deployment-source": "Camunda Modeler",
        "deploy-changed-only": "true", "tenant-id": ""},
        files={DIAGRAM.name: (DIAGRAM.name, DIAGRAM.read_bytes())})
    assert deployed.ok, deployed.text
    (definition_id,) = deployed.json()["deployedProcessDefinitions"]
    started = requests.post(f"{url}/process-definition/{definition_id}/start", timeout=30,
                            json={}, **auth)
    assert started.ok and started.json()["definitionId"] == definition_id
    wrong = requests.get(f"{url}/deployment?maxResults=0", timeout=30,
                         auth=("admin", "not-the-password"))
    assert wrong.status_code == 401 and wrong.json()["type"] == "AuthenticationException"
