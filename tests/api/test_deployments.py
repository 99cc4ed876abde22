"""Deploying over HTTP (admin), the versions of a process, a version's diagram file, and
instances of two versions running side by side."""
from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess

import pytest

from tests.api.helpers import assert_aware, assert_problem
from tests.conftest import FIXTURES, ROOT, read_folder

MINI = FIXTURES / "mini"
ORIGINAL = (MINI / "review.bpmn").read_bytes()
# Version 2: another process name and another name for the draft task.
CHANGED = ORIGINAL.replace(b"Reviu dokumen", b"Reviu v2").replace(b'name="Menyusun konsep"',
                                                                  b'name="Menyusun konsep v2"')
VERSIONS = "/api/v1/process-definitions/mini_review/versions"


def deploy(client, headers, *files: tuple[str, bytes]):
    return client.post("/api/v1/deployments", headers=headers,
                       data={"files": [(io.BytesIO(content), name) for name, content in files]})


def versions(client, headers) -> list[int]:
    response = client.get(VERSIONS, headers=headers)
    assert response.status_code == 200, response.get_json()
    return [d["version"] for d in response.get_json()["items"]]


def test_a_first_deployment_of_diagram_and_forms(client, admin):
    diagrams, forms = read_folder(MINI)
    response = deploy(client, admin, *diagrams.items(), *forms.items())
    assert response.status_code == 201
    [definition] = response.get_json()["definitions"]
    assert (definition["key"], definition["version"], definition["name"],
            definition["created"]) == ("mini_review", 1, "Reviu dokumen", True)
    assert_aware(definition["deployed_at"])
    started = client.post("/api/v1/process-definitions/mini_review/instances", headers=admin)
    assert started.get_json()["open_tasks"][0]["form_key"] == "mini_draft"


def test_a_changed_diagram_becomes_version_2_and_version_1_stays(client, admin, mini_deployed):
    response = deploy(client, admin, ("review.bpmn", CHANGED))  # the forms are kept
    assert response.status_code == 201
    [definition] = response.get_json()["definitions"]
    assert (definition["version"], definition["name"], definition["created"]) == (
        2, "Reviu v2", True)
    assert versions(client, admin) == [1, 2]

    original = client.get(f"{VERSIONS}/1/xml", headers=admin)
    assert original.status_code == 200
    assert original.data == ORIGINAL
    assert original.headers["Content-Type"] == "application/xml"
    assert original.headers["ETag"].strip('"') == hashlib.sha256(ORIGINAL).hexdigest()
    disposition = original.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and "review.bpmn" in disposition
    assert client.get(f"{VERSIONS}/2/xml", headers=admin).data == CHANGED
    unchanged = client.get(f"{VERSIONS}/1/xml",
                           headers={**admin, "If-None-Match": original.headers["ETag"]})
    assert unchanged.status_code == 304


def test_the_same_content_again_creates_nothing(client, admin, mini_deployed):
    response = deploy(client, admin, ("review.bpmn", ORIGINAL))
    assert response.status_code == 201
    assert [(d["version"], d["created"]) for d in response.get_json()["definitions"]] == [
        (1, False)]
    assert versions(client, admin) == [1]


def test_versions_1_and_2_run_side_by_side_to_completion(client, admin, login, mini_deployed):
    deploy(client, admin, ("review.bpmn", CHANGED))
    biro, staf, kabag = (login("biro", "kepala_biro"), login("staf1", "staf"),
                         login("kabag", "kepala_bagian"))
    start = "/api/v1/process-definitions/mini_review/instances"
    v1 = client.post(start, json={"version": 1}, headers=biro).get_json()
    v2 = client.post(start, headers=biro).get_json()
    assert (v1["definition_version"], v2["definition_version"]) == (1, 2)
    drafts = {1: v1["open_tasks"][0], 2: v2["open_tasks"][0]}
    # Each instance runs the diagram of its own version.
    assert (drafts[1]["name"], drafts[2]["name"]) == ("Menyusun konsep", "Menyusun konsep v2")

    def work(task, headers, data):
        client.post(f"/api/v1/tasks/{task['id']}/claim", headers=headers)
        done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": data},
                           headers=headers)
        assert done.status_code == 200, done.get_json()
        return done.get_json()["next_tasks"]

    checks = {v: work(drafts[v], staf, {"title": f"Konsep v{v}"})[0] for v in (1, 2)}
    for v in (2, 1):
        assert work(checks[v], kabag, {"decision": "approve"}) == []
    for instance, version in ((v1, 1), (v2, 2)):
        final = client.get(f"/api/v1/process-instances/{instance['id']}", headers=admin)
        assert (final.get_json()["status"], final.get_json()["definition_version"]) == (
            "completed", version)


def test_a_diagram_saved_by_a_modeler_deploys(client, admin, login, mini_deployed, tmp_path):
    """bpmn-moddle (the model layer of bpmn.io / Camunda Modeler) reformats on save."""
    if shutil.which("node") is None or not (ROOT / "node_modules" / "bpmn-moddle").is_dir():
        pytest.skip("needs node and `npm ci` (bpmn-moddle)")
    proc = subprocess.run(["node", str(ROOT / "tools" / "moddle-roundtrip.mjs"), "--out",
                           str(tmp_path), str(MINI / "review.bpmn")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    saved = (tmp_path / "review.bpmn").read_bytes()
    assert saved != ORIGINAL

    response = deploy(client, admin, ("review.bpmn", saved))
    assert response.status_code == 201, response.get_json()
    # Other bytes, the same meaning: a re-save makes no version and stores nothing.
    [definition] = response.get_json()["definitions"]
    assert (definition["version"], definition["created"]) == (1, False)
    assert response.get_json()["deployment_id"] is None
    # A change made in the modeler's saved file becomes version 2, with the same behaviour.
    edited = saved.replace(b"Reviu dokumen", b"Reviu v2")
    [definition] = deploy(client, admin, ("review.bpmn", edited)).get_json()["definitions"]
    assert (definition["version"], definition["created"]) == (2, True)
    assert client.get(f"{VERSIONS}/2/xml", headers=admin).data == edited
    instance = client.post("/api/v1/process-definitions/mini_review/instances",
                           headers=admin).get_json()
    [draft] = instance["open_tasks"]
    assert (draft["element_id"], draft["role"], draft["form_key"]) == ("draft", "staf",
                                                                      "mini_draft")


# ---------------------------------------------------------------- errors

def test_a_broken_diagram_is_400_listing_each_problem(client, admin, mini_deployed):
    broken = ORIGINAL.replace(b'name="Staf"', b'name="Penyusun"').replace(
        b'<spiffworkflow:property name="role" value="staf" />', b"")
    body = assert_problem(deploy(client, admin, ("review.bpmn", broken)), 400)
    assert body["type"].endswith("diagram-invalid")
    [problem] = body["errors"]
    assert set(problem) == {"file", "line", "column", "element_id", "message"}
    assert (problem["file"], problem["element_id"]) == ("review.bpmn", "draft")
    assert isinstance(problem["line"], int) and "nobody may work" in problem["message"]

    not_xml = ORIGINAL.replace(b"</bpmn:process>", b"</bpmn:proc>")
    [problem] = assert_problem(deploy(client, admin, ("review.bpmn", not_xml)), 400)["errors"]
    assert problem["file"] == "review.bpmn" and isinstance(problem["line"], int)
    # Nothing was stored.
    assert versions(client, admin) == [1]


def test_a_broken_form_schema_is_400(client, admin, mini_deployed):
    body = assert_problem(deploy(client, admin, ("mini_draft.json", b"{not json")), 400)
    [problem] = body["errors"]
    assert problem["file"] == "mini_draft.json" and problem["line"] == 1


@pytest.mark.parametrize("data", [
    {},
    {"files": (io.BytesIO(b""), "")},
    {"diagram": (io.BytesIO(ORIGINAL), "review.bpmn")},
])
def test_a_deployment_without_files_is_422(client, admin, data):
    response = client.post("/api/v1/deployments", headers=admin, data=data,
                           content_type="multipart/form-data")
    assert_problem(response, 422, field="files")


@pytest.mark.parametrize("name", ["notes.txt", "review.xml", "review.BPMN", "review"])
def test_a_file_that_is_neither_bpmn_nor_json_is_422(client, admin, mini_deployed, name):
    body = assert_problem(deploy(client, admin, ("review.bpmn", CHANGED), (name, b"x")), 422,
                          field="files")
    assert name in body["errors"]["files"][0]
    assert versions(client, admin) == [1]


def test_a_file_sent_twice_is_422(client, admin, mini_deployed):
    body = assert_problem(deploy(client, admin, ("review.bpmn", CHANGED),
                                 ("review.bpmn", ORIGINAL)), 422, field="files")
    assert "twice" in body["errors"]["files"][0]
    assert versions(client, admin) == [1]


def test_a_deployment_must_be_multipart(client, admin):
    assert_problem(client.post("/api/v1/deployments", headers=admin,
                               json={"files": ["review.bpmn"]}), 400)


def test_only_an_admin_deploys(client, login, mini_deployed):
    for headers in (login("biro", "kepala_biro"), login("aud", "auditor")):
        assert_problem(deploy(client, headers, ("review.bpmn", CHANGED)), 403)
    assert_problem(deploy(client, {}, ("review.bpmn", CHANGED)), 401)


@pytest.mark.parametrize("url", [
    "/api/v1/process-definitions/nothing/versions",
    "/api/v1/process-definitions/nothing/versions/1/xml",
    f"{VERSIONS}/7/xml",
    f"{VERSIONS}/7/forms",
    f"{VERSIONS}/-1/xml",
    f"{VERSIONS}/one/xml",
    f"{VERSIONS}/1.0/xml",
])
def test_unknown_definitions_and_versions_are_404(client, admin, mini_deployed, url):
    assert_problem(client.get(url, headers=admin), 404)


def test_versions_need_a_token(client, mini_deployed):
    assert_problem(client.get(VERSIONS), 401)
    assert_problem(client.get(f"{VERSIONS}/1/xml"), 401)


def test_a_versions_forms_are_listed_and_a_changed_form_makes_the_next_version(
        client, admin, mini_deployed):
    listed = client.get(f"{VERSIONS}/1/forms", headers=admin)
    assert listed.status_code == 200
    forms = {f["name"]: f for f in listed.get_json()["items"]}
    assert sorted(forms) == ["mini_check.json", "mini_draft.json"]
    draft = forms["mini_draft.json"]
    assert (draft["form_key"], draft["kind"]) == ("mini_draft", "json-schema")
    assert draft["content"] == (MINI / "mini_draft.json").read_text()
    assert draft["schema"] == json.loads(draft["content"])
    schema = draft["schema"]
    schema["title"] = "Konsep yang diubah"
    response = deploy(client, admin, ("mini_draft.json", json.dumps(schema).encode()))
    assert response.status_code == 201
    assert [(d["version"], d["created"]) for d in response.get_json()["definitions"]] == [
        (2, True)]
    again = {f["name"]: f for f in client.get(f"{VERSIONS}/2/forms", headers=admin)
             .get_json()["items"]}
    assert again["mini_draft.json"]["schema"]["title"] == "Konsep yang diubah"


def test_a_form_js_file_is_listed_with_its_translation(client, admin):
    diagrams, forms = read_folder(FIXTURES / "dialects" / "camunda")
    assert deploy(client, admin, *diagrams.items(), *forms.items()).status_code == 201
    listed = client.get("/api/v1/process-definitions/leave_request/versions/1/forms",
                        headers=admin).get_json()["items"]
    leave = next(f for f in listed if f["name"] == "leave_form.form")
    assert leave["kind"] == "form-js"
    assert "kind" in leave["schema"]["properties"]
    assert json.loads(leave["content"])["components"]
