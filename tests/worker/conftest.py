"""Fixtures of the worker's tests: real receivers on 127.0.0.1 and `lkj worker` processes,
always stopped."""
from __future__ import annotations

from dataclasses import replace

import pytest

from engine.usecases.context import EngineContext
from tests.worker.helpers import (
    AIOSMTPD_MISSING,
    SmtpReceiver,
    WebhookReceiver,
    WorkerProcess,
)


@pytest.fixture
def smtp_server():
    pytest.importorskip("aiosmtpd", reason=AIOSMTPD_MISSING)
    server = SmtpReceiver()
    server.controller.start()
    try:
        yield server
    finally:
        server.controller.stop()


@pytest.fixture
def webhook():
    receiver = WebhookReceiver()
    receiver.thread.start()
    try:
        yield receiver
    finally:
        receiver.release.set()
        receiver.server.shutdown()
        receiver.server.server_close()
        receiver.thread.join(timeout=5)


@pytest.fixture
def notify_settings(settings, webhook, smtp_server):
    """The test database's settings, notifying the local receivers."""
    return replace(settings, webhook_url=webhook.url, smtp_host="127.0.0.1",
                   smtp_port=smtp_server.port, mail_from="LKj Setneg <lkj@setneg.test>")


@pytest.fixture
def nctx(notify_settings):
    context = EngineContext(notify_settings)
    yield context
    context.close()


@pytest.fixture
def start_worker(tmp_path):
    """start_worker(settings, *args) -> a running WorkerProcess; all killed at the end."""
    started: list[WorkerProcess] = []

    def start(settings, *args: str) -> WorkerProcess:
        worker = WorkerProcess(settings, tmp_path, *args)
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            try:
                worker.kill()
            finally:
                worker.log.close()
