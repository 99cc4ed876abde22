"""Every failure is application/problem+json with the right status: malformed requests,
authentication, permissions, missing things, conflicts, size limits, invalid input."""
from __future__ import annotations

import dataclasses
import inspect
from datetime import datetime, timedelta, timezone

import jwt
import pytest

from api.app import create_app
from api.errors import STATUS_OF
from engine import errors as engine_errors
from tests.api.helpers import assert_problem

TOKEN_URL = "/api/v1/auth/token"


# ---------------------------------------------------------------- 400 malformed requests

def test_malformed_json_is_400(client, admin):
    response = client.post("/api/v1/units", data='{"code": "B1", "name": ',
                           content_type="application/json", headers=admin)
    body = assert_problem(response, 400)
    assert "not valid JSON" in body["detail"]


@pytest.mark.parametrize("payload", ["[1, 2]", '"text"', "42", "null"])
def test_a_body_that_is_not_an_object_is_400(client, admin, payload):
    response = client.post("/api/v1/units", data=payload, content_type="application/json",
                           headers=admin)
    assert_problem(response, 400)


def test_json_without_json_content_type_is_400(client, admin):
    response = client.post("/api/v1/units", data='{"code": "B1", "name": "Biro"}',
                           content_type="text/plain", headers=admin)
    assert "Content-Type" in assert_problem(response, 400)["detail"]
    response = client.post("/api/v1/units", data='{"code": "B1", "name": "Biro"}', headers=admin)
    assert_problem(response, 400)


def test_empty_body_where_one_is_needed_is_400(client, admin):
    assert_problem(client.post("/api/v1/units", content_type="application/json",
                               headers=admin), 400)


def test_nan_is_not_json(client, admin):
    response = client.post("/api/v1/units", data='{"code": "B1", "name": NaN}',
                           content_type="application/json", headers=admin)
    assert_problem(response, 400)


# ---------------------------------------------------------------- 401

def test_no_token_is_401_with_a_bearer_challenge(client):
    response = client.get("/api/v1/tasks")
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer not-a-jwt", "Basic YWRtaW46YWRtaW4=", "Bearer "])
def test_a_bad_token_is_401(client, header):
    response = client.get("/api/v1/me", headers={"Authorization": header})
    assert_problem(response, 401)
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def _token(secret: str, username: str, expires: datetime, **extra) -> dict:
    now = datetime.now(timezone.utc)
    claims = {"sub": username, "iat": now - timedelta(hours=1), "exp": expires, "jti": "x"}
    claims.update(extra)
    return {"Authorization": "Bearer " + jwt.encode(claims, secret, algorithm="HS256")}


def test_a_token_signed_with_another_key_is_401(client, login):
    login("staf1", "staf")
    forged = _token("another-secret-that-is-long-enough-for-hs256", "staf1",
                    datetime.now(timezone.utc) + timedelta(hours=1))
    assert_problem(client.get("/api/v1/me", headers=forged), 401)


def test_an_expired_token_is_401(client, login, settings):
    login("staf1", "staf")
    expired = _token(settings.secret_key, "staf1",
                     datetime.now(timezone.utc) - timedelta(seconds=5))
    body = assert_problem(client.get("/api/v1/me", headers=expired), 401)
    assert "expired" in body["detail"]


def test_a_token_without_an_id_is_401(client, login, settings):
    login("staf1", "staf")
    claims = {"sub": "staf1", "iat": datetime.now(timezone.utc),
              "exp": datetime.now(timezone.utc) + timedelta(hours=1)}
    header = {"Authorization": "Bearer " + jwt.encode(claims, settings.secret_key, "HS256")}
    assert_problem(client.get("/api/v1/me", headers=header), 401)


def test_a_token_of_an_unknown_user_is_401(client, settings):
    ghost = _token(settings.secret_key, "ghost", datetime.now(timezone.utc) + timedelta(hours=1))
    assert_problem(client.get("/api/v1/me", headers=ghost), 401)


def test_wrong_password_is_401(client, login):
    login("staf1", "staf")
    response = client.post(TOKEN_URL, json={"username": "staf1", "password": "wrong-password"})
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


# ---------------------------------------------------------------- 403

def test_a_non_admin_cannot_create_users(client, login):
    response = client.post("/api/v1/users", headers=login("staf1", "staf"),
                           json={"username": "x1", "password": "password-123", "roles": []})
    assert_problem(response, 403)


def test_staf_cannot_start_mini_review(client, login, mini_deployed):
    response = client.post("/api/v1/process-definitions/mini_review/instances",
                           json={"variables": {}}, headers=login("staf1", "staf"))
    assert "kepala_biro" in assert_problem(response, 403)["detail"]


def test_claim_outside_the_role_is_403(client, login, mini_instance):
    [task] = mini_instance["open_tasks"]
    # An auditor sees every task but works in none of the queues.
    response = client.post(f"/api/v1/tasks/{task['id']}/claim", headers=login("aud", "auditor"))
    assert_problem(response, 403)


# ---------------------------------------------------------------- 404

def test_unknown_task_is_404(client, login):
    response = client.get("/api/v1/tasks/00000000-0000-0000-0000-000000000000",
                          headers=login("staf1", "staf"))
    assert_problem(response, 404)


def test_a_task_of_another_role_is_404(client, login, mini_instance):
    [task] = mini_instance["open_tasks"]  # staf's draft
    kabag = login("kabag", "kepala_bagian")
    assert_problem(client.get(f"/api/v1/tasks/{task['id']}", headers=kabag), 404)
    assert_problem(client.get(f"/api/v1/tasks/{task['id']}/form", headers=kabag), 404)
    assert_problem(client.post(f"/api/v1/tasks/{task['id']}/claim", headers=kabag), 404)


def test_unknown_url_is_404_problem(client):
    for url in ("/nowhere", "/api/v1/nowhere", "/api/v1/tasks/x/y/z"):
        assert_problem(client.get(url), 404)


def test_unknown_definition_and_instance_are_404(client, login):
    headers = login("biro", "kepala_biro")
    assert_problem(client.post("/api/v1/process-definitions/nothing/instances", json={},
                               headers=headers), 404)
    assert_problem(client.get("/api/v1/process-instances/nothing", headers=headers), 404)
    assert_problem(client.get("/api/v1/documents/nothing", headers=headers), 404)
    assert_problem(client.patch("/api/v1/units/NONE", json={"name": "x"},
                                headers=login("root", "admin")), 404)


# ---------------------------------------------------------------- 405

def test_wrong_method_is_405_with_allow(client, admin):
    response = client.delete("/api/v1/tasks", headers=admin)
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]
    assert_problem(client.put("/api/v1/auth/token", json={}), 405)


# ---------------------------------------------------------------- 409

def test_claiming_a_task_claimed_by_another_is_409(client, login, mini_instance):
    [task] = mini_instance["open_tasks"]
    url = f"/api/v1/tasks/{task['id']}/claim"
    assert client.post(url, headers=login("staf1", "staf")).status_code == 200
    body = assert_problem(client.post(url, headers=login("staf2", "staf")), 409)
    assert body["type"].endswith("task-already-claimed")


def test_completing_without_a_claim_is_409(client, login, mini_instance):
    [task] = mini_instance["open_tasks"]
    response = client.post(f"/api/v1/tasks/{task['id']}/complete",
                           json={"data": {"title": "Konsep"}}, headers=login("staf1", "staf"))
    assert assert_problem(response, 409)["type"].endswith("task-not-claimed-by-caller")


def test_completing_a_task_claimed_by_another_is_409(client, login, mini_instance):
    [task] = mini_instance["open_tasks"]
    client.post(f"/api/v1/tasks/{task['id']}/claim", headers=login("staf1", "staf"))
    response = client.post(f"/api/v1/tasks/{task['id']}/complete",
                           json={"data": {"title": "Konsep"}}, headers=login("staf2", "staf"))
    assert_problem(response, 409)


def test_a_taken_user_name_is_409(client, admin):
    user = {"username": "staf1", "password": "password-123", "roles": ["staf"]}
    assert client.post("/api/v1/users", json=user, headers=admin).status_code == 201
    assert_problem(client.post("/api/v1/users", json=user, headers=admin), 409)


def test_a_taken_unit_code_is_409(client, admin):
    unit = {"code": "B1", "name": "Biro Satu"}
    assert client.post("/api/v1/units", json=unit, headers=admin).status_code == 201
    assert_problem(client.post("/api/v1/units", json=unit, headers=admin), 409)


# ---------------------------------------------------------------- 413

@pytest.fixture
def small_client(ctx):
    """The app on the same database with a document limit of 1 KiB."""
    from engine.usecases.context import EngineContext
    small = EngineContext(dataclasses.replace(ctx.settings, max_document_bytes=1024))
    yield create_app(small).test_client()
    small.close()


def test_a_document_over_the_limit_is_413(small_client, login, mini_instance):
    url = f"/api/v1/process-instances/{mini_instance['id']}/documents"
    headers = login("staf1", "staf")
    # Within the request limit (document limit plus multipart room): the engine refuses it.
    response = small_client.post(url, headers=headers, data={"file": (_bytes(2048), "big.pdf")})
    assert "1024" in assert_problem(response, 413)["detail"]
    # Past the request limit: refused before the body is read.
    response = small_client.post(url, headers=headers,
                                 data={"file": (_bytes(200 * 1024), "huge.pdf")})
    assert_problem(response, 413)
    ok = small_client.post(url, headers=headers, data={"file": (_bytes(1024), "ok.pdf")})
    assert ok.status_code == 201


def _bytes(size: int):
    import io
    return io.BytesIO(b"x" * size)


# ---------------------------------------------------------------- 422

def test_form_data_that_does_not_fit_is_422_naming_the_field(client, login, mini_instance):
    [task] = mini_instance["open_tasks"]
    staf = login("staf1", "staf")
    client.post(f"/api/v1/tasks/{task['id']}/claim", headers=staf)
    url = f"/api/v1/tasks/{task['id']}/complete"
    body = assert_problem(client.post(url, json={"data": {}}, headers=staf), 422, field="title")
    assert body["type"].endswith("form-invalid")
    assert_problem(client.post(url, json={"data": {"title": 5}}, headers=staf), 422, field="title")
    assert_problem(client.post(url, json={"data": {"title": "x", "extra": 1}}, headers=staf),
                   422, field="extra")


@pytest.mark.parametrize("query, field", [
    ("limit=0", "limit"), ("limit=501", "limit"), ("limit=many", "limit"),
    ("offset=-1", "offset"), ("state=lost", "state"), ("sort=size", "sort"),
    ("due_before=2025-01-01T00:00:00", "due_before"), ("due_before=tomorrow", "due_before"),
    ("colour=red", "colour"),
])
def test_a_bad_task_query_parameter_is_422_naming_it(client, login, query, field):
    assert_problem(client.get(f"/api/v1/tasks?{query}", headers=login("staf1", "staf")),
                   422, field=field)


@pytest.mark.parametrize("query, field", [
    ("limit=0", "limit"), ("offset=x", "offset"), ("status=sleeping", "status"),
])
def test_a_bad_instance_query_parameter_is_422_naming_it(client, login, query, field):
    assert_problem(client.get(f"/api/v1/process-instances?{query}",
                              headers=login("biro", "kepala_biro")), 422, field=field)


def test_unknown_and_mistyped_body_fields_are_422(client, admin):
    assert_problem(client.post("/api/v1/units", json={"code": "B1", "name": "x", "boss": "y"},
                               headers=admin), 422, field="boss")
    assert_problem(client.post("/api/v1/units", json={"code": "B1"}, headers=admin),
                   422, field="name")
    assert_problem(client.post("/api/v1/users", headers=admin, json={
        "username": "u1", "password": "password-123", "roles": ["staf", 7]}), 422, field="roles.1")
    client.post("/api/v1/units", json={"code": "B1", "name": "x"}, headers=admin)
    assert_problem(client.patch("/api/v1/units/B1", json={"active": "no"}, headers=admin),
                   422, field="active")


BIG = [str(2**31), str(2**63 - 1), str(2**63), str(10**40)]


@pytest.mark.parametrize("value", BIG)
@pytest.mark.parametrize("url, field", [
    ("/api/v1/tasks?offset={}", "offset"), ("/api/v1/tasks?limit={}", "limit"),
    ("/api/v1/process-instances?offset={}", "offset"),
    ("/api/v1/history/tasks?offset={}", "offset"),
    ("/api/v1/process-definitions/mini_review/versions/{}/xml", "version"),
    ("/api/v1/calendar/{}", "year"),
])
def test_an_integer_out_of_range_in_a_query_or_path_is_422_naming_it(
        client, admin, mini_deployed, url, field, value):
    # On PostgreSQL these reached the database (BIGINT offsets, INTEGER versions) and failed.
    assert_problem(client.get(url.format(value), headers=admin), 422, field=field)


@pytest.mark.parametrize("value", ["1_0", " 7", "+7", "\u0667", "7.0", "0x7"])
def test_a_query_integer_is_written_in_ascii_digits(client, admin, value):
    assert_problem(client.get("/api/v1/tasks", query_string={"limit": value}, headers=admin),
                   422, field="limit")


@pytest.mark.parametrize("version", [0, 2**31, 2**63, -1, True, 1.0, "1"])
def test_a_version_in_a_body_is_a_32_bit_integer(client, admin, mini_deployed, version):
    start = client.post("/api/v1/process-definitions/mini_review/instances", headers=admin,
                        json={"variables": {}, "version": version})
    assert_problem(start, 422, field="version")
    migrate = client.post("/api/v1/process-definitions/mini_review/versions/1/migrate",
                          headers=admin, json={"to_version": version})
    assert_problem(migrate, 422, field="to_version")


@pytest.mark.parametrize("request_args, field", [
    (("get", "/api/v1/tasks?role=staf%00"), "role"),
    (("get", "/api/v1/process-instances/abc%00"), "instance_id"),
    (("patch", "/api/v1/users/staf%00"), "username"),
    (("post", "/api/v1/units", {"code": "B1", "name": "Biro\u0000"}), "name"),
    (("post", "/api/v1/auth/token", {"username": "a\u0000", "password": "password-123"}),
     "username"),
])
def test_a_nul_character_is_422_naming_the_field(client, admin, request_args, field):
    # PostgreSQL can neither store nor compare text holding NUL: it used to be a 500 there.
    method, url, *body = request_args
    response = getattr(client, method)(url, headers=admin, json=body[0] if body else {})
    assert_problem(response, 422, field=field)


@pytest.mark.parametrize("instant", ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59",
                                     "2026-03-02t10:00:00z"])
def test_any_rfc3339_instant_is_a_valid_filter(client, admin, instant):
    response = client.get("/api/v1/tasks", query_string={"due_before": instant}, headers=admin)
    assert response.status_code == 200, response.get_json()
    response = client.get("/api/v1/history/tasks", headers=admin,
                          query_string={"from": instant, "to": instant})
    assert response.status_code == 200, response.get_json()


def test_a_calendar_day_outside_the_calendar_years_changes_nothing(client, admin):
    for day in ("0001-01-01", "1899-12-31", "2201-01-01"):
        put = client.put(f"/api/v1/calendar/days/{day}", headers=admin,
                         json={"closed": True, "name": "Libur"})
        assert_problem(put, 422, field="date")
        assert_problem(client.delete(f"/api/v1/calendar/days/{day}", headers=admin), 422,
                       field="date")
    assert_problem(client.put("/api/v1/calendar/days/2026-03-06", headers=admin,
                              json={"closed": True, "name": "x" * 201}), 422, field="name")
    # Nothing was written: 1 January 1900 is still a plain working day of no change.
    year = client.get("/api/v1/calendar/1900", headers=admin).get_json()
    assert year["reopened_days"] == [] and "1900-01-01" not in {
        d["date"] for d in year["closed_days"] if d["source"] == "admin"}


def test_an_sla_period_stays_in_the_calendar_years(client, admin):
    url = "/api/v1/reports/sla"
    far = {"from": "2026-01-01T00:00:00Z", "to": "9999-12-31T23:59:59-23:59"}
    assert_problem(client.get(url, query_string=far, headers=admin), 422, field="to")
    early = {"from": "1899-12-31T00:00:00Z", "to": "2026-01-01T00:00:00Z"}
    assert_problem(client.get(url, query_string=early, headers=admin), 422, field="from")
    whole = {"from": "1900-01-01T00:00:00Z", "to": "2201-01-01T00:00:00Z"}
    assert client.get(url, query_string=whole, headers=admin).status_code == 200


def test_a_unit_code_starts_with_a_letter_or_digit(client, admin):
    for code in (".", "..", "-B1", "B 1", "B\u00e9"):
        assert_problem(client.post("/api/v1/units", json={"code": code, "name": "Biro"},
                                   headers=admin), 422, field="code")
    assert client.post("/api/v1/units", json={"code": "B1.x_y-z", "name": "Biro"},
                       headers=admin).status_code == 201


def test_a_closed_day_needs_a_name_that_is_not_blank(client, admin):
    for name in (None, "", " \t", "\u3000", "\x1c"):
        response = client.put("/api/v1/calendar/days/2026-03-06", headers=admin,
                              json={"closed": True, "name": name})
        assert_problem(response, 422, field="name")


def test_start_variables_must_be_an_object(client, login, mini_deployed):
    response = client.post("/api/v1/process-definitions/mini_review/instances",
                           json={"variables": [1]}, headers=login("biro", "kepala_biro"))
    assert_problem(response, 422, field="variables")


# ---------------------------------------------------------------- the mapping itself

def test_every_engine_error_has_a_status():
    classes = [c for _, c in inspect.getmembers(engine_errors, inspect.isclass)
               if issubclass(c, engine_errors.EngineError)]
    assert set(classes) == set(STATUS_OF)


@pytest.fixture
def failing_app(ctx):
    """The app with two extra routes that fail the way a deployment or a bug would."""
    app = create_app(ctx)

    @app.get("/test/diagram")
    def diagram():
        raise engine_errors.DiagramInvalid("1 problem in the deployment", [
            {"file": "a.bpmn", "line": 3, "column": None, "element_id": "task_1",
             "message": "user task has no 'formKey' property"}])

    @app.get("/test/bug")
    def bug():
        raise RuntimeError("secret internal detail")

    return app


def test_an_invalid_diagram_is_400_listing_each_problem(failing_app):
    body = assert_problem(failing_app.test_client().get("/test/diagram"), 400)
    [problem] = body["errors"]
    assert problem == {"file": "a.bpmn", "line": 3, "column": None, "element_id": "task_1",
                       "message": "user task has no 'formKey' property"}


def test_an_unexpected_error_is_a_generic_500_and_is_logged(failing_app, caplog):
    response = failing_app.test_client().get("/test/bug")
    body = assert_problem(response, 500)
    assert "secret" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert body["title"] == "Internal Server Error"
    assert any(r.exc_info and "secret internal detail" in str(r.exc_info[1])
               for r in caplog.records)
