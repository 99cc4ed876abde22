"""Changing a user (admin): name, roles, password, and switching sign-in off and on."""
from __future__ import annotations

import pytest

from tests.api.helpers import PASSWORD, assert_problem


def patch(client, name, headers, **fields):
    return client.patch(f"/api/v1/users/{name}", json=fields, headers=headers)


def sign_in(client, username, password=PASSWORD):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def test_an_admin_renames_a_user_and_replaces_the_roles(client, admin, login):
    staf = login("sari", "staf")
    response = patch(client, "sari", admin, full_name="Sari Wulandari",
                     roles=["kepala_subbagian", "staf", "staf"])
    assert response.status_code == 200
    assert response.get_json() == {"username": "sari", "full_name": "Sari Wulandari",
                                   "roles": ["kepala_subbagian", "staf"], "active": True,
                                   "email": None}
    # A change of roles ends the user's tokens at once in this process; a new sign-in
    # carries the new roles.
    assert_problem(client.get("/api/v1/me", headers=staf), 401)
    again = {"Authorization": f"Bearer {sign_in(client, 'sari').get_json()['access_token']}"}
    assert client.get("/api/v1/me", headers=again).get_json()["roles"] == [
        "kepala_subbagian", "staf"]
    # A change of the name alone leaves the tokens alone.
    assert patch(client, "sari", admin, full_name="Sari W.").status_code == 200
    assert client.get("/api/v1/me", headers=again).get_json()["full_name"] == "Sari W."
    # Fields left out stay as they are.
    assert patch(client, "sari", admin, roles=["staf"]).get_json() == {
        "username": "sari", "full_name": "Sari W.", "roles": ["staf"], "active": True,
        "email": None}


def test_a_deactivated_user_is_locked_out_until_reactivated(client, admin, login):
    staf = login("staf1", "staf")
    assert patch(client, "staf1", admin, active=False).get_json()["active"] is False
    assert_problem(client.get("/api/v1/me", headers=staf), 401)
    assert_problem(sign_in(client, "staf1"), 401)
    # Still listed for the admin, as inactive.
    users = client.get("/api/v1/users", headers=admin).get_json()["items"]
    assert {u["username"]: u["active"] for u in users}["staf1"] is False

    assert patch(client, "staf1", admin, active=True).get_json()["active"] is True
    # The tokens issued before the deactivation stay dead; signing in works again.
    assert_problem(client.get("/api/v1/me", headers=staf), 401)
    assert sign_in(client, "staf1").status_code == 200


def test_a_new_password_replaces_the_old(client, admin, login):
    login("staf1", "staf")
    response = patch(client, "staf1", admin, password="another-password-456")
    assert response.status_code == 200
    assert "password" not in response.get_json()
    assert_problem(sign_in(client, "staf1"), 401)
    assert sign_in(client, "staf1", "another-password-456").status_code == 200


def test_only_an_admin_changes_users(client, login):
    staf = login("staf1", "staf")
    assert_problem(patch(client, "staf1", staf, roles=["admin"]), 403)
    assert_problem(patch(client, "staf1", {}, full_name="x"), 401)
    assert client.get("/api/v1/me", headers=staf).get_json()["roles"] == ["staf"]


def test_an_unknown_user_is_404(client, admin):
    body = assert_problem(patch(client, "nobody", admin, full_name="Siapa"), 404)
    assert body["title"] == "User not found"


@pytest.mark.parametrize("fields, field", [
    ({"roles": ["wizard"]}, "roles"),
    ({"password": "short"}, "password"),
    ({"full_name": "x" * 201}, "full_name"),
    ({"active": "no"}, "active"),
    ({"roles": "staf"}, "roles"),
    ({"username": "renamed"}, "username"),
])
def test_a_bad_change_is_422_naming_the_field(client, admin, login, fields, field):
    login("staf1", "staf")
    assert_problem(patch(client, "staf1", admin, **fields), 422, field=field)
    assert client.get("/api/v1/users", headers=admin).get_json()["items"][1] == {
        "username": "staf1", "full_name": "Pegawai staf1", "roles": ["staf"], "active": True,
        "email": None}


def test_an_e_mail_address_for_notifications(client, admin, login):
    login("staf1", "staf")
    changed = patch(client, "staf1", admin, email="staf1@setneg.go.id")
    assert changed.status_code == 200 and changed.get_json()["email"] == "staf1@setneg.go.id"
    assert_problem(patch(client, "staf1", admin, email="not an address"), 422, field="email")
    assert patch(client, "staf1", admin, email="").get_json()["email"] is None


@pytest.mark.parametrize("change", [{"active": False}, {"roles": ["staf"]}])
def test_the_last_active_admin_is_kept_409_saying_why(client, admin, change):
    body = assert_problem(patch(client, "root", admin, **change), 409)
    assert "'root' is the last active admin" in body["detail"]
    assert client.get("/api/v1/users", headers=admin).status_code == 200  # still an admin


def test_with_a_second_admin_the_first_may_step_down(client, admin, login):
    login("dewi", "admin")
    assert patch(client, "root", admin, roles=["staf"]).status_code == 200
    assert_problem(client.get("/api/v1/users", headers=admin), 401)  # its tokens ended
