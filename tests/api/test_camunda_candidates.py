"""A task several queues may work (Camunda's candidate groups and users) is found by each
of them and names each one among its identity links."""
from __future__ import annotations

import io

from tests.api.test_camunda import basic, modeler_deploy
from tests.conftest import FIXTURES

ROOT = basic("root")
LEAVE = FIXTURES / "dialects" / "camunda"


def test_each_candidate_group_and_user_finds_a_shared_task(client, admin, login):
    files = {p.name: (io.BytesIO(p.read_bytes()), p.name) for p in sorted(LEAVE.iterdir())}
    assert modeler_deploy(client, ROOT, files, name="cuti").status_code == 200
    for name, role in [("budi", "staf"), ("kabag", "kepala_bagian"), ("kabiro", "kepala_biro"),
                       ("dewi", "staf"), ("sari", "staf")]:
        login(name, role)
    started = client.post("/engine-rest/process-definition/key/leave_request/start",
                          headers=basic("budi"), json={"variables": {
                              "requester": {"value": "budi"}, "deputy": {"value": "dewi"},
                              "deadline": {"value": "2026-12-31T17:00:00+07:00"}}}).get_json()
    (submit,) = client.get(f"/engine-rest/task?processInstanceId={started['id']}",
                           headers=basic("budi")).get_json()
    done = client.post(f"/engine-rest/task/{submit['id']}/complete", headers=basic("budi"),
                       json={"variables": {"kind": {"value": "annual"}, "days": {"value": 3},
                                           "start_date": {"value": "2026-04-01"},
                                           "reason": {"value": "keluarga"}}})
    assert done.status_code == 204, done.get_json()

    def found(user: str, query: str) -> list[str]:
        answer = client.get(f"/engine-rest/task?{query}", headers=basic(user))
        return [t["taskDefinitionKey"] for t in answer.get_json()]

    assert found("kabag", "candidateGroup=kepala_bagian") == ["Activity_review"]
    assert found("kabiro", "candidateGroup=kepala_biro") == ["Activity_review"]
    assert found("kabiro", "candidateGroups=kepala_biro,auditor") == ["Activity_review"]
    assert found("dewi", "candidateUser=dewi") == ["Activity_review"]
    assert found("kabiro", "candidateUser=kabag") == ["Activity_review"]  # by kabag's group
    assert found("root", "candidateGroup=staf") == []
    assert found("sari", "candidateUser=sari") == []
    (review,) = client.get(f"/engine-rest/task?processInstanceId={started['id']}",
                           headers=ROOT).get_json()
    links = client.get(f"/engine-rest/task/{review['id']}/identity-links",
                       headers=basic("dewi")).get_json()
    assert links == [{"userId": None, "groupId": "kepala_bagian", "type": "candidate"},
                     {"userId": None, "groupId": "kepala_biro", "type": "candidate"},
                     {"userId": "dewi", "groupId": None, "type": "candidate"}]
