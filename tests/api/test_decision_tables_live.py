"""A diagram and its decision table uploaded together to a real `lkj serve`: both are
stored, the table routes the run, and a broken table is one 400 answer with lines."""
from __future__ import annotations

from tests.api.helpers import assert_problem
from tests.api.test_deployments_live import ADMIN_PASSWORD, serve, upload
from tests.api.test_live import Client
from tests.conftest import FIXTURES

DMN = FIXTURES / "dmn"
DIAGRAM = ("signer_approval.bpmn", (DMN / "signer_approval.bpmn").read_bytes())
TABLE = ("final_signer.dmn", (DMN / "final_signer.dmn").read_bytes())


def test_a_diagram_and_its_decision_table_over_http(database_url, tmp_path):
    server = serve(database_url, tmp_path, "server", "--no-deploy")
    try:
        admin = Client(server, "admin", ADMIN_PASSWORD)
        deployed = upload(admin, DIAGRAM, TABLE)
        assert deployed.status_code == 201, deployed.text
        record = admin.get(f"/deployments/{deployed.json()['deployment_id']}").json()
        assert sorted((r["name"], r["kind"]) for r in record["resources"]) == [
            ("final_signer.dmn", "dmn"), ("signer_approval.bpmn", "bpmn")]
        started = admin.post("/process-definitions/signer_approval/instances",
                             json={"variables": {"doc_type": "surat_edaran"}})
        assert started.status_code == 201, started.text
        assert [t["role"] for t in started.json()["open_tasks"]] == ["deputi"]

        broken = TABLE[1].replace(b'<text>"deputi"</text>', b"<text>deputi ==</text>")
        body = assert_problem(upload(admin, DIAGRAM, ("final_signer.dmn", broken)), 400)
        [problem] = body["errors"]
        assert (problem["file"], problem["element_id"], problem["line"]) == (
            "final_signer.dmn", "LiteralExpression_1edaran", 25)
    finally:
        server.stop()
