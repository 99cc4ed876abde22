"""Admin operations on instances: suspend, resume, terminate, retry — each recorded, and
each replayed by the history."""
from __future__ import annotations

import pytest

from engine import usecases
from engine.errors import Forbidden, InstanceNotRunning
from tests.conftest import ADMIN, actor
from tests.engine import diagrams as d

STAF = actor("staf1", "staf")
AUDITOR = actor("aud", "auditor")


def event_types(ctx, instance_id):
    return [e.type for e in usecases.instance_history(ctx, AUDITOR, instance_id).items]


def assert_replays(ctx, instance_id):
    report = usecases.replay_instance(ctx, AUDITOR, instance_id)
    assert report.consistent, report.divergence


def test_a_suspended_instance_keeps_its_tasks_but_nobody_works_them(ctx, mini_deployed):
    instance = usecases.start_instance(ctx, ADMIN, "mini_review", {})
    [task] = instance.open_tasks
    assert usecases.suspend_instance(ctx, ADMIN, instance.id).status == "suspended"
    with pytest.raises(InstanceNotRunning):
        usecases.claim_task(ctx, STAF, task.id)
    assert usecases.list_tasks(ctx, STAF).total == 1
    with pytest.raises(InstanceNotRunning):
        usecases.suspend_instance(ctx, ADMIN, instance.id)
    assert usecases.resume_instance(ctx, ADMIN, instance.id).status == "running"
    assert usecases.claim_task(ctx, STAF, task.id).state == "claimed"
    assert event_types(ctx, instance.id)[-3:] == ["instance_suspended", "instance_resumed",
                                                   "task_claimed"]
    assert_replays(ctx, instance.id)


def test_terminate_cancels_the_open_tasks(ctx, mini_deployed):
    instance = usecases.start_instance(ctx, ADMIN, "mini_review", {})
    view = usecases.terminate_instance(ctx, ADMIN, instance.id, reason="salah tahun")
    assert view.status == "terminated" and view.open_tasks == [] and view.ended_at
    assert usecases.list_tasks(ctx, STAF).total == 0
    [event] = [e for e in usecases.instance_history(ctx, AUDITOR, instance.id).items
               if e.type == "instance_terminated"]
    assert event.payload["reason"] == "salah tahun"
    assert (event.payload["status_before"], event.payload["status_after"]) == \
        ("running", "terminated")
    assert event_types(ctx, instance.id)[-1] == "task_cancelled"
    with pytest.raises(InstanceNotRunning):
        usecases.resume_instance(ctx, ADMIN, instance.id)
    assert_replays(ctx, instance.id)


def test_only_admins_administer(ctx, mini_deployed):
    instance = usecases.start_instance(ctx, ADMIN, "mini_review", {})
    for operation in (usecases.suspend_instance, usecases.terminate_instance):
        with pytest.raises(Forbidden):
            operation(ctx, actor("kb", "kepala_biro"), instance.id)


def test_retry_after_a_fix_runs_the_failed_step_again(ctx):
    usecases.deploy(ctx, ADMIN, {"s.bpmn": d.sequence("divide", [
        ("user", "a"), ("script", "share = 100 / parts"), ("user", "b")])},
        {"simple.json": d.SIMPLE_FORM})
    instance = usecases.start_instance(ctx, ADMIN, "divide", {"parts": 0})
    [task] = instance.open_tasks
    usecases.claim_task(ctx, STAF, task.id)
    usecases.complete_task(ctx, STAF, task.id, {"value": "x"})
    failed = usecases.get_instance(ctx, ADMIN, instance.id)
    assert failed.status == "error" and "division by zero" in failed.error
    assert_replays(ctx, instance.id)

    still = usecases.retry_instance(ctx, ADMIN, instance.id)  # nothing fixed: fails again
    assert still.status == "error"
    fixed = usecases.retry_instance(ctx, ADMIN, instance.id, data={"parts": 4})
    assert fixed.status == "running" and fixed.error is None, fixed.error
    assert [t.element_id for t in fixed.open_tasks] == ["b"]
    assert event_types(ctx, instance.id).count("instance_retried") == 2
    assert_replays(ctx, instance.id)
    with pytest.raises(InstanceNotRunning):
        usecases.retry_instance(ctx, ADMIN, instance.id)
