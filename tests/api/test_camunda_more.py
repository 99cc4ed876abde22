"""Camunda 7's REST API under /engine-rest, continued: identity, incidents and history,
and the administration of one process instance."""
from __future__ import annotations

import pytest

from tests.api.helpers import PASSWORD
from tests.api.test_camunda import basic

ROOT = basic("root")


# ---------------------------------------------------------------- identity

def test_an_admin_lists_users_with_an_id_filter_and_paging(client, admin, login):
    login("ani", "staf")
    login("budi", "staf")
    everyone = client.get("/engine-rest/user", headers=ROOT).get_json()
    assert [u["id"] for u in everyone] == ["ani", "budi", "root"]
    assert everyone[0] == {"id": "ani", "firstName": "Pegawai", "lastName": "ani",
                           "email": None}
    assert [u["id"] for u in client.get("/engine-rest/user?id=budi",
                                        headers=ROOT).get_json()] == ["budi"]
    page = client.get("/engine-rest/user?firstResult=1&maxResults=1", headers=ROOT)
    assert [u["id"] for u in page.get_json()] == ["budi"]
    assert client.get("/engine-rest/user/count", headers=ROOT).get_json() == {"count": 3}
    assert client.get("/engine-rest/user/ani/profile", headers=ROOT).get_json()["id"] == "ani"
    missing = client.get("/engine-rest/user/nobody/profile", headers=ROOT)
    assert missing.status_code == 404 and missing.get_json()["type"]


def test_a_user_who_is_not_an_admin_reads_only_itself(client, admin, login):
    login("ani", "staf")
    login("budi", "staf")
    ani = basic("ani")
    assert [u["id"] for u in client.get("/engine-rest/user?id=ani",
                                        headers=ani).get_json()] == ["ani"]
    assert client.get("/engine-rest/user/ani/profile", headers=ani).status_code == 200
    for path in ("/engine-rest/user", "/engine-rest/user/budi/profile", "/engine-rest/group",
                 "/engine-rest/identity/groups?userId=budi"):
        answer = client.get(path, headers=ani)
        assert answer.status_code == 403, path
        assert answer.get_json()["type"] == "AuthorizationException"
    own = client.get("/engine-rest/identity/groups?userId=ani", headers=ani).get_json()
    assert [g["id"] for g in own["groups"]] == ["staf"]
    assert [u["id"] for u in own["groupUsers"]] == ["ani"]


def test_groups_are_roles_filtered_by_id_and_member(client, admin, login):
    login("ani", "staf")
    groups = client.get("/engine-rest/group", headers=ROOT).get_json()
    assert {"admin", "staf"} <= {g["id"] for g in groups}
    assert [g["id"] for g in client.get("/engine-rest/group?id=staf",
                                        headers=ROOT).get_json()] == ["staf"]
    assert [g["id"] for g in client.get("/engine-rest/group?member=ani",
                                        headers=ROOT).get_json()] == ["staf"]
    assert client.get("/engine-rest/group/count?member=ani",
                      headers=ROOT).get_json() == {"count": 1}
    assert client.get("/engine-rest/identity/groups",
                      headers=ROOT).status_code == 400


def test_verify_checks_a_password_through_the_throttled_sign_in(client, admin, login):
    login("ani", "staf")
    right = client.post("/engine-rest/identity/verify", headers=ROOT,
                        json={"username": "ani", "password": PASSWORD})
    assert right.get_json() == {"authenticatedUser": "ani", "authenticated": True}
    wrong = client.post("/engine-rest/identity/verify", headers=ROOT,
                        json={"username": "ani", "password": "wrong"})
    assert wrong.get_json() == {"authenticatedUser": "ani", "authenticated": False}
    for _ in range(12):
        answer = client.post("/engine-rest/identity/verify", headers=ROOT,
                             json={"username": "ani", "password": "wrong"})
        if answer.status_code == 429:
            break
    assert answer.status_code == 429
    bad = client.post("/engine-rest/identity/verify", headers=ROOT, json={"username": 1})
    assert bad.status_code == 400
