"""Real receivers on the loopback interface for the worker's tests: an SMTP server
(aiosmtpd), a webhook receiver (http.server), `lkj worker` processes, and the deadline
scenario's helpers."""
from __future__ import annotations

import email
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import select

from engine import usecases
from engine.persistence.tables import OutboxMessage
from tests.conftest import ADMIN, ROOT, free_port
from tests.engine import diagrams as d

AIOSMTPD_MISSING = "aiosmtpd is not installed (a test extra: pip install 'aiosmtpd>=1.4,<2')"


def wait_until(predicate, timeout: float, interval: float = 0.1, what: str = "condition"):
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not reached within {timeout}s")
        time.sleep(interval)


# ---------------------------------------------------------------- SMTP

class SmtpReceiver:
    """aiosmtpd on 127.0.0.1; `messages` holds every accepted mail, parsed."""

    def __init__(self, authenticator=None):
        from aiosmtpd.controller import Controller

        self.messages: list[dict] = []
        self.logins: list[str] = []
        self._lock = threading.Lock()
        self.port = free_port()
        kwargs = {}
        if authenticator is not None:
            kwargs = dict(authenticator=self._authenticate(authenticator), auth_require_tls=False)
        self.controller = Controller(
            self, hostname="127.0.0.1", port=self.port, ready_timeout=10, **kwargs)

    def _authenticate(self, check):
        from aiosmtpd.smtp import AuthResult, LoginPassword

        def authenticator(server, session, envelope, mechanism, auth_data):
            if isinstance(auth_data, LoginPassword) and check(auth_data.login.decode(),
                                                               auth_data.password.decode()):
                with self._lock:
                    self.logins.append(auth_data.login.decode())
                return AuthResult(success=True)
            return AuthResult(success=False, handled=False)
        return authenticator

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append({"mail_from": envelope.mail_from,
                                  "rcpt_tos": list(envelope.rcpt_tos),
                                  "message_id": parsed["Message-ID"], "subject": parsed["Subject"],
                                  "outbox_id": int(parsed["X-LKJ-Outbox-Id"]),
                                  "body": parsed.get_content(), "raw": envelope.content})
        return "250 Message accepted for delivery"

    def snapshot(self) -> list[dict]:
        with self._lock:
            return list(self.messages)

    def count_by_outbox_id(self) -> Counter:
        return Counter(m["outbox_id"] for m in self.snapshot())


# ---------------------------------------------------------------- webhook

class WebhookReceiver:
    """http.server on 127.0.0.1. `answer(request_number, body)` -> (status, delay seconds)
    decides each answer (default 200 at once); `requests` holds what came in, `delivered`
    the outbox ids answered 2xx."""

    def __init__(self):
        self.requests: list[dict] = []
        self.delivered: list[int] = []
        self.answer = lambda number, body: (200, 0)
        self.first_request = threading.Event()
        self.release = threading.Event()  # ends any delay at once (teardown)
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length).decode("utf-8"))
                with receiver._lock:
                    receiver.requests.append({"body": body, "headers": dict(self.headers)})
                    number = len(receiver.requests)
                receiver.first_request.set()
                status, delay = receiver.answer(number, body)
                if delay:
                    receiver.release.wait(delay)
                # Noted before the answer goes out: the worker may read `delivered` as soon
                # as it has the answer, before this thread runs again.
                delivered = 200 <= status < 300
                if delivered:
                    with receiver._lock:
                        receiver.delivered.append(body["id"])
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:  # the worker went away meanwhile: it has no answer
                    if delivered:
                        with receiver._lock:
                            receiver.delivered.remove(body["id"])

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def request_ids(self) -> Counter:
        with self._lock:
            return Counter(r["body"]["id"] for r in self.requests)

    def delivered_ids(self) -> Counter:
        with self._lock:
            return Counter(self.delivered)


# ---------------------------------------------------------------- workers

class WorkerProcess:
    """`lkj worker` in its own process, configured like an operator would."""

    def __init__(self, settings, log_dir, *args: str):
        env = {k: v for k, v in os.environ.items() if not k.startswith("LKJ_")}
        env.update({
            "LKJ_DATABASE_URL": settings.database_url,
            "LKJ_DATA_DIR": str(settings.data_dir),
            "LKJ_SECRET_KEY": settings.secret_key,
            "LKJ_LOG_LEVEL": "INFO",
            "LKJ_MAIL_FROM": settings.mail_from,
        })
        if settings.webhook_url:
            env["LKJ_WEBHOOK_URL"] = settings.webhook_url
        if settings.smtp_host:
            env["LKJ_SMTP_HOST"] = settings.smtp_host
            env["LKJ_SMTP_PORT"] = str(settings.smtp_port)
        self.log_path = log_dir / f"worker-{time.monotonic_ns()}.log"
        self.log = open(self.log_path, "w+")
        self.process = subprocess.Popen([sys.executable, "-m", "cli.main", "worker", *args],
                                        cwd=ROOT, env=env, stdout=self.log,
                                        stderr=subprocess.STDOUT)

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text()

    def terminate(self, timeout: float = 15) -> int:
        """SIGTERM (graceful), SIGKILL if it does not end in time; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.process.returncode

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()  # SIGKILL: no cleanup at all
        self.process.wait(timeout=10)


def outbox(ctx) -> list[OutboxMessage]:
    with ctx.db.read() as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def deploy_deadline(ctx, pid="deadline", remind="PT1H", escalate="PT2H", staf_email=True):
    """with_deadline deployed, staf1 (staf) and kabag (kepala_bagian) with addresses."""
    usecases.deploy(ctx, ADMIN, {f"{pid}.bpmn": d.with_deadline(pid, remind, escalate)},
                    {"simple.json": d.SIMPLE_FORM})
    usecases.create_user(ctx, ADMIN, "staf1", "password123", ["staf"],
                         email="staf1@setneg.test" if staf_email else None)
    usecases.create_user(ctx, ADMIN, "kabag", "password123", ["kepala_bagian"],
                         email="kabag@setneg.test")

