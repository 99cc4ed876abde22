"""A user that loses a role, or is deactivated, gives back the tasks it had claimed: they
return to their role's queue, recorded in each instance's history, and replay agrees."""
from __future__ import annotations

from engine import usecases
from tests.conftest import ADMIN, actor

AUDITOR = actor("aud", "auditor")
PASSWORD = "password-123"


def history(ctx, instance_id):
    return usecases.instance_history(ctx, AUDITOR, instance_id).items


def assert_replays(ctx, instance_id):
    report = usecases.replay_instance(ctx, AUDITOR, instance_id)
    assert report.consistent, report.divergence


def claimed_draft(ctx, user):
    """A new mini_review instance whose draft task (role staf) `user` has claimed."""
    instance = usecases.start_instance(ctx, ADMIN, "mini_review", {})
    [task] = instance.open_tasks
    usecases.claim_task(ctx, user, task.id)
    return instance, task


def test_removing_the_role_puts_the_claimed_task_back_in_its_queue(ctx, mini_deployed):
    usecases.create_user(ctx, ADMIN, "sari", PASSWORD, ["staf", "kepala_bagian"])
    sari = actor("sari", "staf", "kepala_bagian")
    instance, task = claimed_draft(ctx, sari)
    admin = actor("root", "admin")
    usecases.update_user(ctx, admin, "sari", roles=["kepala_bagian"])

    released = usecases.get_task(ctx, ADMIN, task.id)
    assert (released.state, released.assignee) == ("ready", None)
    last = history(ctx, instance.id)[-1]
    assert (last.type, last.actor, last.task_id) == ("task_unclaimed", "root", task.id)
    assert last.payload == {"assignee": "sari", "reason": "role removed"}
    # Someone holding the role now works it, and the history still replays.
    usecases.claim_task(ctx, actor("budi", "staf"), task.id)
    usecases.complete_task(ctx, actor("budi", "staf"), task.id, {"title": "Konsep"})
    assert_replays(ctx, instance.id)


def test_claims_in_roles_the_user_keeps_stay_claimed(ctx, mini_deployed):
    usecases.create_user(ctx, ADMIN, "sari", PASSWORD, ["staf", "kepala_bagian"])
    instance, task = claimed_draft(ctx, actor("sari", "staf", "kepala_bagian"))
    before = len(history(ctx, instance.id))
    usecases.update_user(ctx, ADMIN, "sari", roles=["staf"])  # kepala_bagian goes, staf stays
    assert usecases.get_task(ctx, ADMIN, task.id).assignee == "sari"
    assert len(history(ctx, instance.id)) == before


def test_deactivation_releases_every_claim_recorded_as_the_system(ctx, mini_deployed):
    usecases.create_user(ctx, ADMIN, "sari", PASSWORD, ["staf"])
    sari = actor("sari", "staf")
    first, task_1 = claimed_draft(ctx, sari)
    second, task_2 = claimed_draft(ctx, sari)
    usecases.update_user(ctx, usecases.SYSTEM, "sari", active=False)
    for instance, task in ((first, task_1), (second, task_2)):
        assert usecases.get_task(ctx, ADMIN, task.id).state == "ready"
        last = history(ctx, instance.id)[-1]
        assert (last.type, last.actor) == ("task_unclaimed", "system")
        assert last.payload == {"assignee": "sari", "reason": "user deactivated"}
        assert_replays(ctx, instance.id)
    assert usecases.list_tasks(ctx, actor("budi", "staf"), state="ready").total == 2


def test_a_change_that_removes_no_role_releases_nothing(ctx, mini_deployed):
    usecases.create_user(ctx, ADMIN, "sari", PASSWORD, ["staf"])
    instance, task = claimed_draft(ctx, actor("sari", "staf"))
    usecases.update_user(ctx, ADMIN, "sari", roles=["staf", "kepala_bagian"],
                         full_name="Sari", password="another-password")
    assert usecases.get_task(ctx, ADMIN, task.id).state == "claimed"
    assert history(ctx, instance.id)[-1].type == "task_claimed"
