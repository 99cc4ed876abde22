"""The `lkj` command as an operator uses it, in its own process."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import requests

from engine import usecases
from tests.conftest import FIXTURES, ROOT, LiveServer, actor, read_folder
from tests.engine import diagrams as d


def lkj(*args, settings, stdin: str | None = None, cwd=ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "LKJ_DATABASE_URL": settings.database_url,
           "LKJ_DATA_DIR": str(settings.data_dir), "LKJ_SECRET_KEY": settings.secret_key}
    return subprocess.run([sys.executable, "-m", "cli.main", *args], capture_output=True,
                          text=True, input=stdin, env=env, cwd=cwd, timeout=120)


def test_deploy_check_reports_every_problem_with_file_line_and_element(settings, tmp_path):
    bpmn, forms = tmp_path / "bpmn", tmp_path / "forms"
    bpmn.mkdir()
    forms.mkdir()
    (forms / "simple.json").write_bytes(d.SIMPLE_FORM)
    good = d.sequence("ok", [("user", "a")])
    (bpmn / "ok.bpmn").write_bytes(good)
    (bpmn / "bad.bpmn").write_bytes(d.sequence("bad", [("user", "x")]).replace(
        b'value="P1D"', b'value="soon"'))
    result = lkj("deploy", "--check", "--bpmn-dir", str(bpmn), "--forms-dir", str(forms),
                 settings=settings)
    assert result.returncode == 1
    assert "bad.bpmn:" in result.stderr and " x: dueDuration 'soon'" in result.stderr
    (bpmn / "bad.bpmn").unlink()
    result = lkj("deploy", "--check", "--bpmn-dir", str(bpmn), "--forms-dir", str(forms),
                 settings=settings)
    assert result.returncode == 0 and "ok are valid" in result.stdout


def test_deploy_users_and_audit_from_the_command_line(settings, ctx):
    mini = FIXTURES / "mini"
    result = lkj("deploy", "--bpmn-dir", str(mini), "--forms-dir", str(mini), settings=settings)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "mini_review version 1 (new)"
    again = lkj("deploy", "--bpmn-dir", str(mini), "--forms-dir", str(mini), settings=settings)
    assert again.stdout.strip() == "mini_review version 1 (unchanged)"

    created = lkj("users", "create", "rina", "--role", "staf", "--password-stdin",
                  settings=settings, stdin="rahasia-sekali\n")
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout) == {"username": "rina", "roles": ["staf"]}
    assert usecases.authenticate(ctx, "rina", "rahasia-sekali").roles == ["staf"]
    taken = lkj("users", "create", "rina", "--role", "staf", "--password-stdin",
                settings=settings, stdin="rahasia-sekali\n")
    assert taken.returncode == 1 and "exists already" in taken.stderr

    instance = usecases.start_instance(ctx, actor("kb", "kepala_biro"), "mini_review", {})
    replay = lkj("audit", "replay", instance.id, settings=settings)
    assert replay.returncode == 0, replay.stderr
    assert json.loads(replay.stdout)["consistent"] is True


def test_audit_verify_offline(settings, ctx, tmp_path, mini_deployed):
    instance = usecases.start_instance(ctx, actor("kb", "kepala_biro"), "mini_review", {})
    bundle = tmp_path / "bundle.zip"
    bundle.write_bytes(usecases.audit_bundle(ctx, actor("aud", "auditor"), instance.id))
    # no database at all: a URL that cannot be opened
    offline = settings.__class__(database_url="sqlite:////nonexistent/dir/db.sqlite3",
                                 data_dir=tmp_path, secret_key="x")
    result = lkj("audit", "verify", str(bundle), settings=offline)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["valid"] is True and report["replay"]["consistent"] is True
    bundle.write_bytes(bundle.read_bytes()[:-40])
    broken = lkj("audit", "verify", str(bundle), settings=offline)
    assert broken.returncode == 1 and "not an audit bundle" in broken.stderr


def test_serve_with_the_admin_password_restores_the_admin(database_url, tmp_path):
    """The operator's way back in: the admin was deactivated and lost its role (by another
    admin, since gone); `lkj serve` with LKJ_ADMIN_PASSWORD on the same database brings it
    back, says so at WARNING, and a restart with nothing to restore says nothing."""
    password = "admin-password-123"

    def serve(name: str) -> LiveServer:
        (tmp_path / name).mkdir()
        return LiveServer(database_url, tmp_path / name, admin_password=password,
                          extra_args=["--no-deploy"]).wait_ready()

    def sign_in(server, username, secret):
        return requests.post(f"{server.url}/api/v1/auth/token", timeout=60,
                             json={"username": username, "password": secret})

    def bearer(response) -> dict:
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    server = serve("first")
    try:
        api = f"{server.url}/api/v1"
        admin = bearer(sign_in(server, "admin", password))
        # Alone, the admin may not lock itself out.
        refused = requests.patch(f"{api}/users/admin", json={"active": False}, headers=admin,
                                 timeout=60)
        assert refused.status_code == 409 and "last active admin" in refused.json()["detail"]
        assert requests.post(f"{api}/users", headers=admin, timeout=60, json={
            "username": "root", "password": "root-password-1",
            "roles": ["admin"]}).status_code == 201
        root = bearer(sign_in(server, "root", "root-password-1"))
        assert requests.post(f"{api}/me/password", headers=admin, timeout=60, json={
            "current_password": password, "new_password": "forgotten-password"}).status_code == 200
        for change in ({"roles": ["staf"]}, {"active": False}):
            assert requests.patch(f"{api}/users/admin", json=change, headers=root,
                                  timeout=60).status_code == 200
        assert requests.patch(f"{api}/users/root", json={"active": False}, headers=root,
                              timeout=60).status_code == 409  # root is the last one now
        assert sign_in(server, "admin", password).status_code == 401
    finally:
        server.stop()

    server = serve("second")
    try:
        logged = [json.loads(line) for line in server.output().splitlines()
                  if line.startswith("{")]
        assert {"level": "WARNING", "logger": "lkj", "message": "restored user 'admin' from "
                "LKJ_ADMIN_PASSWORD: password set, reactivated, role 'admin' given back"} \
            in [{k: entry[k] for k in ("level", "logger", "message")} for entry in logged]
        me = requests.get(f"{server.url}/api/v1/me", timeout=60,
                          headers=bearer(sign_in(server, "admin", password))).json()
        assert me["roles"] == ["admin", "staf"]
    finally:
        server.stop()

    server = serve("third")
    try:
        assert "restored user" not in server.output()  # nothing to restore
        assert sign_in(server, "admin", password).status_code == 200
    finally:
        server.stop()


def test_serve_says_what_it_deploys_and_names_a_missing_folder(settings, tmp_path):
    described = lkj("serve", "--help", settings=settings)
    assert described.returncode == 0
    text = " ".join(described.stdout.split())
    assert "never over a process whose latest version came through the API" in text
    assert "only the files that changed in those folders since their last deployment" in text
    missing = lkj("serve", "--bpmn-dir", str(tmp_path / "nowhere"), settings=settings)
    assert missing.returncode == 1
    assert "nowhere is not a folder: name the procedure's folder with --bpmn-dir" in \
        missing.stderr
    assert "Traceback" not in missing.stderr


def test_deploy_from_the_command_line_is_recorded_as_such(settings, ctx):
    mini = FIXTURES / "mini"
    result = lkj("deploy", "--bpmn-dir", str(mini), "--forms-dir", str(mini), settings=settings)
    assert result.returncode == 0, result.stderr
    [record] = usecases.list_deployments(ctx, actor("root", "admin"))
    assert (record.source, record.name) == ("cli", str(mini))


def test_deploy_only_changed_does_what_serve_does_at_start(settings, ctx):
    mini = FIXTURES / "mini"
    folder = ["--bpmn-dir", str(mini), "--forms-dir", str(mini)]
    first = lkj("deploy", "--only-changed", *folder, settings=settings)
    assert first.returncode == 0, first.stderr
    assert "process mini_review version 1 (new)" in first.stderr
    diagrams, _ = read_folder(mini)
    edited = diagrams["review.bpmn"].replace(b"Menyusun konsep", b"Menyusun konsep (API)")
    usecases.deploy(ctx, actor("root", "admin"), {"review.bpmn": edited}, {},
                    on_top_of_latest=True)
    again = lkj("deploy", "--only-changed", *folder, settings=settings)
    assert again.returncode == 0, again.stderr
    assert "keeping version 2, deployed through the API by root" in again.stderr
    assert [v.version for v in usecases.list_definitions(ctx)] == [2]
