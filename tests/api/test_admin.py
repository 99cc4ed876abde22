"""Users and units, managed by an admin."""
from __future__ import annotations

from tests.api.helpers import assert_problem


def test_an_admin_creates_and_lists_users(client, admin):
    response = client.post("/api/v1/users", headers=admin, json={
        "username": "sari", "password": "password-123", "full_name": "Sari Wulandari",
        "roles": ["staf", "kepala_subbagian"]})
    assert response.status_code == 201
    assert response.get_json() == {"username": "sari", "full_name": "Sari Wulandari",
                                   "roles": ["kepala_subbagian", "staf"], "active": True,
                                   "email": None}
    assert "password" not in response.get_data(as_text=True)
    listed = client.get("/api/v1/users", headers=admin).get_json()["items"]
    assert [u["username"] for u in listed] == ["root", "sari"]
    # The new user can sign in with the password given.
    assert client.post("/api/v1/auth/token", json={"username": "sari",
                                                   "password": "password-123"}).status_code == 200


def test_only_an_admin_lists_users(client, login):
    assert_problem(client.get("/api/v1/users", headers=login("staf1", "staf")), 403)


def test_an_unknown_role_or_a_short_password_is_422(client, admin):
    response = client.post("/api/v1/users", headers=admin, json={
        "username": "x1", "password": "short", "roles": ["wizard"]})
    body = assert_problem(response, 422, field="roles")
    assert "password" in body["errors"]


def test_units_are_registered_listed_and_updated(client, admin, login):
    for code, name in (("BIRO-1", "Biro Perencanaan"), ("BIRO-2", "Biro Keuangan")):
        response = client.post("/api/v1/units", json={"code": code, "name": name}, headers=admin)
        assert response.status_code == 201
        assert response.get_json() == {"code": code, "name": name, "active": True}
    response = client.patch("/api/v1/units/BIRO-2", json={"active": False, "name": "Biro Keu"},
                            headers=admin)
    assert response.get_json() == {"code": "BIRO-2", "name": "Biro Keu", "active": False}
    staf = login("staf1", "staf")
    everything = client.get("/api/v1/units", headers=staf).get_json()["items"]
    assert [u["code"] for u in everything] == ["BIRO-1", "BIRO-2"]
    active = client.get("/api/v1/units?active_only=true", headers=staf).get_json()["items"]
    assert [u["code"] for u in active] == ["BIRO-1"]


def test_only_an_admin_manages_units(client, login, admin):
    staf = login("staf1", "staf")
    assert_problem(client.post("/api/v1/units", json={"code": "B", "name": "B"}, headers=staf), 403)
    client.post("/api/v1/units", json={"code": "B", "name": "B"}, headers=admin)
    assert_problem(client.patch("/api/v1/units/B", json={"active": False}, headers=staf), 403)


def test_a_bad_unit_code_or_empty_name_is_422(client, admin):
    assert_problem(client.post("/api/v1/units", json={"code": "a b", "name": "x"}, headers=admin),
                   422, field="code")
    client.post("/api/v1/units", json={"code": "B", "name": "B"}, headers=admin)
    assert_problem(client.patch("/api/v1/units/B", json={"name": ""}, headers=admin),
                   422, field="name")
