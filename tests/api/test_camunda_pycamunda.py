"""pycamunda, unchanged, against a real `lkj serve`: it deploys a Camunda Modeler diagram
with a message and a signal catch event, starts two instances with variables and business
keys, lists the staff's tasks by candidate group, claims and completes them with
variables, correlates a message to one business key, throws a signal, and the head of
division's task then holds what the message brought. The auditor reads the history.

pycamunda 0.6 has no history classes: the history is read with `requests` on the same
`/engine-rest` paths."""
from __future__ import annotations

from contextlib import ExitStack

import pytest
import requests

from tests.api.camunda_live import Admin, bare_server, basic  # noqa: F401  (the fixture)
from tests.conftest import FIXTURES

pycamunda = pytest.importorskip("pycamunda")
import pycamunda.deployment  # noqa: E402
import pycamunda.message  # noqa: E402
import pycamunda.processdef  # noqa: E402
import pycamunda.processinst  # noqa: E402
import pycamunda.signal  # noqa: E402
import pycamunda.task  # noqa: E402

DIAGRAM = FIXTURES / "camunda" / "berkas.bpmn"


def test_pycamunda_correlates_a_message_and_throws_a_signal(bare_server):  # noqa: F811
    url = f"{bare_server.url}/engine-rest"
    setup = Admin(bare_server)
    admin = ("admin", bare_server.admin_password)
    staf = setup.user("staf1", "staf")
    kabag = setup.user("kabag1", "kepala_bagian")
    pekerja = setup.user("pekerja1", "worker")
    auditor = setup.user("auditor1", "auditor")

    create = basic(pycamunda.deployment.Create(url, name="berkas", source="Camunda Modeler",
                                               enable_duplicate_filtering=True), admin)
    with DIAGRAM.open("rb") as diagram:
        create.add_resource(diagram)
        deployment = create()
    (definition,) = deployment.deployed_process_definitions.values()
    assert (definition.key, definition.version) == ("Proses_berkas", 1)

    instances = {}
    for number in (1, 2):
        start = basic(pycamunda.processdef.StartInstance(
            url, key="Proses_berkas", business_key=f"BERKAS-{number}"), admin)
        start.add_variable("pemohon", f"Satuan Kerja DEP{number}")
        start.add_variable("jumlah_halaman", 10 * number)
        started = start()
        assert started.business_key == f"BERKAS-{number}"
        assert started.definition_id == definition.id_
        instances[number] = started.id_

    queue = basic(pycamunda.task.GetList(url, candidate_group="staf",
                                         process_definition_key="Proses_berkas"), staf)()
    assert sorted(t.process_instance_id for t in queue) == sorted(instances.values())
    assert {t.task_definition_key for t in queue} == {"Activity_periksa"}
    assert basic(pycamunda.task.GetList(url, candidate_group="kepala_bagian"), kabag)() == ()
    for task in queue:
        basic(pycamunda.task.Claim(url, id_=task.id_, user_id="staf1"), staf)()
        mine = basic(pycamunda.task.GetList(url, assignee="staf1"), staf)()
        assert task.id_ in {t.id_ for t in mine}
        complete = basic(pycamunda.task.Complete(url, id_=task.id_), staf)
        complete.add_variable("lengkap", True)
        complete.add_variable("catatan", "Berkas diperiksa.")
        complete()
    assert basic(pycamunda.task.GetList(url, candidate_group="staf"), staf)() == ()

    # the message reaches the instance of its business key only
    correlate = basic(pycamunda.message.CorrelateSingle(
        url, message_name="BerkasLengkap", business_key="BERKAS-1", result_enabled=True),
        pekerja)
    correlate.add_process_variable("nomor_agenda", "AG-2026-017")
    (result,) = correlate()
    assert result.result_type == pycamunda.message.ResultType.execution
    assert result.execution.process_instance_id == instances[1]
    assert basic(pycamunda.task.GetList(url, candidate_group="kepala_bagian"), kabag)() == ()

    # the signal: only the instance that got the message waits for it
    basic(pycamunda.signal.EventAll(url, name="RapatDimulai"), pekerja)()
    (decision,) = basic(pycamunda.task.GetList(url, candidate_group="kepala_bagian"), kabag)()
    assert decision.task_definition_key == "Activity_putuskan"
    assert decision.process_instance_id == instances[1]
    variables = basic(pycamunda.processinst.VariablesGetList(url, instances[1]), kabag)()
    assert variables["nomor_agenda"].value == "AG-2026-017"
    assert variables["jumlah_halaman"].value == 10 and variables["jumlah_halaman"].type_ == \
        "Integer"
    assert variables["lengkap"].value is True and variables["pemohon"].value == \
        "Satuan Kerja DEP1"
    complete = basic(pycamunda.task.Complete(url, id_=decision.id_), kabag)
    complete.add_variable("keputusan", "disetujui")
    complete()

    # the auditor's history: the first instance ended, the second waits for its message
    history = requests.get(f"{url}/history/process-instance", auth=auditor, timeout=30,
                           params={"processDefinitionKey": "Proses_berkas"}).json()
    assert {(h["businessKey"], h["state"]) for h in history} == {
        ("BERKAS-1", "COMPLETED"), ("BERKAS-2", "ACTIVE")}
    tasks = requests.get(f"{url}/history/task", auth=auditor, timeout=30,
                         params={"processInstanceId": instances[1]}).json()
    assert sorted((t["taskDefinitionKey"], t["assignee"], t["deleteReason"]) for t in tasks) \
        == [("Activity_periksa", "staf1", "completed"),
            ("Activity_putuskan", "kabag1", "completed")]
    assert requests.get(f"{url}/history/process-instance", auth=staf, timeout=30) \
        .status_code == 403

    # asked for, a result has `variables` (the engine answers none)
    raw = requests.post(f"{url}/message", auth=pekerja, timeout=30, json={
        "messageName": "BerkasLengkap", "businessKey": "BERKAS-2", "resultEnabled": True,
        "variablesInResultEnabled": True})
    assert raw.status_code == 200, raw.text
    (reached,) = raw.json()
    assert reached["resultType"] == "Execution" and reached["variables"] is None
    assert reached["execution"]["processInstanceId"] == instances[2]


LEAVE = FIXTURES / "dialects" / "camunda"


def test_a_task_the_diagram_assigns_is_the_assignees_as_it_opens(bare_server):  # noqa: F811
    """`camunda:assignee="${requester}"`: the task opens claimed by that user, found by
    `assignee` as Camunda's task list asks; the next task, for candidates, waits unclaimed."""
    url = f"{bare_server.url}/engine-rest"
    setup = Admin(bare_server)
    admin = ("admin", bare_server.admin_password)
    alice = setup.user("alice", "staf")
    bob = setup.user("bob", "staf")
    create = basic(pycamunda.deployment.Create(url, name="cuti"), admin)
    with ExitStack() as files:
        for name in ("leave_request.bpmn", "leave_form.form", "review.form"):
            create.add_resource(files.enter_context((LEAVE / name).open("rb")))
        create()
    start = basic(pycamunda.processdef.StartInstance(url, key="leave_request"), alice)
    start.add_variable("requester", "alice")
    start.add_variable("deputy", "bob")
    start.add_variable("deadline", "2027-01-04T09:00:00Z")
    instance = start()

    (mine,) = basic(pycamunda.task.GetList(url, assignee="alice"), alice)()
    assert (mine.process_instance_id, mine.assignee) == (instance.id_, "alice")
    assert basic(pycamunda.task.GetList(url, assignee="alice"), bob)() == ()
    complete = basic(pycamunda.task.Complete(url, id_=mine.id_), alice)
    for name, value in (("kind", "annual"), ("days", 3), ("start_date", "2027-01-11")):
        complete.add_variable(name, value)
    complete()

    (review,) = basic(pycamunda.task.GetList(url, candidate_user="bob"), bob)()
    assert (review.task_definition_key, review.assignee) == ("Activity_review", None)
