"""POST /deployments/check: every problem and warning of an upload, nothing stored (what a
browser modeler shows as overlays); POST /deployments answers the same problems."""
from __future__ import annotations

import io

from tests.api.helpers import assert_problem
from tests.conftest import FIXTURES, read_folder

DIALECTS = FIXTURES / "dialects"
CHECK = "/api/v1/deployments/check"


def upload(client, headers, url, files: dict[str, bytes]):
    return client.post(url, headers=headers, data={
        "files": [(io.BytesIO(content), name) for name, content in files.items()]})


def test_check_answers_every_problem_and_stores_nothing(client, admin):
    defects = {"many_defects.bpmn": (DIALECTS / "defects" / "many_defects.bpmn").read_bytes()}
    response = upload(client, admin, CHECK, defects)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert len(body["problems"]) == 12
    assert all(set(p) == {"file", "line", "column", "element_id", "message"}
               and isinstance(p["line"], int) and p["element_id"] for p in body["problems"])
    assert [w["element_id"] for w in body["warnings"]] == ["Event_end"]
    assert client.get("/api/v1/process-definitions", headers=admin).get_json()["items"] == []
    # The deployment itself refuses with the same list.
    refused = assert_problem(upload(client, admin, "/api/v1/deployments", defects), 400)
    assert refused["errors"] == body["problems"]


def test_check_of_good_files_and_camunda_forms_upload(client, admin):
    diagrams, forms = read_folder(DIALECTS / "camunda")
    response = upload(client, admin, CHECK, {**diagrams, **forms})
    assert response.get_json() == {"problems": [], "warnings": []}
    assert client.get("/api/v1/process-definitions", headers=admin).get_json()["items"] == []
    deployed = upload(client, admin, "/api/v1/deployments", {**diagrams, **forms})
    assert deployed.status_code == 201, deployed.get_json()


def test_check_is_for_admins(client, login):
    diagrams, _ = read_folder(DIALECTS / "bpmnio")
    assert_problem(upload(client, login("sari", "staf"), CHECK, diagrams), 403)


def test_other_file_kinds_are_refused_naming_the_kinds(client, admin):
    body = assert_problem(upload(client, admin, CHECK, {"notes.txt": b"x"}), 422)
    assert ("only .bpmn diagrams, .dmn decision tables, .json form schemas and .form "
            "Camunda forms") in body["errors"]["files"][0]
