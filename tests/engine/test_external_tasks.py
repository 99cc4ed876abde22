"""Service tasks run by external workers: fetched and locked by one worker at a time,
completed with variables, a BPMN error caught by an error boundary event, failures retried
and, with no retries left, an incident an admin retries; expired locks are fetchable
again. Replay reproduces every instance."""
from __future__ import annotations

import json

import threading
from datetime import datetime, timedelta, timezone

import pytest

from engine import usecases
from engine.errors import ExternalTaskNotFound, ExternalTaskNotLocked, Forbidden, InvalidInput
from tests.conftest import ADMIN, TEST_DB, actor
from tests.engine import bpmn_events as b
from tests.engine import diagrams as d

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
WORKER = actor("pengirim", "worker")
AUDITOR = actor("aud", "auditor")
CAMUNDA = 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '


def external(element_id: str, topic: str) -> str:
    """A service task as Camunda Modeler saves an external one."""
    return (f'<bpmn:serviceTask id="{element_id}" name="Kirim {element_id}" '
            f'camunda:type="external" camunda:topic="{topic}" />')


def deploy(ctx, pid="sending", topic="kirim_surat", with_error_boundary=True):
    catcher = b.boundary("rejected", "send", '<bpmn:errorEventDefinition errorRef="e1" />')
    xml = b.chain(pid, [("send", external("send", topic)), ("done", d.user_task("done"))],
                  extra_nodes=[catcher, d.user_task("fix"), '<bpmn:endEvent id="end_fix" />']
                  if with_error_boundary else [],
                  extra_flows=[b.flow("fe1", "rejected", "fix"), b.flow("fe2", "fix", "end_fix")]
                  if with_error_boundary else [],
                  definitions='<bpmn:error id="e1" name="Ditolak" errorCode="DITOLAK" />')
    xml = xml.replace(b"<bpmn:definitions ", b"<bpmn:definitions " + CAMUNDA.encode(), 1)
    usecases.deploy(ctx, ADMIN, {f"{pid}.bpmn": xml}, {"simple.json": d.SIMPLE_FORM})


def fetch(ctx, worker="w1", topic="kirim_surat", lock_ms=60_000, max_tasks=1, **kwargs):
    return usecases.fetch_and_lock(ctx, WORKER, worker, [
        {"name": topic, "lock_duration_ms": lock_ms, **kwargs}], max_tasks)


def open_elements(ctx, instance_id):
    return [t.element_id for t in usecases.get_instance(ctx, ADMIN, instance_id).open_tasks]


def assert_replays(ctx, instance_id):
    report = usecases.replay_instance(ctx, AUDITOR, instance_id)
    assert report.consistent, report.divergence


def test_a_worker_fetches_locks_and_completes_a_service_task(ctx):
    deploy(ctx)
    ctx.clock.set(T0)
    instance = usecases.start_instance(ctx, ADMIN, "sending", {"nomor": 7, "rahasia": "x"},
                                       business_key="SURAT-7")
    [task] = fetch(ctx, variables=["nomor"])
    assert (task.topic, task.element_id, task.business_key, task.variables) == (
        "kirim_surat", "send", "SURAT-7", {"nomor": 7})
    assert fetch(ctx, worker="w2") == []  # locked: nobody else gets it
    with pytest.raises(ExternalTaskNotLocked):
        usecases.complete_external_task(ctx, WORKER, task.id, "w2", {})
    usecases.complete_external_task(ctx, WORKER, task.id, "w1", {"terkirim": True})
    assert open_elements(ctx, instance.id) == ["done"]
    [done] = usecases.get_instance(ctx, ADMIN, instance.id).open_tasks
    assert usecases.get_task_variables(ctx, ADMIN, done.id)["terkirim"] is True
    with pytest.raises(ExternalTaskNotFound):
        usecases.complete_external_task(ctx, WORKER, task.id, "w1", {})
    assert_replays(ctx, instance.id)


def test_an_expired_lock_makes_the_task_fetchable_again_and_a_lock_can_be_extended(ctx):
    deploy(ctx)
    ctx.clock.set(T0)
    usecases.start_instance(ctx, ADMIN, "sending", {})
    [task] = fetch(ctx, lock_ms=1000)
    ctx.clock.set(T0 + timedelta(milliseconds=500))
    usecases.extend_external_task_lock(ctx, WORKER, task.id, "w1", 2000)
    ctx.clock.set(T0 + timedelta(milliseconds=2000))
    assert fetch(ctx, worker="w2") == []
    ctx.clock.set(T0 + timedelta(milliseconds=2600))
    [again] = fetch(ctx, worker="w2")
    assert again.id == task.id
    with pytest.raises(ExternalTaskNotLocked):  # too late for the first worker
        usecases.extend_external_task_lock(ctx, WORKER, task.id, "w1", 2000)


def test_a_bpmn_error_from_the_worker_is_caught_by_the_boundary_event(ctx):
    deploy(ctx)
    ctx.clock.set(T0)
    instance = usecases.start_instance(ctx, ADMIN, "sending", {})
    [task] = fetch(ctx)
    caught = usecases.external_task_bpmn_error(ctx, WORKER, task.id, "w1", "DITOLAK",
                                               "alamat salah", {"alasan": "alamat"})
    assert caught == "rejected"
    assert open_elements(ctx, instance.id) == ["fix"]
    assert fetch(ctx) == []
    assert_replays(ctx, instance.id)


def test_a_bpmn_error_nothing_catches_is_an_incident_not_a_refusal(ctx):
    """Refused, the worker would fetch the task again and raise the same error for ever;
    the instance waits in error instead, with the code and message, for an admin."""
    deploy(ctx)
    ctx.clock.set(T0)
    instance = usecases.start_instance(ctx, ADMIN, "sending", {})
    [task] = fetch(ctx)
    assert usecases.external_task_bpmn_error(ctx, WORKER, task.id, "w1", "LAIN",
                                             "kode tak dikenal", {"kode": 7}) is None
    failed = usecases.get_instance(ctx, ADMIN, instance.id)
    assert failed.status == "error"
    assert "BPMN error 'LAIN' (kode tak dikenal)" in failed.error and "'send'" in failed.error
    assert fetch(ctx) == []  # not fetched again until the admin's retry
    assert json.loads(usecases.get_external_task(ctx, ADMIN, task.id).error_details) == {
        "variables": {"kode": 7}}
    assert_replays(ctx, instance.id)
    usecases.retry_instance(ctx, ADMIN, instance.id)
    [again] = fetch(ctx)
    assert again.id == task.id


def test_failures_are_retried_then_become_an_incident_an_admin_retries(ctx):
    deploy(ctx)
    ctx.clock.set(T0)
    instance = usecases.start_instance(ctx, ADMIN, "sending", {})
    [task] = fetch(ctx)
    usecases.external_task_failure(ctx, WORKER, task.id, "w1", "server mati", "trace", 1, 5000)
    assert fetch(ctx) == []  # not before its retry time
    ctx.clock.set(T0 + timedelta(seconds=6))
    [again] = fetch(ctx)
    assert (again.retries, again.error_message) == (1, "server mati")
    usecases.external_task_failure(ctx, WORKER, again.id, "w1", "masih mati", None, 0, 0)
    failed = usecases.get_instance(ctx, ADMIN, instance.id)
    assert failed.status == "error"
    assert failed.error == "external task 'send' failed with no retries left: masih mati"
    assert fetch(ctx) == []
    retried = usecases.retry_instance(ctx, ADMIN, instance.id)
    assert retried.status == "running"
    [fresh] = fetch(ctx)
    usecases.complete_external_task(ctx, WORKER, fresh.id, "w1", {})
    assert open_elements(ctx, instance.id) == ["done"]
    assert_replays(ctx, instance.id)


def test_the_spiffworkflow_operator_is_the_topic_and_input_is_checked(ctx):
    xml = b.chain("spiffsvc", [("svc", b.service_task("svc", "surat/kirim"))])
    usecases.deploy(ctx, ADMIN, {"spiffsvc.bpmn": xml}, {"simple.json": d.SIMPLE_FORM})
    instance = usecases.start_instance(ctx, ADMIN, "spiffsvc", {})
    [task] = fetch(ctx, topic="surat/kirim")
    usecases.complete_external_task(ctx, WORKER, task.id, "w1", {})
    assert usecases.get_instance(ctx, ADMIN, instance.id).status == "completed"
    assert_replays(ctx, instance.id)
    with pytest.raises(InvalidInput):
        usecases.fetch_and_lock(ctx, WORKER, "w1", [{"name": "x"}], 1)
    with pytest.raises(Forbidden):
        usecases.fetch_and_lock(ctx, actor("s", "staf"), "w1",
                                [{"name": "x", "lock_duration_ms": 10}], 1)


@pytest.mark.skipif(TEST_DB != "postgresql", reason="concurrent workers need PostgreSQL "
                    "(LKJ_TEST_DB=postgresql); SQLite has one writer")
def test_two_worker_threads_share_a_topic_without_ever_holding_the_same_task(ctx):
    deploy(ctx, with_error_boundary=False)
    ctx.clock.set(T0)
    for _ in range(12):
        usecases.start_instance(ctx, ADMIN, "sending", {})
    held = {"a": [], "b": []}

    def work(name):
        while True:
            tasks = fetch(ctx, worker=name, max_tasks=2)
            if not tasks:
                return
            held[name] += [t.id for t in tasks]
            for t in tasks:
                usecases.complete_external_task(ctx, WORKER, t.id, name, {"by": name})
    threads = [threading.Thread(target=work, args=(name,)) for name in held]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not set(held["a"]) & set(held["b"])
    assert len(held["a"]) + len(held["b"]) == 12
