"""`lkj worker` processes against the real database, with real deadlines and receivers:
timers fire exactly once, every notification is delivered once, and a worker killed in the
middle of its lease loses nothing (its work is taken over once the lease has expired).

Delivery is at least once by design: a message whose worker died while handing it over is
sent again, so the receiver may see it twice (same outbox id / Message-ID); timers fire
exactly once (one transaction under the instance's lock, checked against the lease)."""
from __future__ import annotations

import signal
from collections import Counter
from datetime import datetime, timedelta

import pytest

from engine import usecases
from engine.persistence.tables import ProcessInstance
from tests.conftest import ADMIN, TEST_DB, actor
from tests.worker.helpers import deploy_deadline, outbox, wait_until

AUDITOR = actor("aud", "auditor")
INSTANCES = 4
# per instance: task_assigned, reminder (staf1) and escalation (kabag), each by e-mail and
# to the webhook
PER_INSTANCE = 6


def timers_fired(ctx, instance_id) -> list[str]:
    page = usecases.instance_history(ctx, AUDITOR, instance_id, type_="timers_fired")
    return [element for event in page.items for element in event.payload["elements"]]


def all_settled(ctx, ids, expected_messages) -> bool:
    if any(sorted(timers_fired(ctx, i)) != ["escalate_timer", "remind_timer"] for i in ids):
        return False
    messages = outbox(ctx)
    return len(messages) == expected_messages and all(m.state == "delivered" for m in messages)


def run_deadline_scenario(nctx, notify_settings, start_worker, webhook, smtp_server,
                          workers: int):
    deploy_deadline(nctx, remind="PT2S", escalate="PT4S")
    ids = [usecases.start_instance(nctx, ADMIN, "deadline", {}).id for _ in range(INSTANCES)]
    processes = [start_worker(notify_settings, "--poll", "0.2", "--batch", "3")
                 for _ in range(workers)]
    try:
        wait_until(lambda: all_settled(nctx, ids, INSTANCES * PER_INSTANCE), timeout=20,
                   interval=0.25, what="every timer fired and every message delivered")
    except AssertionError:
        logs = "\n---\n".join(p.output()[-6000:] for p in processes)
        raise AssertionError(f"not settled; worker logs:\n{logs}") from None
    finally:
        codes = [p.terminate() for p in processes]  # SIGTERM: graceful stop
    assert codes == [0] * workers, [p.output() for p in processes]
    assert all("stopped" in p.output() for p in processes)

    messages = outbox(nctx)
    per_target = Counter((m.process_instance_id, m.kind, m.channel, m.recipient)
                         for m in messages)
    for instance_id in ids:
        for kind, email in (("task_assigned", "staf1@setneg.test"),
                            ("reminder", "staf1@setneg.test"),
                            ("escalation", "kabag@setneg.test")):
            assert per_target[(instance_id, kind, "email", email)] == 1
            assert per_target[(instance_id, kind, "webhook", webhook.url)] == 1
    assert all(m.attempts == 1 and m.lease_owner is None for m in messages)
    # every message reached its receiver exactly once (no crash: no repeat)
    hooks = {m.id for m in messages if m.channel == "webhook"}
    mails = {m.id: m for m in messages if m.channel == "email"}
    assert webhook.request_ids() == {i: 1 for i in hooks}
    assert webhook.delivered_ids() == {i: 1 for i in hooks}
    received = smtp_server.snapshot()
    assert Counter(r["message_id"] for r in received) == {
        f"<lkj-outbox-{i}@setneg.test>": 1 for i in mails}
    assert all(r["rcpt_tos"] == [mails[r["outbox_id"]].recipient] for r in received)
    assert all(r["subject"] == mails[r["outbox_id"]].subject for r in received)
    for instance_id in ids:
        assert Counter(timers_fired(nctx, instance_id)) == {"remind_timer": 1,
                                                             "escalate_timer": 1}
        report = usecases.replay_instance(nctx, AUDITOR, instance_id)
        assert report.consistent, report.divergence
        open_tasks = usecases.get_instance(nctx, ADMIN, instance_id).open_tasks
        assert sorted(t.element_id for t in open_tasks) == ["follow_up", "submit"]
    return processes


@pytest.mark.skipif(TEST_DB != "postgresql",
                    reason="several workers need PostgreSQL (LKJ_TEST_DB=postgresql); on "
                           "SQLite one worker runs: see the single-worker test")
def test_two_workers_on_postgresql_fire_timers_and_deliver_exactly_once(
        nctx, notify_settings, start_worker, webhook, smtp_server):
    processes = run_deadline_scenario(nctx, notify_settings, start_worker, webhook,
                                      smtp_server, workers=2)
    assert len(processes) == 2


@pytest.mark.skipif(TEST_DB != "sqlite",
                    reason="the single-worker variant covers SQLite; PostgreSQL runs two")
def test_one_worker_on_sqlite_fires_timers_and_delivers_exactly_once(
        nctx, notify_settings, start_worker, webhook, smtp_server):
    [process] = run_deadline_scenario(nctx, notify_settings, start_worker, webhook,
                                      smtp_server, workers=1)
    assert "run only one worker process" in process.output()


def test_a_worker_killed_while_delivering_loses_nothing(nctx, notify_settings, start_worker,
                                                        webhook, smtp_server):
    deploy_deadline(nctx)  # deadlines an hour away: only the task_assigned notices
    ids = [usecases.start_instance(nctx, ADMIN, "deadline", {}).id for _ in range(3)]
    messages = outbox(nctx)
    assert len(messages) == 6  # each: an e-mail to staf1, then a webhook post
    hung = messages[1]
    assert hung.channel == "webhook"
    # the receiver hangs on the first request: worker A blocks in its delivery
    webhook.answer = lambda number, body: (200, 60 if number == 1 else 0)
    a = start_worker(notify_settings, "--poll", "0.2", "--lease", "4")
    try:
        assert webhook.first_request.wait(30), a.output()
    finally:
        a.kill()  # SIGKILL while it holds the lease of all six and waits on the webhook
    held = {m.id: m for m in outbox(nctx)}
    assert held[hung.id].attempts == 0 and held[hung.id].state == "pending"  # never recorded
    assert held[hung.id].lease_owner is not None
    assert webhook.request_ids() == {hung.id: 1} and not webhook.delivered_ids()

    b = start_worker(notify_settings, "--poll", "0.2", "--lease", "4")
    wait_until(lambda: all(m.state == "delivered" for m in outbox(nctx)), timeout=20,
               interval=0.2, what="worker B delivered everything after A's lease expired")
    assert b.terminate() == 0, b.output()
    final = outbox(nctx)
    assert [m.id for m in final] == [m.id for m in messages]  # nothing lost, nothing new
    assert held[hung.id].lease_until <= final[1].delivered_at  # not before the lease expired
    # at least once: the receiver saw A's unanswered attempt and B's; all others once
    hooks = [m.id for m in final if m.channel == "webhook"]
    assert webhook.request_ids() == {i: (2 if i == hung.id else 1) for i in hooks}
    assert webhook.delivered_ids() == {i: 1 for i in hooks}
    # A delivered (and recorded) the first e-mail before it hung; B the other two
    assert smtp_server.count_by_outbox_id() == {m.id: 1 for m in final if m.channel == "email"}
    assert all(m.attempts == 1 for m in final)
    assert {m.process_instance_id for m in final} == set(ids)


def test_a_timer_leased_by_a_dead_worker_fires_once_after_the_lease_expired(
        nctx, notify_settings, start_worker):
    deploy_deadline(nctx, remind="PT2S", escalate="PT1H")
    worker = start_worker(notify_settings, "--poll", "0.2")
    try:
        wait_until(lambda: "started" in worker.output(), timeout=30, what="the worker started")
        instance_id = usecases.start_instance(nctx, ADMIN, "deadline", {}).id
        with nctx.db.read() as s:
            due = s.get(ProcessInstance, instance_id).next_timer_at
        # A worker whose clock ran 3 s ahead leased the timer and died at once: the lease
        # holds until 5 s from now, 3 s past the moment the reminder is due.
        nctx.clock.set(nctx.clock.now() + timedelta(seconds=3))
        assert usecases.lease_due_timers(nctx, "dead-worker", lease_s=2) == [instance_id]
        nctx.clock.set(None)
        with nctx.db.read() as s:
            lease_until = s.get(ProcessInstance, instance_id).timer_lease_until
        wait_until(lambda: timers_fired(nctx, instance_id), timeout=15, interval=0.2,
                   what="the running worker fired the timer after the lease ran out")
    finally:
        assert worker.terminate() == 0, worker.output()
    [event] = usecases.instance_history(nctx, AUDITOR, instance_id, type_="timers_fired").items
    assert event.payload["elements"] == ["remind_timer"]
    assert event.actor == "system"
    # the live worker saw the due timer for 3 s and left it alone while the lease held
    assert datetime.fromisoformat(event.occurred_at) >= lease_until > due
    assert usecases.fire_timers(nctx, instance_id, "dead-worker") == []  # too late
    reminders = [(m.channel, m.recipient) for m in outbox(nctx) if m.kind == "reminder"]
    assert sorted(reminders) == sorted([("email", "staf1@setneg.test"),
                                        ("webhook", notify_settings.webhook_url)])
    assert usecases.replay_instance(nctx, AUDITOR, instance_id).consistent


def test_sigterm_lets_the_worker_finish_the_delivery_in_progress(
        nctx, notify_settings, start_worker, webhook):
    deploy_deadline(nctx, staf_email=False)
    usecases.start_instance(nctx, ADMIN, "deadline", {})
    [message] = outbox(nctx)  # the webhook post of task_assigned
    webhook.answer = lambda number, body: (200, 2)  # answers after 2 s
    worker = start_worker(notify_settings, "--poll", "0.2")
    assert webhook.first_request.wait(30), worker.output()
    worker.process.send_signal(signal.SIGTERM)  # while it waits for the answer
    assert worker.process.wait(timeout=15) == 0, worker.output()
    [message] = outbox(nctx)
    assert (message.state, message.attempts, message.lease_owner) == ("delivered", 1, None)
    assert webhook.delivered_ids() == {message.id: 1}
    assert "SIGTERM: stopping after the current round" in worker.output()
