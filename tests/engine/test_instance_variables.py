"""An instance's variables: read at whatever it waits for (a worker, a person, a timer),
and what it ended with; changed by an admin in every open task, so the worker's fetch and
the next task see the change; recorded in the history, which still replays and chains."""
from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from engine import usecases
from engine.errors import Forbidden, InstanceNotFound, InstanceNotRunning, InvalidInput
from engine.usecases.context import EngineContext
from tests.conftest import ADMIN, actor
from tests.engine import bpmn_events as b
from tests.engine import diagrams as d
from tests.engine import test_errors_escalations as errors
from tests.engine.test_external_tasks import WORKER, deploy, fetch

AUDITOR = actor("aud", "auditor")
STAF = actor("staf1", "staf")


def assert_history_verifies(ctx, instance_id):
    """Replay, the hash chain and the offline audit bundle all accept the history."""
    report = usecases.replay_instance(ctx, AUDITOR, instance_id)
    assert report.consistent, report.divergence
    assert usecases.check_instance_chain(ctx, AUDITOR, instance_id).intact
    offline = usecases.verify_audit_bundle(usecases.audit_bundle(ctx, AUDITOR, instance_id))
    assert offline.valid, offline.problems


def events(ctx, instance_id, type_):
    return usecases.instance_history(ctx, AUDITOR, instance_id, type_=type_).items


def test_an_admin_changes_the_variables_a_waiting_worker_and_the_next_task_get(ctx):
    deploy(ctx)
    instance = usecases.start_instance(ctx, ADMIN, "sending", {"nomor": 7, "rahasia": "x"})
    # waiting only for a worker: the data the service task holds
    assert usecases.get_instance_variables(ctx, STAF, instance.id) == {
        "nomor": 7, "rahasia": "x"}

    after = usecases.set_instance_variables(ctx, ADMIN, instance.id,
                                            {"nomor": 8, "tujuan": {"unit": ["A", "B"]}},
                                            ["rahasia", "tidak_ada"])
    assert after == {"nomor": 8, "tujuan": {"unit": ["A", "B"]}}
    assert usecases.get_instance_variables(ctx, AUDITOR, instance.id) == after
    (changed,) = events(ctx, instance.id, "variables_changed")
    assert changed.actor == "admin"
    assert (changed.payload["set"], changed.payload["deleted"]) == (
        ["nomor", "tujuan"], ["rahasia", "tidak_ada"])
    (told,) = [e for e in usecases.instance_timeline(ctx, STAF, instance.id)
               if e.type == "variables_changed"]
    assert told.details == {"set": ["nomor", "tujuan"], "deleted": ["rahasia", "tidak_ada"]}

    [task] = fetch(ctx)  # the worker gets the changed data, not the data it began with
    assert task.variables == after
    usecases.complete_external_task(ctx, WORKER, task.id, "w1", {"terkirim": True})
    [done] = usecases.get_instance(ctx, ADMIN, instance.id).open_tasks
    assert usecases.get_task_variables(ctx, ADMIN, done.id) == {**after, "terkirim": True}
    assert_history_verifies(ctx, instance.id)


def test_a_worker_reads_an_instance_only_while_serving_it(ctx):
    deploy(ctx)
    instance = usecases.start_instance(ctx, ADMIN, "sending", {"nomor": 7})
    # what fetching its service task would give the worker anyway
    assert usecases.get_instance_variables(ctx, WORKER, instance.id) == {"nomor": 7}
    [task] = fetch(ctx)
    usecases.complete_external_task(ctx, WORKER, task.id, "w1", {"terkirim": True})
    # now a person's task: the worker serves it no more
    with pytest.raises(InstanceNotFound):
        usecases.get_instance_variables(ctx, WORKER, instance.id)


def test_every_open_branch_and_wait_gets_the_change_and_the_end_keeps_it(ctx):
    usecases.deploy(ctx, ADMIN, {"par.bpmn": d.parallel("par")}, {"simple.json": d.SIMPLE_FORM})
    instance = usecases.start_instance(ctx, ADMIN, "par", {"a": 1})
    usecases.set_instance_variables(ctx, ADMIN, instance.id, {"b": 2})
    first, second = usecases.get_instance(ctx, ADMIN, instance.id).open_tasks
    for task in (first, second):
        assert usecases.get_task_variables(ctx, ADMIN, task.id) == {"a": 1, "b": 2}
    usecases.complete_task(ctx, STAF, first.id, {"value": "satu"}, claim=True)
    # one branch waits at the join (no data of its own), the other is open
    assert usecases.get_instance_variables(ctx, ADMIN, instance.id) == {"a": 1, "b": 2}
    usecases.set_instance_variables(ctx, ADMIN, instance.id, {"b": 3})
    usecases.complete_task(ctx, STAF, second.id, {"value": "dua"}, claim=True)
    assert usecases.get_instance(ctx, ADMIN, instance.id).status == "completed"
    # ended: the data it ended with, the branch still open when it changed winning
    assert usecases.get_instance_variables(ctx, ADMIN, instance.id) == {
        "a": 1, "b": 3, "value": "dua"}
    with pytest.raises(InstanceNotRunning):
        usecases.set_instance_variables(ctx, ADMIN, instance.id, {"b": 4})
    assert_history_verifies(ctx, instance.id)


def test_timers_waiting_beside_a_user_task_get_the_change_too(ctx):
    usecases.deploy(ctx, ADMIN, {"dl.bpmn": d.with_deadline("dl")},
                    {"simple.json": d.SIMPLE_FORM})
    instance = usecases.start_instance(ctx, ADMIN, "dl", {"a": 1})
    usecases.suspend_instance(ctx, ADMIN, instance.id)  # suspended: still changeable
    usecases.set_instance_variables(ctx, ADMIN, instance.id, {"a": 2}, ["b"])
    usecases.resume_instance(ctx, ADMIN, instance.id)
    assert usecases.get_instance_variables(ctx, ADMIN, instance.id) == {"a": 2}
    [task] = usecases.get_instance(ctx, ADMIN, instance.id).open_tasks
    assert usecases.get_task_variables(ctx, ADMIN, task.id) == {"a": 2}
    assert_history_verifies(ctx, instance.id)


def test_a_terminated_instance_keeps_the_data_it_had_when_it_ended(ctx):
    deploy(ctx)
    instance = usecases.start_instance(ctx, ADMIN, "sending", {"nomor": 7})
    usecases.set_instance_variables(ctx, ADMIN, instance.id, {"nomor": 9})
    usecases.terminate_instance(ctx, ADMIN, instance.id)
    assert usecases.get_instance_variables(ctx, AUDITOR, instance.id) == {"nomor": 9}
    with pytest.raises(InstanceNotRunning):
        usecases.set_instance_variables(ctx, ADMIN, instance.id, {}, ["nomor"])
    assert_history_verifies(ctx, instance.id)


def test_an_instance_in_error_is_read_but_corrected_with_the_retry(ctx):
    deploy(ctx)
    instance = usecases.start_instance(ctx, ADMIN, "sending", {"nomor": 7})
    [task] = fetch(ctx)
    usecases.external_task_failure(ctx, WORKER, task.id, "w1", "mati", None, 0, 0)
    assert usecases.get_instance(ctx, ADMIN, instance.id).status == "error"
    assert usecases.get_instance_variables(ctx, ADMIN, instance.id) == {"nomor": 7}
    with pytest.raises(InstanceNotRunning, match="retry"):
        usecases.set_instance_variables(ctx, ADMIN, instance.id, {"nomor": 8})
    assert events(ctx, instance.id, "variables_changed") == []


@pytest.mark.parametrize("modifications, deletions, field", [
    ([("a", 1)], None, "modifications"),
    ({"": 1}, None, "modifications"),
    ({"a": Decimal("1.5")}, None, "modifications.a"),
    ({"a": b"bytes"}, None, "modifications.a"),
    ({"a": float("nan")}, None, "modifications.a"),
    ({}, "a", "deletions"),
    ({}, ["a", 3], "deletions[1]"),
])
def test_bad_changes_are_refused_naming_the_field(ctx, modifications, deletions, field):
    deploy(ctx)
    instance = usecases.start_instance(ctx, ADMIN, "sending", {"nomor": 7})
    with pytest.raises(InvalidInput) as refused:
        usecases.set_instance_variables(ctx, ADMIN, instance.id, modifications, deletions)
    assert field in refused.value.errors
    assert usecases.get_instance_variables(ctx, ADMIN, instance.id) == {"nomor": 7}


def test_data_larger_than_the_scripts_may_receive_is_refused(settings):
    small = EngineContext(dataclasses.replace(settings, script_max_data_bytes=1024))
    try:
        deploy(small)
        instance = usecases.start_instance(small, ADMIN, "sending", {"nomor": 7})
        with pytest.raises(InvalidInput, match="LKJ_SCRIPT_MAX_DATA_BYTES"):
            usecases.set_instance_variables(small, ADMIN, instance.id, {"teks": "x" * 2000})
        usecases.set_instance_variables(small, ADMIN, instance.id, {"teks": "x" * 500})
        assert usecases.get_instance_variables(small, ADMIN, instance.id)["teks"] == "x" * 500
    finally:
        small.close()


def test_only_admins_change_and_a_unit_reads_only_its_own_tasks_data(ctx):
    xml = d.sequence("unit_step", [("user", "isi")], role="satuan_kerja:A")
    usecases.deploy(ctx, ADMIN, {"u.bpmn": xml}, {"simple.json": d.SIMPLE_FORM})
    instance = usecases.start_instance(ctx, ADMIN, "unit_step", {"unit": "A"})
    unit = actor("unit_a", "satuan_kerja:A")
    [task] = usecases.get_instance(ctx, unit, instance.id).open_tasks  # it reads the instance
    assert usecases.get_task_variables(ctx, unit, task.id) == {"unit": "A"}
    with pytest.raises(Forbidden):
        usecases.get_instance_variables(ctx, unit, instance.id)
    for who in (unit, AUDITOR, STAF):
        with pytest.raises(Forbidden):
            usecases.set_instance_variables(ctx, who, instance.id, {"unit": "B"})
    assert events(ctx, instance.id, "variables_changed") == []


def test_inside_a_subprocess_the_change_reaches_its_tasks_and_what_follows_it(ctx):
    errors.deploy(ctx, "inner", errors.ERROR_END,
                  b.boundary("caught", "sub", '<bpmn:errorEventDefinition errorRef="e_gap" />'))
    instance = usecases.start_instance(ctx, ADMIN, "inner", {"a": 1})
    usecases.set_instance_variables(ctx, ADMIN, instance.id, {"a": 2, "b": 3})
    assert usecases.get_instance_variables(ctx, ADMIN, instance.id) == {"a": 2, "b": 3}
    errors.complete(ctx, instance.id, "check", "ok")  # the sub-process ends, `after` opens
    [after] = usecases.get_instance(ctx, ADMIN, instance.id).open_tasks
    assert usecases.get_task_variables(ctx, ADMIN, after.id) == {"a": 2, "b": 3, "value": "ok"}
    assert_history_verifies(ctx, instance.id)
