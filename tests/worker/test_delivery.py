"""Delivering the outbox: e-mail to a real SMTP server, JSON to a real webhook receiver,
retries with back-off and giving up after MAX_ATTEMPTS; a worker round survives failures."""
from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from datetime import timedelta

import pytest

from engine import usecases
from engine.errors import ConcurrentUpdate
from engine.messaging import delivery
from engine.messaging import outbox as outbox_rows
from engine.messaging.outbox import MessageView
from engine.usecases.worker import Worker, worker_name
from tests.conftest import ADMIN, free_port
from tests.worker.helpers import (
    AIOSMTPD_MISSING,
    SmtpReceiver,
    deploy_deadline,
    outbox,
    wait_until,
)

UTF8_NAME = "Laporan Kinerja — Triwulan Ⅰ: Évaluasi"


def queue_notice(ctx, kind="reminder", name=UTF8_NAME, role="staf") -> None:
    with ctx.db.write() as s:
        outbox_rows.queue(s, ctx.settings, [outbox_rows.Notice(
            kind=kind, role=role, name=name, process_instance_id="pi-1",
            definition_key="lkj")], ctx.clock.now())


# ---------------------------------------------------------------- e-mail

def test_an_email_is_delivered_once_to_its_recipient_in_utf8_with_a_stable_message_id(
        nctx, smtp_server, webhook):
    deploy_deadline(nctx)
    instance = usecases.start_instance(nctx, ADMIN, "deadline", {})
    queue_notice(nctx)
    worker = Worker(nctx, "w1")
    first = worker.run_once()
    assert (first.messages_leased, first.delivered) == (4, 4)  # 2 e-mails, 2 webhook posts
    assert worker.run_once().messages_leased == 0  # nothing twice
    emails = [m for m in outbox(nctx) if m.channel == "email"]
    assert [(m.kind, m.recipient) for m in emails] == [
        ("task_assigned", "staf1@setneg.test"), ("reminder", "staf1@setneg.test")]
    assert all(m.state == "delivered" and m.attempts == 1 and m.delivered_at for m in emails)
    received = {m["outbox_id"]: m for m in smtp_server.snapshot()}
    assert smtp_server.count_by_outbox_id() == {m.id: 1 for m in emails}
    assigned, reminder = (received[m.id] for m in emails)
    assert assigned["rcpt_tos"] == ["staf1@setneg.test"]
    assert assigned["mail_from"] == "lkj@setneg.test"
    assert assigned["subject"] == "Tugas baru: Tugas submit"
    assert f"Proses: deadline ({instance.id})" in assigned["body"]
    assert "Antrean: staf" in assigned["body"]
    assert assigned["message_id"] == f"<lkj-outbox-{emails[0].id}@setneg.test>"
    assert reminder["subject"] == f"Pengingat: {UTF8_NAME}"  # RFC 2047 on the wire
    assert f"Pengingat: {UTF8_NAME}" in reminder["body"]
    assert reminder["raw"].isascii()  # RFC 2047 header, quoted-printable body
    assert b"Subject: Pengingat: Laporan Kinerja =?utf-8?" in reminder["raw"]
    assert reminder["message_id"] == delivery.message_id_header(emails[1].id, "x@setneg.test")


def test_smtp_login_is_used_when_a_user_is_configured(settings):
    pytest.importorskip("aiosmtpd", reason=AIOSMTPD_MISSING)
    server = SmtpReceiver(authenticator=lambda user, password: (user, password)
                          == ("lkj", "rahasia-123"))
    server.controller.start()
    try:
        smtp = replace(settings, smtp_host="127.0.0.1", smtp_port=server.port,
                       smtp_user="lkj", smtp_password="rahasia-123")
        message = MessageView(7, "reminder", "email", "staf1@setneg.test", "Pengingat: x",
                              "isi", {}, 0)
        assert delivery.deliver(smtp, message) is None
        assert server.logins == ["lkj"]
        assert [m["outbox_id"] for m in server.snapshot()] == [7]
        wrong = replace(smtp, smtp_password="salah")
        error = delivery.deliver(wrong, message)
        assert error and error.startswith("SMTP: SMTPAuthenticationError")
        assert len(server.snapshot()) == 1
    finally:
        server.controller.stop()


def test_an_unreachable_or_missing_smtp_server_is_an_error_string(settings):
    message = MessageView(1, "reminder", "email", "a@setneg.test", "s", "b", {}, 0)
    closed = replace(settings, smtp_host="127.0.0.1", smtp_port=free_port())
    assert delivery.deliver(closed, message, timeout=2).startswith("SMTP: ConnectionRefused")
    assert delivery.deliver(replace(settings, smtp_host=None), message) == \
        "no SMTP host configured (LKJ_SMTP_HOST)"


# ---------------------------------------------------------------- webhook

def test_a_failed_webhook_is_retried_later_then_delivered(nctx, webhook):
    webhook.answer = lambda number, body: (500 if number == 1 else 200, 0)
    queue_notice(nctx, kind="escalation", role="kepala_bagian")  # no user: webhook only
    [message] = outbox(nctx)
    worker = Worker(nctx, "w1")
    stats = worker.run_once()
    assert (stats.messages_leased, stats.retried, stats.delivered) == (1, 1, 0)
    [message] = outbox(nctx)
    now = nctx.clock.now()
    assert (message.state, message.attempts, message.lease_owner) == ("pending", 1, None)
    assert message.next_attempt_at > now + timedelta(seconds=5)
    assert message.last_error.startswith("webhook answered HTTP 500")
    assert worker.run_once().messages_leased == 0  # not before its time
    nctx.clock.set(message.next_attempt_at + timedelta(seconds=1))
    assert worker.run_once().delivered == 1
    [message] = outbox(nctx)
    assert (message.state, message.attempts, message.last_error) == ("delivered", 2, None)
    assert webhook.request_ids() == {message.id: 2}
    assert webhook.delivered_ids() == {message.id: 1}
    request = webhook.requests[-1]
    assert request["headers"]["Content-Type"] == "application/json; charset=utf-8"
    assert request["headers"]["Idempotency-Key"] == f"lkj-outbox-{message.id}"
    body = request["body"]
    assert body["id"] == message.id and body["kind"] == "escalation"
    assert body["subject"] == f"Eskalasi keterlambatan: {UTF8_NAME}"
    assert body["body"] == message.body
    assert (body["role"], body["process_instance_id"], body["definition_key"]) == (
        "kepala_bagian", "pi-1", "lkj")


def test_a_webhook_that_keeps_failing_fails_for_good_after_max_attempts(nctx, webhook):
    webhook.answer = lambda number, body: (500, 0)
    queue_notice(nctx, role="kepala_bagian")
    worker = Worker(nctx, "w1")
    outcomes = []
    for _ in range(outbox_rows.MAX_ATTEMPTS + 2):  # bounded: two rounds more than needed
        stats = worker.run_once()
        outcomes.append((stats.retried, stats.failed))
        [message] = outbox(nctx)
        if message.state != "pending":
            break
        nctx.clock.set(message.next_attempt_at + timedelta(seconds=1))
    assert outcomes == [(1, 0)] * (outbox_rows.MAX_ATTEMPTS - 1) + [(0, 1)]
    assert (message.state, message.attempts) == ("failed", outbox_rows.MAX_ATTEMPTS)
    assert message.last_error.startswith("webhook answered HTTP 500")
    assert message.delivered_at is None
    assert sum(webhook.request_ids().values()) == outbox_rows.MAX_ATTEMPTS
    nctx.clock.set(nctx.clock.now() + timedelta(days=1))
    assert worker.run_once().messages_leased == 0


def test_a_redirect_or_a_non_http_url_is_a_failure(webhook):
    webhook.answer = lambda number, body: (302, 0)
    message = MessageView(3, "reminder", "webhook", webhook.url, "s", "b", {"a": 1}, 0)
    assert delivery.post_webhook(message).startswith("webhook answered HTTP 302")
    assert delivery.post_webhook(replace(message, recipient="file:///etc/passwd")) \
        .startswith("webhook URL must be http(s)")
    closed = replace(message, recipient=f"http://127.0.0.1:{free_port()}/hook")
    assert delivery.post_webhook(closed, timeout=2).startswith("webhook: ConnectionRefused")


# ---------------------------------------------------------------- a round goes on

def test_a_failure_in_one_message_or_instance_does_not_stop_the_round(nctx, webhook,
                                                                      monkeypatch):
    queue_notice(nctx, role="kepala_bagian")
    queue_notice(nctx, role="kepala_bagian", name="kedua")
    calls = []

    def deliver(settings, message, timeout):
        calls.append(message.id)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return delivery.deliver(settings, message, timeout)

    worker = Worker(nctx, "w1", deliver=deliver)
    stats = worker.run_once()
    assert (stats.messages_leased, stats.retried, stats.delivered) == (2, 1, 1)
    first, second = outbox(nctx)
    assert first.last_error == "RuntimeError: boom" and first.state == "pending"
    assert second.state == "delivered"

    deploy_deadline(nctx, remind="PT1S", escalate="PT1H", staf_email=False)
    ids = [usecases.start_instance(nctx, ADMIN, "deadline", {}).id for _ in range(2)]
    nctx.clock.set(nctx.clock.now() + timedelta(seconds=2))
    real_fire = usecases.fire_timers

    tries = []

    def fire(ctx, instance_id, owner):
        tries.append(instance_id)
        # the first instance keeps changing; the second changes once, then fires
        if instance_id == ids[0] or tries.count(instance_id) == 1:
            raise ConcurrentUpdate("the process instance changed meanwhile; retry")
        return real_fire(ctx, instance_id, owner)

    monkeypatch.setattr(usecases, "fire_timers", fire)
    stats = worker.run_once()
    assert (stats.timers_leased, stats.timer_errors, stats.timers_fired) == (2, 1, 1)
    assert sorted(tries) == sorted([ids[0], ids[0], ids[1], ids[1]])
    monkeypatch.setattr(usecases, "fire_timers", real_fire)
    nctx.clock.set(nctx.clock.now() + timedelta(seconds=61))  # the failed lease expired
    assert worker.run_once().timers_fired == 1


def test_worker_names_are_unique_per_process_and_fit_the_lease_column():
    names = {worker_name() for _ in range(20)}
    assert len(names) == 20
    assert all(len(name) <= 80 and name.count(":") >= 2 for name in names)


def test_lkj_worker_once_runs_one_round_and_prints_it(notify_settings, nctx, webhook,
                                                       smtp_server, start_worker):
    queue_notice(nctx, role="staf")
    usecases.create_user(nctx, ADMIN, "staf1", "password123", ["staf"],
                         email="staf1@setneg.test")
    queue_notice(nctx, role="staf")
    worker = start_worker(notify_settings, "--once")
    try:
        worker.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"lkj worker --once did not end: {worker.output()}")
    assert worker.process.returncode == 0, worker.output()
    stats = json.loads(worker.output().strip().splitlines()[-1])
    assert (stats["messages_leased"], stats["delivered"]) == (3, 3), worker.output()
    assert all(m.state == "delivered" for m in outbox(nctx))
    wait_until(lambda: len(smtp_server.snapshot()) == 1, 5, what="the e-mail arrived")
