"""camunda-external-task-client-python3, unchanged, against a real `lkj serve`: two workers
(each its own worker id, in its own thread) share the service tasks of several instances,
each task done once; a task that fails with retries comes back until it is out of retries
and is then an incident; a BPMN error is caught by the diagram's boundary event, which
leads to a user task.

Each worker runs `fetch_and_execute` (one fetch, then the handler on what it got) in a
loop that ends when a fetch finds nothing, with a short long-polling timeout."""
from __future__ import annotations

import threading

import pytest
import requests

from tests.api.camunda_live import Admin, bare_server, basic  # noqa: F401  (the fixture)
from tests.conftest import FIXTURES

pytest.importorskip("camunda.external_task.external_task_worker")
pycamunda = pytest.importorskip("pycamunda")
import pycamunda.deployment  # noqa: E402
import pycamunda.incident  # noqa: E402
import pycamunda.processdef  # noqa: E402
import pycamunda.task  # noqa: E402
from camunda.external_task.external_task_worker import (  # noqa: E402
    ExternalTaskWorker,
    NoExternalTaskFound,
)

DIAGRAM = FIXTURES / "camunda" / "perhitungan.bpmn"
TOPIC = "hitung"
SHARED = 6  # instances the two workers share


def worker(url: str, worker_id: str, credentials: tuple[str, str]) -> ExternalTaskWorker:
    return ExternalTaskWorker(worker_id=worker_id, base_url=url, config={
        "auth_basic": {"username": credentials[0], "password": credentials[1]},
        "maxTasks": 1, "lockDuration": 30000, "asyncResponseTimeout": 500,
        "retries": 3, "retryTimeout": 0, "httpTimeoutMillis": 10000})


def work_until_empty(external_worker: ExternalTaskWorker, handler, limit: int = 20) -> None:
    for _ in range(limit):
        try:
            external_worker.fetch_and_execute(TOPIC, handler)
        except NoExternalTaskFound:
            return
    raise AssertionError(f"{external_worker.worker_id} still found tasks after {limit} fetches")


def start(url: str, admin, case: str, number: int) -> str:
    starting = basic(pycamunda.processdef.StartInstance(
        url, key="Proses_perhitungan", business_key=f"{case}-{number}"), admin)
    starting.add_variable("kasus", case)
    starting.add_variable("nomor", number)
    return starting().id_


def history_states(url: str, auditor, instance_ids) -> dict:
    found = requests.get(f"{url}/history/process-instance", auth=auditor, timeout=30,
                         params={"processDefinitionKey": "Proses_perhitungan"}).json()
    return {h["id"]: h["state"] for h in found if h["id"] in instance_ids}


@pytest.fixture
def deployed(bare_server):  # noqa: F811
    url = f"{bare_server.url}/engine-rest"
    setup = Admin(bare_server)
    people = {"admin": ("admin", bare_server.admin_password),
              "pekerja": setup.user("pekerja1", "worker"),
              "staf": setup.user("staf1", "staf"),
              "auditor": setup.user("auditor1", "auditor")}
    create = basic(pycamunda.deployment.Create(url, name="perhitungan"), people["admin"])
    with DIAGRAM.open("rb") as diagram:
        create.add_resource(diagram)
        create()
    return url, people


def test_two_workers_share_the_service_tasks_each_done_once(deployed):
    url, people = deployed
    instances = {start(url, people["admin"], "normal", n): n for n in range(1, SHARED + 1)}
    done: list[tuple[str, str, str]] = []  # (worker id, external task id, instance id)
    lock = threading.Lock()
    # each worker holds its first task until the other holds one too: both take part
    both_working = threading.Barrier(2, timeout=30)
    failures: list[BaseException] = []

    def run(worker_id: str) -> None:
        first = True

        def handler(task):
            nonlocal first
            if first:
                first = False
                both_working.wait()
            with lock:
                done.append((worker_id, task.get_task_id(), task.get_process_instance_id()))
            return task.complete({"capaian": 100 + task.get_variable("nomor")})
        try:
            work_until_empty(worker(url, worker_id, people["pekerja"]), handler)
        except BaseException as problem:  # reported by the test thread
            failures.append(problem)
            both_working.abort()

    threads = [threading.Thread(target=run, args=(f"pekerja-{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []

    assert len(done) == SHARED
    assert len({task_id for _, task_id, _ in done}) == SHARED  # no task done twice
    assert sorted(instance for _, _, instance in done) == sorted(instances)
    assert {worker_id for worker_id, _, _ in done} == {"pekerja-1", "pekerja-2"}
    assert set(history_states(url, people["auditor"], instances).values()) == {"COMPLETED"}
    assert requests.get(f"{url}/external-task", auth=people["pekerja"], timeout=30,
                        params={"topicName": TOPIC}).json() == []


def test_a_failing_task_comes_back_until_its_retries_are_spent_then_is_an_incident(deployed):
    url, people = deployed
    instance_id = start(url, people["admin"], "gagal", 1)
    attempts: list[int | None] = []

    def handler(task):
        attempts.append(task._context.get("retries"))  # what the fetch answered
        return task.failure("Sumber data tidak menjawab", "koneksi ditolak", max_retries=2,
                            retry_timeout=0)

    work_until_empty(worker(url, "pekerja-1", people["pekerja"]), handler)
    # the first fetch has no retries set; the client asks for 2, then counts them down
    assert attempts == [None, 2, 1]

    (incident,) = basic(pycamunda.incident.GetList(url, process_instance_id=instance_id),
                        people["auditor"])()
    assert incident.incident_type == pycamunda.incident.IncidentType.failed_external_task
    assert incident.activity_id == "Activity_hitung"
    assert "Sumber data tidak menjawab" in incident.incident_message
    assert history_states(url, people["auditor"], {instance_id}) == {instance_id: "ACTIVE"}


def test_a_bpmn_error_is_caught_by_the_boundary_event_and_leads_to_a_user_task(deployed):
    url, people = deployed
    instance_id = start(url, people["admin"], "kurang", 1)

    def handler(task):
        return task.bpmn_error("DATA_TIDAK_LENGKAP", "Realisasi anggaran belum diisi",
                               {"kekurangan": "realisasi anggaran"})

    work_until_empty(worker(url, "pekerja-1", people["pekerja"]), handler)
    (task,) = basic(pycamunda.task.GetList(url, candidate_group="staf",
                                           process_instance_id=instance_id), people["staf"])()
    assert task.task_definition_key == "Activity_lengkapi"
    variables = requests.get(f"{url}/task/{task.id_}/variables", auth=people["staf"],
                             timeout=30).json()
    assert variables["kekurangan"]["value"] == "realisasi anggaran"
    complete = basic(pycamunda.task.Complete(url, id_=task.id_), people["staf"])
    complete.add_variable("dilengkapi", True)
    complete()
    assert history_states(url, people["auditor"], {instance_id}) == {instance_id: "COMPLETED"}
    assert basic(pycamunda.incident.GetList(url, process_instance_id=instance_id),
                 people["auditor"])() == ()


def test_a_bpmn_error_no_boundary_event_catches_is_an_incident(deployed):
    """The client's worker is not refused (it would fetch the task and raise the error again
    and again): the task fails, and the incident names the error for an admin."""
    url, people = deployed
    instance_id = start(url, people["admin"], "salah", 1)

    def handler(task):
        return task.bpmn_error("KODE_TAK_DIKENAL", "Kode anggaran tidak dikenal")

    work_until_empty(worker(url, "pekerja-1", people["pekerja"]), handler)
    (incident,) = basic(pycamunda.incident.GetList(url, process_instance_id=instance_id),
                        people["auditor"])()
    assert incident.incident_type == pycamunda.incident.IncidentType.failed_external_task
    assert "BPMN error 'KODE_TAK_DIKENAL' (Kode anggaran tidak dikenal)" in \
        incident.incident_message
