"""`camunda-deploy` (npm), Camunda's command-line deployer, unchanged, against a real
`lkj serve` that deployed nothing: it deploys the LKj procedure (bpmn/ and forms/) and a
Camunda Modeler diagram with Basic and with Bearer authentication, and the deployments
and their process definitions are then what `/engine-rest` lists. A wrong password is its
error exit with the server's message."""
from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
import requests

from tests.api.camunda_live import bare_server  # noqa: F401  (the fixture)
from tests.conftest import FIXTURES, ROOT

CLI = ROOT / "node_modules" / "camunda-deploy" / "bin" / "cli.js"
LKJ_PROCESSES = sorted(p.stem for p in (ROOT / "bpmn").glob("*.bpmn"))


def camunda_deploy(server, auth: dict, *args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    """The CLI as its README shows it: the endpoint and credentials in CAMUNDA_* variables,
    resources named relative to the working directory (it reads every name as relative)."""
    if shutil.which("node") is None or not CLI.is_file():
        pytest.fail("node_modules/ lacks camunda-deploy: run `npm ci` in the repository root")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMUNDA_")}
    env.update({"CAMUNDA_URL": f"{server.url}/engine-rest", **auth})
    return subprocess.run(["node", str(CLI), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=60)


def test_camunda_deploy_deploys_the_lkj_procedure_and_a_modeler_diagram(bare_server):  # noqa: F811
    server = bare_server
    admin = ("admin", server.admin_password)
    url = f"{server.url}/engine-rest"
    basic = {"CAMUNDA_AUTH_USERNAME": "admin", "CAMUNDA_AUTH_PASSWORD": server.admin_password}

    forms = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "forms").glob("*.json"))
    done = camunda_deploy(server, basic, "-n", "lkj", "-S", "camunda-deploy", "--json",
                          "bpmn/*.bpmn", *forms)
    assert done.returncode == 0, done.stdout + done.stderr
    printed = json.loads(done.stdout)
    assert sorted((d["key"], d["resource"], d["version"])
                  for d in printed["processDefinitions"]) == [
        (key, f"{key}.bpmn", 1) for key in LKJ_PROCESSES]

    (deployment,) = requests.get(f"{url}/deployment", auth=admin, timeout=30).json()
    assert deployment["name"] == "lkj"
    definitions = requests.get(f"{url}/process-definition", auth=admin, timeout=30,
                               params={"deploymentId": deployment["id"]}).json()
    assert sorted(d["key"] for d in definitions) == LKJ_PROCESSES
    resources = requests.get(f"{url}/deployment/{deployment['id']}/resources", auth=admin,
                             timeout=30).json()
    assert {r["name"] for r in resources} == {
        *(f"{key}.bpmn" for key in LKJ_PROCESSES), *(name.split("/")[-1] for name in forms)}
    xml = requests.get(f"{url}/process-definition/key/lkj_preparation/xml", auth=admin,
                       timeout=30).json()["bpmn20Xml"]
    assert xml == (ROOT / "bpmn" / "lkj_preparation.bpmn").read_text(encoding="utf-8")

    # the same files again: nothing changed, the CLI says so and succeeds
    again = camunda_deploy(server, basic, "-n", "lkj", "bpmn/*.bpmn", *forms)
    assert again.returncode == 0 and "no artifacts updated/added" in again.stdout, again.stdout
    assert len(requests.get(f"{url}/deployment", auth=admin, timeout=30).json()) == 1

    # a Camunda Modeler diagram, with a bearer token of /api/v1/auth/token
    token = requests.post(f"{server.url}/api/v1/auth/token", timeout=30, json={
        "username": "admin", "password": server.admin_password}).json()["access_token"]
    diagram = str((FIXTURES / "camunda" / "telaah.bpmn").relative_to(ROOT))
    done = camunda_deploy(server, {"CAMUNDA_AUTH_BEARER": token}, "-n", "telaah", "--json",
                          diagram)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout) == {"processDefinitions": [
        {"key": "Proses_telaah", "resource": "telaah.bpmn", "version": 1}]}
    (telaah,) = requests.get(f"{url}/deployment", auth=admin, timeout=30,
                             params={"name": "telaah"}).json()
    (definition,) = requests.get(f"{url}/process-definition", auth=admin, timeout=30,
                                 params={"key": "Proses_telaah"}).json()
    assert definition["deploymentId"] == telaah["id"] and definition["version"] == 1


def test_camunda_deploy_reports_a_refused_sign_in_and_an_invalid_diagram(bare_server,  # noqa: F811
                                                                         tmp_path):
    server = bare_server
    wrong = camunda_deploy(server, {"CAMUNDA_AUTH_USERNAME": "admin",
                                    "CAMUNDA_AUTH_PASSWORD": "not-the-password"},
                           "-n", "telaah", "tests/fixtures/camunda/telaah.bpmn")
    assert wrong.returncode == 1 and "✖" in wrong.stderr, wrong.stderr

    broken = tmp_path / "rusak.bpmn"
    broken.write_text((FIXTURES / "camunda" / "telaah.bpmn").read_text(encoding="utf-8")
                      .replace('targetRef="Event_selesai"', 'targetRef="Event_tidak_ada"'))
    refused = camunda_deploy(server, {"CAMUNDA_AUTH_USERNAME": "admin",
                                      "CAMUNDA_AUTH_PASSWORD": server.admin_password},
                             "-n", "rusak", broken.name, cwd=tmp_path)
    assert refused.returncode == 1 and "rusak.bpmn" in refused.stderr, refused.stderr
    assert requests.get(f"{server.url}/engine-rest/deployment", timeout=30,
                        auth=("admin", server.admin_password)).json() == []
