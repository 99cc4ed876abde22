"""An admin gives an open task to another user when its holder is away: to someone who may
work it, recorded in the instance's history, told by a notification, and replay agrees."""
from __future__ import annotations

import pytest

from engine import usecases
from engine.errors import (
    Forbidden,
    InstanceNotRunning,
    InvalidInput,
    TaskNotClaimedByCaller,
    TaskNotFound,
    TaskNotOpen,
)
from tests.conftest import ADMIN, actor
from tests.engine.dialect_diagrams import one_task

AUDITOR = actor("aud", "auditor")
PASSWORD = "password-123"
SARI, BUDI = actor("sari", "staf"), actor("budi", "staf")


@pytest.fixture
def people(ctx):
    for name, role in (("sari", "staf"), ("budi", "staf"), ("kabag", "kepala_bagian")):
        usecases.create_user(ctx, ADMIN, name, PASSWORD, [role], email=f"{name}@setneg.test")


def messages_to(ctx, username: str) -> list[str]:
    """The kinds of the e-mails queued for the user, oldest first."""
    return [m.kind for m in reversed(usecases.list_outbox(ctx, ADMIN).items)
            if m.username == username and m.channel == "email"]


def claimed_draft(ctx):
    instance = usecases.start_instance(ctx, ADMIN, "mini_review", {})
    [task] = instance.open_tasks
    usecases.claim_task(ctx, SARI, task.id)
    return instance, task


def test_a_claimed_task_goes_to_another_holder_of_its_role(ctx, mini_deployed, people):
    instance, task = claimed_draft(ctx)
    told_before = messages_to(ctx, "budi")
    given = usecases.reassign_task(ctx, ADMIN, task.id, "budi", reason="sari sedang cuti")
    assert (given.state, given.assignee, given.role) == ("claimed", "budi", "staf")
    # sari no longer holds it; budi works it
    with pytest.raises(TaskNotClaimedByCaller):
        usecases.complete_task(ctx, SARI, task.id, {"title": "Konsep"})
    usecases.complete_task(ctx, BUDI, task.id, {"title": "Konsep"})

    [event] = [e for e in usecases.instance_history(ctx, AUDITOR, instance.id).items
               if e.type == "task_reassigned"]
    assert (event.actor, event.task_id) == (ADMIN.username, task.id)
    assert event.payload == {"assignee": "budi", "previous": "sari", "reason": "sari sedang cuti"}
    assert messages_to(ctx, "budi") == told_before + ["task_assigned"]
    report = usecases.replay_instance(ctx, AUDITOR, instance.id)
    assert report.consistent, report.divergence


def test_a_ready_task_is_given_as_well(ctx, mini_deployed, people):
    instance = usecases.start_instance(ctx, ADMIN, "mini_review", {})
    [task] = instance.open_tasks
    given = usecases.reassign_task(ctx, ADMIN, task.id, "sari")
    assert (given.state, given.assignee) == ("claimed", "sari")
    assert usecases.reassign_task(ctx, ADMIN, task.id, "sari").assignee == "sari"  # no change
    history = usecases.instance_history(ctx, AUDITOR, instance.id).items
    assert [e.payload["previous"] for e in history if e.type == "task_reassigned"] == [None]


@pytest.mark.parametrize("username, why", [("kabag", "must hold one of the task's queues"),
                                           ("nobody", "must name an active user")])
def test_only_to_an_active_user_who_may_work_it(ctx, mini_deployed, people, username, why):
    _, task = claimed_draft(ctx)
    with pytest.raises(InvalidInput) as refused:
        usecases.reassign_task(ctx, ADMIN, task.id, username)
    assert why in refused.value.errors["username"][0]
    assert usecases.get_task(ctx, ADMIN, task.id).assignee == "sari"  # nothing changed


def test_a_deactivated_user_receives_nothing(ctx, mini_deployed, people):
    _, task = claimed_draft(ctx)
    usecases.update_user(ctx, ADMIN, "budi", active=False)
    with pytest.raises(InvalidInput):
        usecases.reassign_task(ctx, ADMIN, task.id, "budi")


def test_only_an_admin_gives_tasks_and_only_open_ones_of_running_instances(ctx, mini_deployed,
                                                                          people):
    instance, task = claimed_draft(ctx)
    with pytest.raises(Forbidden):
        usecases.reassign_task(ctx, SARI, task.id, "budi")
    usecases.suspend_instance(ctx, ADMIN, instance.id)
    with pytest.raises(InstanceNotRunning):
        usecases.reassign_task(ctx, ADMIN, task.id, "budi")
    usecases.terminate_instance(ctx, ADMIN, instance.id)
    with pytest.raises(TaskNotOpen):
        usecases.reassign_task(ctx, ADMIN, task.id, "budi")


def test_a_task_of_one_user_moves_to_the_new_users_queue(ctx, people):
    usecases.deploy(ctx, ADMIN, {"p.bpmn": one_task("p", 'camunda:assignee="${requester}"',
                                                    lane="tim")}, {})
    instance = usecases.start_instance(ctx, ADMIN, "p", {"requester": "sari"})
    [task] = instance.open_tasks
    given = usecases.reassign_task(ctx, ADMIN, task.id, "budi")
    assert (given.role, given.assignee) == ("user:budi", "budi")
    with pytest.raises(TaskNotFound):  # no longer in sari's queue
        usecases.get_task(ctx, SARI, task.id)
    usecases.unclaim_task(ctx, BUDI, task.id)  # given back, it waits in budi's queue
    assert usecases.list_tasks(ctx, BUDI).total == 1 and usecases.list_tasks(ctx, SARI).total == 0
    usecases.complete_task(ctx, BUDI, task.id, {"note": "selesai"}, claim=True)
    report = usecases.replay_instance(ctx, AUDITOR, instance.id)
    assert report.consistent, report.divergence
