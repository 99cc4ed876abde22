"""A whole LKj cycle driven through `/engine-rest` by pycamunda, unchanged, against a real
`lkj serve` that deployed nothing: pycamunda deploys bpmn/ and forms/, the head of bureau
starts the procedure by key with a business key, and for every step the task's role lists
its queue by candidate group, claims the task and completes it with variables that fit the
task's form. The completed steps, with their candidate groups, follow the service standard
(tests/procedure/standard.py), and the auditor's history shows the instance completed.

What Camunda's REST API has no call for is done through /api/v1: creating the units and the
users (setup), and uploading the documents a form's document fields name (the engine keeps
documents in its own store; Camunda has no document store, and `File` variables are not
read). pycamunda 0.6 cannot read a task's variables (`GET /task/{id}/variables`; it only
has `localVariables`), so that one read uses `requests` on the same path. Each role's
client signs in once (`/api/v1/auth/token`) and sends pycamunda's requests on a session
with its bearer token (pycamunda's `session` attribute); Basic would run a sign-in, with
its password hash check, on every call.

The step-4 tasks' reminder and deadline timers (P5D, P7D) do not fall due while the test
runs, as in the /api/v1 cycle (tests/integration/test_lkj_over_http.py)."""
from __future__ import annotations

import itertools
import json

import pytest
import requests

from tests.api.camunda_live import (  # noqa: F401  (bare_server: the fixture)
    Admin,
    bare_server,
    basic,
    bearer_session,
    on,
)
from tests.conftest import ROOT
from tests.procedure import standard
from tests.procedure.driver import Answers, by_role_and_element, run_lkj_cycle

pycamunda = pytest.importorskip("pycamunda")
import pycamunda.deployment  # noqa: E402
import pycamunda.processdef  # noqa: E402
import pycamunda.task  # noqa: E402

UNITS = ["DEP1", "DEP2", "DEP3"]
ROLES = ["kepala_biro", "kepala_bagian", "kepala_subbagian", "staf", "deputi", "menteri",
         "biro_tata_usaha", "tim", "inspektur", "biro_umum", "biro_it", "auditor",
         *[standard.unit_role(u) for u in UNITS]]
REVISE_AT = {"check_kepala_bagian"}
INCOMPLETE_UNIT = "DEP2"


class UploadingAnswers(Answers):
    """The procedure's sample answers; each document is uploaded to the instance first by
    the user completing the task (through /api/v1: Camunda has no document store)."""
    server_url: str = ""
    instance_id: str = ""
    session: requests.Session | None = None  # the signed-in user completing the task
    _numbers = itertools.count(1)

    def document(self) -> str:
        number = next(self._numbers)
        uploaded = self.session.post(
            f"{self.server_url}/api/v1/process-instances/{self.instance_id}/documents",
            timeout=30,
            files={"file": (f"dokumen-{number}.pdf", b"%PDF-1.7 " + str(number).encode(),
                            "application/pdf")})
        assert uploaded.status_code == 201, uploaded.text
        return uploaded.json()["id"]


def plain(variables: dict) -> dict:
    """Camunda's typed variables as the engine's values (Json is JSON text on the wire)."""
    return {name: json.loads(v["value"]) if v["type"] == "Json" else v["value"]
            for name, v in variables.items()}


def test_a_whole_lkj_cycle_through_engine_rest_with_pycamunda(bare_server):  # noqa: F811
    server = bare_server
    url = f"{server.url}/engine-rest"
    setup = Admin(server)
    for code in UNITS:
        setup.unit(code)
    # each role's client signs in once and sends its bearer token (Basic works as well:
    # tests/api/test_camunda_pycamunda.py)
    sessions = {role: bearer_session(server, setup.user(role.replace(":", "-"), role))
                for role in ROLES}
    admin = bearer_session(server, ("admin", server.admin_password))

    # pycamunda's deployment.Create sends on its own, not on a session: Basic
    create = basic(pycamunda.deployment.Create(url, name="lkj", source="pycamunda"),
                   ("admin", server.admin_password))
    files = [*sorted((ROOT / "bpmn").glob("*.bpmn")), *sorted((ROOT / "forms").glob("*.json"))]
    opened = [path.open("rb") for path in files]
    try:
        for handle in opened:
            create.add_resource(handle)
        deployment = create()
    finally:
        for handle in opened:
            handle.close()
    assert sorted(d.key for d in deployment.deployed_process_definitions.values()) == \
        sorted(path.stem for path in (ROOT / "bpmn").glob("*.bpmn"))

    start = on(pycamunda.processdef.StartInstance(url, key="lkj_preparation",
                                                  business_key="LKJ-2024"),
               sessions["kepala_biro"])
    start.add_variable("year", 2024)
    instance_id = start().id_

    answers = UploadingAnswers(revise_at=set(REVISE_AT), incomplete_unit=INCOMPLETE_UNIT)
    answers.server_url, answers.instance_id = server.url, instance_id
    role_of: dict[str, str] = {}        # task id -> its candidate group
    opened_after: dict[str, int] = {}   # task id -> completions before it was open
    done: list[standard.Done] = []
    for _ in range(500):
        open_tasks = on(pycamunda.task.GetList(url, process_instance_id=instance_id),
                        admin)()
        if not open_tasks:
            break
        for task in open_tasks:
            if task.id_ not in role_of:
                opened_after[task.id_] = len(done)
                links = on(pycamunda.task.IdentityLinksGetList(url, task.id_), admin)()
                (role_of[task.id_],) = [link.group_id for link in links
                                        if link.type_ == "candidate"]
        # the oldest first; tasks opened together by candidate group, then element
        task = min(open_tasks, key=lambda t: (opened_after[t.id_], role_of[t.id_],
                                              t.task_definition_key))
        role = role_of[task.id_]
        worker = sessions[role]
        queue = on(pycamunda.task.GetList(url, candidate_group=role,
                                          process_instance_id=instance_id), worker)()
        assert task.id_ in {t.id_ for t in queue}, f"{task.task_definition_key} not in {role}"
        assert all(role_of[t.id_] == role for t in queue)

        read = worker.get(f"{url}/task/{task.id_}/variables", timeout=30)
        assert read.status_code == 200, read.text
        variables = plain(read.json())
        on(pycamunda.task.Claim(url, id_=task.id_, user_id=role.replace(":", "-")), worker)()
        answers.session = worker
        data = answers.for_form(task.form_key, task.task_definition_key, variables)
        complete = on(pycamunda.task.Complete(url, id_=task.id_), worker)
        for name, value in data.items():
            complete.add_variable(name, value)
        complete()
        done.append(standard.Done(role, task.task_definition_key, variables.get("unit"),
                                  data.get("decision"), opened_after[task.id_],
                                  tuple(data.get("units_to_correct", ()))))
    else:
        raise AssertionError("more than 500 tasks")

    assert standard.check(standard.lkj_cycle(UNITS), done) == []
    assert [(d.element, d.unit) for d in done if d.decision == "revise"] == [
        ("check_kepala_bagian", None), ("check_data_staf", INCOMPLETE_UNIT)]
    assert len(done) > 80
    # and step for step what the diagrams do in memory with the same answers and order
    expected = run_lkj_cycle(ROOT / "bpmn", UNITS, revise_at=REVISE_AT,
                             incomplete_unit=INCOMPLETE_UNIT, tie_break=by_role_and_element)
    assert [(d.role, d.element) for d in done] == [(r, e) for r, e, _ in expected.steps]
    auditor = sessions["auditor"]
    (history,) = auditor.get(f"{url}/history/process-instance", timeout=30,
                             params={"processInstanceId": instance_id}).json()
    assert history["state"] == "COMPLETED" and history["businessKey"] == "LKJ-2024"
    finished = auditor.get(f"{url}/history/task/count", timeout=30,
                           params={"processInstanceId": instance_id, "finished": "true"})
    assert finished.json()["count"] == len(done)
