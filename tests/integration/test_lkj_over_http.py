"""A whole LKj cycle over HTTP against a real `lkj serve`: an admin registers units and a user
for every role, the head of bureau starts the procedure, and each role's client works the
tasks in its own queue. The order of the steps is the standard's (the same as the
engine-level run of tests/procedure), and the auditor's replay and audit bundle agree.
A real `lkj worker --once` builds the draft when step 6 is ready and the archive at the end;
the signed LKj is public only once Biro TI's upload step is done."""
from __future__ import annotations

import hashlib
import io
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from docx import Document

from engine.audit.bundle import verify_bundle
from tests.conftest import ROOT
from tests.integration.rest_client import Client
from tests.procedure.driver import Answers, by_role_and_element, run_lkj_cycle

UNITS = ["DEP1", "DEP2", "DEP3"]
ROLES = ["kepala_biro", "kepala_bagian", "kepala_subbagian", "staf", "deputi", "menteri",
         "biro_tata_usaha", "tim", "inspektur", "biro_umum", "biro_it", "auditor",
         *[f"satuan_kerja:{u}" for u in UNITS]]
PASSWORD = "kata-sandi-rahasia"
REVISE_AT = ("check_kepala_bagian",)
INCOMPLETE_UNIT = "DEP2"


class HttpAnswers(Answers):
    """The procedure's sample answers, with documents really uploaded to the instance."""
    client: Client | None = None
    instance_id: str | None = None
    _names = itertools.count(1)

    def document(self) -> str:
        number = next(self._names)
        uploaded = self.client.post(f"/process-instances/{self.instance_id}/documents", status=201,
                                    files={"file": (f"dokumen-{number}.pdf",
                                                    b"%PDF-1.7 " + bytes(str(number), "ascii"),
                                                    "application/pdf")})
        return uploaded["id"]


@pytest.fixture
def people(live_server):
    admin = Client(live_server.url, "admin", live_server.admin_password)
    for code in UNITS:
        admin.post("/units", {"code": code, "name": f"Satuan Kerja {code}"}, status=201)
    clients = {}
    for role in ROLES:
        username = role.replace(":", "-")
        admin.post("/users", {"username": username, "password": PASSWORD, "roles": [role],
                              "full_name": f"Pengguna {role}"}, status=201)
        clients[role] = Client(live_server.url, username, PASSWORD)
    return admin, clients


def run_worker_once(database_url: str, data_dir: Path) -> dict:
    """`lkj worker --once` on the server's database and documents, as an operator runs it."""
    env = {**os.environ, "LKJ_DATABASE_URL": database_url, "LKJ_DATA_DIR": str(data_dir),
           "LKJ_SECRET_KEY": "live-server-secret-key-long-enough-for-hs256"}
    done = subprocess.run([sys.executable, "-m", "cli.main", "worker", "--once"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_whole_lkj_cycle_over_http(live_server, people, tmp_path, database_url):
    admin, clients = people
    public_lkj = f"{live_server.url}/public/lkj/2024"
    signed_document, drafts_checked = None, False
    started = clients["kepala_biro"].post("/process-definitions/lkj_preparation/instances",
                                          {"variables": {"year": 2024}}, status=201)
    instance_id = started["id"]
    answers = HttpAnswers(revise_at=set(REVISE_AT), incomplete_unit=INCOMPLETE_UNIT)
    answers.instance_id = instance_id
    steps = []
    while True:
        open_tasks = admin.get("/tasks", process_instance_id=instance_id, limit=500)["items"]
        if not open_tasks:
            break
        # the oldest first; tasks that became ready together by role, then element
        task = min(open_tasks, key=lambda t: (t["created_at"], t["role"], t["element_id"]))
        worker = clients[task["role"]]
        assert task["id"] in worker.open_task_ids(), f"{task['element_id']} not in its queue"
        outsider = clients["inspektur" if task["role"] != "inspektur" else "staf"]
        assert task["id"] not in outsider.open_task_ids()
        outsider.get(f"/tasks/{task['id']}", status=404)

        if task["element_id"] == "study_regulations" and not drafts_checked:
            # step 6 is ready: the worker assembles the draft the drafters open in Word
            assert worker.get(f"/tasks/{task['id']}/drafts")["items"] == []
            assert run_worker_once(database_url, tmp_path / "server-data")["report_jobs_done"] == 1
            (draft,) = worker.get(f"/tasks/{task['id']}/drafts")["items"]
            assert draft["latest"] and draft["document"]["filename"] == "Draf awal LKj 2024.docx"
            docx = worker.get(f"/documents/{draft['document']['id']}/content")
            assert hashlib.sha256(docx).hexdigest() == draft["document"]["sha256"]
            assert "DRAF AWAL" in [p.text for p in Document(io.BytesIO(docx)).paragraphs]
            drafts_checked = True
        if task["element_id"] == "upload_lkj":
            before = requests.get(public_lkj, timeout=30)
            assert before.status_code == 404
            assert before.headers["Content-Type"] == "application/problem+json"
        variables = worker.get(f"/tasks/{task['id']}/variables")["variables"]
        form = worker.get(f"/tasks/{task['id']}/form")
        assert form["form_key"] == task["form_key"] and form["schema"]["type"] == "object"
        worker.post(f"/tasks/{task['id']}/claim")
        answers.client = worker
        data = answers.for_form(task["form_key"], task["element_id"], variables)
        done = worker.post(f"/tasks/{task['id']}/complete", {"data": data})
        assert done["task"]["state"] == "completed" and done["task"]["completed_by"] == \
            worker.username
        steps.append((task["role"], task["element_id"]))
        if task["element_id"] == "sign_lkj" and data["decision"] == "approve":
            signed_document = data["signed_document"]
        if task["element_id"] == "upload_lkj":  # no sign-in: anyone reads the signed LKj
            after = requests.get(public_lkj, timeout=30)
            assert after.status_code == 200
            signed = clients["auditor"].get(f"/documents/{signed_document}/content")
            assert after.content == signed
            assert after.headers["ETag"].strip('"') == hashlib.sha256(signed).hexdigest()

    expected = run_lkj_cycle(ROOT / "bpmn", UNITS, revise_at=REVISE_AT,
                             incomplete_unit=INCOMPLETE_UNIT, tie_break=by_role_and_element)
    assert steps == [(role, element) for role, element, _ in expected.steps]
    assert len(steps) > 80

    auditor = clients["auditor"]
    final = auditor.get(f"/process-instances/{instance_id}")
    assert final["status"] == "completed" and final["open_tasks"] == []
    replay = auditor.post(f"/process-instances/{instance_id}/replay")
    assert replay["consistent"] is True and replay["divergence"] is None
    history = auditor.get(f"/process-instances/{instance_id}/history", limit=10000)
    assert replay["events_replayed"] == history["total"]
    completed = [e for e in history["events"] if e["type"] == "task_completed"]
    assert len(completed) == len(steps)
    bundle = auditor.get(f"/process-instances/{instance_id}/audit-bundle")
    path = Path(tmp_path) / "bundle.zip"
    path.write_bytes(bundle)
    report = verify_bundle(path.read_bytes())
    assert report.valid, report.problems

    # the end of the publication phase: the worker builds the year's archive
    assert drafts_checked
    assert run_worker_once(database_url, tmp_path / "server-data")["report_jobs_done"] == 1
    clients["staf"].get("/archives/2024", status=403)
    archive = auditor.get("/archives/2024")
    assert clients["kepala_biro"].get("/archives/2024") == archive
    path = Path(tmp_path) / "arsip-2024.zip"
    path.write_bytes(archive)
    checked = subprocess.run([sys.executable, "-m", "cli.main", "audit", "verify-archive",
                              str(path)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout[-2000:]
    assert json.loads(checked.stdout)["valid"] is True
    page = requests.get(f"{live_server.url}/public/lkj", timeout=30)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "Laporan Kinerja Tahun 2024" in page.text
    assert hashlib.sha256(requests.get(public_lkj, timeout=30).content).hexdigest() in page.text
    # nothing else is public
    assert requests.get(f"{live_server.url}/api/v1/archives/2024", timeout=30).status_code == 401
