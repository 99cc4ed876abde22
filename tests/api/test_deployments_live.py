"""Deployments through a real `lkj serve`: a restart keeps a process owner's version, a
renamed file makes the next version, deployments list their resources, a version is
deleted and a process suspended over HTTP, groups are managed over HTTP."""
from __future__ import annotations

import io
import json

import pytest

from tests.api.helpers import PASSWORD, assert_problem
from tests.api.test_live import Client
from tests.conftest import FIXTURES, ROOT, LiveServer, read_folder

ADMIN_PASSWORD = "admin-password-123"
COMPLAINT = (ROOT / "bpmn" / "lkj_complaint.bpmn").read_bytes()
MINI = read_folder(FIXTURES / "mini")


def serve(database_url, tmp_path, name: str, *args: str) -> LiveServer:
    data_dir = tmp_path / name
    data_dir.mkdir()
    return LiveServer(database_url, data_dir, admin_password=ADMIN_PASSWORD,
                      extra_args=list(args)).wait_ready()


def upload(client: Client, *files: tuple[str, bytes], name: str | None = None):
    return client.post("/deployments", files=[("files", (n, io.BytesIO(c))) for n, c in files],
                       data={"name": name} if name else None)


def latest(client: Client) -> dict[str, int]:
    return {d["key"]: d["version"] for d in client.get("/process-definitions").json()["items"]}


def warnings_of(server: LiveServer) -> list[str]:
    lines = [json.loads(line) for line in server.output().splitlines()
             if line.startswith("{")]
    return [line["message"] for line in lines if line["level"] == "WARNING"]


def test_a_restart_keeps_the_version_a_process_owner_deployed(database_url, tmp_path):
    server = serve(database_url, tmp_path, "first")
    try:
        admin = Client(server, "admin", ADMIN_PASSWORD)
        assert latest(admin)["lkj_complaint"] == 1
        # the process owner's version 2 comes in a file of another name
        edited = COMPLAINT.replace(b'name="Penanganan pengaduan, keluhan, dan masukan"',
                                   b'name="Penanganan pengaduan (revisi)"')
        response = upload(admin, ("pengaduan-revisi.bpmn", edited), name="revisi pengaduan")
        assert response.status_code == 201, response.text
        created = {d["key"]: d["version"] for d in response.json()["definitions"]
                   if d["created"]}
        assert created == {"lkj_complaint": 2}
    finally:
        server.stop()
    server = serve(database_url, tmp_path, "second")
    try:
        admin = Client(server, "admin", ADMIN_PASSWORD)
        assert latest(admin)["lkj_complaint"] == 2
        xml = admin.get("/process-definitions/lkj_complaint/versions/2/xml")
        assert xml.content == edited
        [warning] = [w for w in warnings_of(server) if "lkj_complaint" in w]
        assert "keeping version 2, deployed through the API by admin" in warning
        assert "version 1 came from the folder" in warning
        assert "lkj_complaint.bpmn" in warning
        records = admin.get("/deployments").json()["items"]
        assert [(r["source"], r["name"]) for r in records][:1] == [("api",
                                                                    "revisi pengaduan")]
        assert records[-1]["source"] == "folder"
    finally:
        server.stop()


@pytest.fixture
def server(database_url, tmp_path):
    live = serve(database_url, tmp_path, "server", "--no-deploy")
    try:
        yield live
    finally:
        live.stop()


def test_versions_deployments_suspension_and_deletion_over_http(server):
    admin = Client(server, "admin", ADMIN_PASSWORD)
    diagrams, forms = MINI
    first = upload(admin, *diagrams.items(), *forms.items())
    assert first.status_code == 201, first.text
    instance = admin.post("/process-definitions/mini_review/instances", json={"variables": {}})
    assert instance.status_code == 201, instance.text
    # the same bytes again: nothing; the same process in a renamed, changed file: version 2
    again = upload(admin, ("review.bpmn", diagrams["review.bpmn"]))
    assert again.json()["deployment_id"] is None
    changed = diagrams["review.bpmn"].replace(b"Menyusun konsep", b"Menyusun konsep v2")
    second = upload(admin, ("reviu-v2.bpmn", changed)).json()
    assert [(d["version"], d["created"]) for d in second["definitions"]] == [(2, True)]

    record = admin.get(f"/deployments/{second['deployment_id']}").json()
    assert record["source"] == "api" and record["deployed_by"] == "admin"
    [resource] = record["resources"]
    assert (resource["name"], resource["kind"], resource["size"]) == (
        "reviu-v2.bpmn", "bpmn", len(changed))
    assert resource["definitions"] == [{"key": "mini_review", "version": 2}]
    assert_problem(admin.get("/deployments/999"), 404)

    suspended = admin.post("/process-definitions/mini_review/suspend")
    assert suspended.status_code == 200 and suspended.json()["suspended"] is True
    refused = assert_problem(admin.post("/process-definitions/mini_review/instances",
                                        json={"variables": {}}), 409)
    assert refused["title"] == "Process suspended" and "resumes" in refused["detail"]
    assert admin.post("/process-definitions/mini_review/resume").json()["suspended"] is False

    in_use = assert_problem(admin.http.delete(
        f"{admin.base}/process-definitions/mini_review/versions/1"), 409)
    assert "used by 1 instance" in in_use["detail"]
    deleted = admin.http.delete(f"{admin.base}/process-definitions/mini_review/versions/2")
    assert deleted.status_code == 204
    assert latest(admin) == {"mini_review": 1}


def test_groups_over_http(server):
    admin = Client(server, "admin", ADMIN_PASSWORD)
    groups = {g["name"]: g for g in admin.get("/groups").json()["items"]}
    assert groups["admin"]["members"] == 1 and groups["staf"]["kind"] == "role"
    refused = assert_problem(admin.post("/users", json={
        "username": "wati", "password": PASSWORD, "roles": ["penelaah"]}), 422, "roles")
    assert refused["errors"]["roles"] == ["unknown role 'penelaah'"]
    created = admin.post("/groups", json={"name": "penelaah", "description": "Penelaah"})
    assert created.status_code == 201, created.text
    assert_problem(admin.post("/groups", json={"name": "penelaah"}), 409)
    assert_problem(admin.post("/groups", json={"name": "satuan_kerja:X"}), 422, "name")
    assert admin.post("/users", json={"username": "wati", "password": PASSWORD,
                                      "roles": []}).status_code == 201
    member = admin.http.put(f"{admin.base}/groups/penelaah/members/wati")
    assert member.status_code == 200 and member.json()["roles"] == ["penelaah"]
    assert [u["username"] for u in admin.get("/groups/penelaah/members").json()["items"]] \
        == ["wati"]
    in_use = assert_problem(admin.http.delete(f"{admin.base}/groups/penelaah"), 409)
    assert "1 member(s)" in in_use["detail"]
    assert admin.http.delete(f"{admin.base}/groups/penelaah/members/wati").status_code == 200
    assert admin.http.delete(f"{admin.base}/groups/penelaah").status_code == 204
    assert_problem(admin.http.delete(f"{admin.base}/groups/penelaah"), 404)
    assert_problem(admin.http.delete(f"{admin.base}/groups/admin"), 409)
