"""Concurrent clients through the engine, with real threads on the database under test
(run with LKJ_TEST_DB=postgresql for PostgreSQL's row locks; SQLite's database lock too)."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from engine import usecases
from engine.errors import Conflict
from engine.usecases.context import EngineContext
from tests.conftest import ADMIN, actor
from tests.engine import diagrams as d

THREADS = 24


def race(functions):
    """Run every function at the same moment; return (results, errors)."""
    barrier = threading.Barrier(len(functions))

    def call(fn):
        barrier.wait()
        try:
            return "ok", fn()
        except Exception as exc:  # collected and asserted on below
            return "error", exc

    with ThreadPoolExecutor(len(functions)) as pool:
        outcomes = list(pool.map(call, functions))
    return ([v for k, v in outcomes if k == "ok"], [v for k, v in outcomes if k == "error"])


def deploy_parallel(ctx, branches=2):
    usecases.deploy(ctx, ADMIN, {"p.bpmn": d.parallel("par", branches)},
                    {"simple.json": d.SIMPLE_FORM})
    return usecases.start_instance(ctx, ADMIN, "par", {})


def test_many_clients_claim_one_task_exactly_one_wins(ctx, mini_deployed):
    [task] = usecases.start_instance(ctx, ADMIN, "mini_review", {}).open_tasks
    users = [actor(f"staf{i}", "staf") for i in range(THREADS)]
    won, lost = race([lambda u=u: usecases.claim_task(ctx, u, task.id) for u in users])
    assert len(won) == 1
    assert len(lost) == THREADS - 1 and all(isinstance(e, Conflict) for e in lost)
    assert usecases.get_task(ctx, ADMIN, task.id).assignee == won[0].assignee


def test_an_admin_reassigning_while_people_claim_leaves_one_holder(ctx, mini_deployed):
    """The holder at the end is whoever the history's last claim or reassignment names;
    a claim never takes a task someone holds."""
    usecases.create_user(ctx, ADMIN, "budi", "password-123", ["staf"])
    [task] = usecases.start_instance(ctx, ADMIN, "mini_review", {}).open_tasks
    claims = [lambda u=actor(f"staf{i}", "staf"): usecases.claim_task(ctx, u, task.id)
              for i in range(8)]
    done, refused = race([*claims, lambda: usecases.reassign_task(ctx, ADMIN, task.id, "budi")])
    assert all(isinstance(e, Conflict) for e in refused), refused
    holder = usecases.get_task(ctx, ADMIN, task.id).assignee
    takes = [e for e in usecases.instance_history(ctx, actor("aud", "auditor"),
                                                  task.process_instance_id).items
             if e.type in ("task_claimed", "task_reassigned")]
    assert len(takes) == len(done) and [e.type for e in takes].count("task_claimed") <= 1
    last = takes[-1]
    assert holder == (last.payload["assignee"] if last.type == "task_reassigned" else last.actor)


def test_two_completions_of_one_task_one_wins(ctx, mini_deployed):
    staf = actor("staf1", "staf")
    [task] = usecases.start_instance(ctx, ADMIN, "mini_review", {}).open_tasks
    usecases.claim_task(ctx, staf, task.id)
    done, refused = race([lambda: usecases.complete_task(ctx, staf, task.id, {"title": "a"}),
                          lambda: usecases.complete_task(ctx, staf, task.id, {"title": "b"})])
    assert len(done) == 1 and len(refused) == 1 and isinstance(refused[0], Conflict), refused
    # exactly one next task: the second completion did not run the process again
    instance = usecases.get_instance(ctx, ADMIN, task.process_instance_id)
    assert [t.element_id for t in instance.open_tasks] == ["check"]


def test_parallel_tasks_of_one_instance_completed_at_once_lose_nothing(ctx):
    branches = 4
    instance = deploy_parallel(ctx, branches)
    users = [actor(f"staf{i}", "staf") for i in range(branches)]
    for user, task in zip(users, instance.open_tasks):
        usecases.claim_task(ctx, user, task.id)
    done, errors = race([
        lambda u=u, t=t: usecases.complete_task(ctx, u, t.id, {"value": u.username})
        for u, t in zip(users, instance.open_tasks)])
    assert errors == [] and len(done) == branches
    final = usecases.get_instance(ctx, ADMIN, instance.id)
    assert final.status == "completed"
    completed = usecases.list_tasks(ctx, ADMIN, state="completed",
                                    process_instance_id=instance.id).items
    assert sorted(t.completed_by for t in completed) == sorted(u.username for u in users)


def test_two_processes_with_their_own_caches_stay_consistent(ctx, settings):
    """Two API processes each cache workflows; one must notice the other's change."""
    other = EngineContext(settings)
    try:
        instance = deploy_parallel(ctx, 3)
        a, b, c = instance.open_tasks
        staf = actor("staf1", "staf")
        for task in (a, b, c):
            usecases.claim_task(ctx, staf, task.id)
        usecases.complete_task(ctx, staf, a.id, {"value": "1"})    # cached in ctx
        usecases.complete_task(other, staf, b.id, {"value": "2"})  # loaded by other
        usecases.complete_task(ctx, staf, c.id, {"value": "3"})    # ctx's cache is stale now
        assert usecases.get_instance(ctx, ADMIN, instance.id).status == "completed"
    finally:
        other.close()


def test_a_spinning_script_does_not_hold_up_work_on_another_instance(ctx):
    """The script runs outside the instance's write transaction: a claim on another
    instance goes through while it spins (on SQLite the database has one writer, so a
    script run inside a write transaction would have held the claim until it stopped)."""
    staf = actor("staf1", "staf")
    usecases.deploy(ctx, ADMIN, {"s.bpmn": d.sequence("spin", [
        ("user", "before"), ("script", "n = 0\nwhile True:\n    n += 1"), ("user", "after")])},
        {"simple.json": d.SIMPLE_FORM})
    spinning, other = (usecases.start_instance(ctx, ADMIN, "spin", {}) for _ in range(2))
    first = spinning.open_tasks[0]
    usecases.claim_task(ctx, staf, first.id)
    order, started = [], threading.Event()

    def complete_into_the_loop():
        started.set()
        usecases.complete_task(ctx, staf, first.id, {"value": "x"})
        order.append("script stopped")

    def claim_elsewhere():
        started.wait()
        # Into the script's run (LKJ_SCRIPT_TIME_LIMIT_S, 2 s): a claim held by a database lock would
        # come only after the script stopped; one that comes early proves nothing either
        # way, so the wait errs long.
        time.sleep(0.4)
        usecases.claim_task(ctx, staf, other.open_tasks[0].id)
        order.append("claimed")

    threads = [threading.Thread(target=complete_into_the_loop), threading.Thread(target=claim_elsewhere)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert order == ["claimed", "script stopped"]
    assert usecases.get_instance(ctx, ADMIN, spinning.id).status == "error"
    assert usecases.get_task(ctx, staf, other.open_tasks[0].id).assignee == "staf1"


def test_concurrent_variable_changes_and_completions_lose_nothing(ctx):
    """Admins set variables while staff complete the branches: every change that was
    answered as done is in the data the instance ends with, and the history replays."""
    instance = deploy_parallel(ctx, branches=2)
    staf = actor("staf1", "staf")
    tasks = instance.open_tasks
    changes = [lambda i=i: usecases.set_instance_variables(ctx, ADMIN, instance.id,
                                                           {f"catatan_{i}": i})
               for i in range(8)]
    completions = [lambda t=t: usecases.complete_task(ctx, staf, t.id, {}, claim=True)
                   for t in tasks]
    done, refused = race([*changes[:4], completions[0], *changes[4:]])
    assert all(isinstance(e, Conflict) for e in refused), refused
    set_names = {name for result in done if isinstance(result, dict) for name in result
                 if name.startswith("catatan_")}
    assert set_names  # one change at least went through the race
    # what each successful change answered is what the instance holds now
    assert set_names <= set(usecases.get_instance_variables(ctx, ADMIN, instance.id))
    open_tasks = usecases.get_instance(ctx, ADMIN, instance.id).open_tasks
    for task in open_tasks:
        usecases.complete_task(ctx, staf, task.id, {}, claim=True)
    ended = usecases.get_instance(ctx, ADMIN, instance.id)
    assert ended.status == "completed"
    assert set_names <= set(usecases.get_instance_variables(ctx, ADMIN, instance.id))
    report = usecases.replay_instance(ctx, ADMIN, instance.id)
    assert report.consistent, report.divergence
