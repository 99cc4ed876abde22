"""The background worker (`lkj worker`): fires due BPMN timers and delivers the outbox.

Each round (`Worker.run_once`):
0. bring the schedule of timer start events in line with the latest versions and start the
   instances that are due (`usecases.schedule_start_timers`, `usecases.start_due_timers`:
   one instance per due time whatever the number of workers, engine/usecases/start_timers.py);
1. lease up to `batch` running instances whose next timer is due
   (`usecases.lease_due_timers`) and fire each one (`usecases.fire_timers`);
2. lease up to `batch` due outbox messages (`outbox.lease_messages`), deliver each
   (`engine.delivery`) and record the attempt (`outbox.record_attempt`: delivered,
   retried later with exponential back-off, or failed for good after
   `outbox.MAX_ATTEMPTS`);
3. lease the due jobs of the LKj document (drafts, the year's archive) and run each
   (`usecases.lease_report_jobs`, `usecases.run_report_job`; engine/usecases/report_jobs.py).
`run_forever` repeats rounds, right away while a round found a full batch, otherwise after
`poll_s`, until its stop event is set; `install_signal_handlers` makes SIGTERM/SIGINT set
it, so the worker stops after the round it is in (a second signal ends it at once).

Guarantees, as built:
- A timer fires at most once, and (while some worker runs) at least once: firing is one
  transaction under the instance's row lock that checks the lease is still this worker's
  and the timer is still due. A worker that dies holding a lease delays the timer until the
  lease (`lease_s`) has run out; another worker then takes it over.
- A message is delivered at least once. A worker that dies (or stalls past its lease)
  between handing a message over and recording the attempt leaves it to be sent again
  after the lease expired; receivers recognise the repeat by the outbox id (see
  `engine.delivery`). A worker skips the rest of a batch whose lease is about to run out
  rather than deliver messages another worker may already have taken.
- An error in one instance or message is logged and the round goes on. A
  `ConcurrentUpdate` (the instance changed meanwhile) is normal: firing is tried once more
  at once; an instance that still fails keeps its lease and is taken again (by any worker)
  when the lease has expired.
  Leases are compared with the workers' wall clocks: keep the hosts' clocks in sync.

Several workers may run against PostgreSQL (leases skip each other's locked rows). On
SQLite run ONE worker process: SQLite has a single writer for the whole database, so more
workers only contend for its lock (the worker logs a warning on SQLite as a reminder).
"""
from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import threading
import time
from dataclasses import asdict, dataclass

from engine import usecases
from engine.errors import ConcurrentUpdate
from engine.messaging import delivery, outbox

log = logging.getLogger("lkj.worker")

OWNER_MAX = 80  # the width of the lease owner columns
MAX_IDLE_BACKOFF_S = 30.0  # the longest wait after a round that failed as a whole
REPORT_JOB_LEASE_S = 600.0  # the least a report job is leased for (an archive may be large)


def worker_name() -> str:
    """A lease owner unique per process: `hostname:pid:random`."""
    suffix = f":{os.getpid()}:{secrets.token_hex(4)}"
    return socket.gethostname()[:OWNER_MAX - len(suffix)] + suffix


@dataclass
class RunStats:
    timer_starts: int = 0  # instances started by timer start events
    timers_leased: int = 0  # instances leased for their due timers
    timers_fired: int = 0  # timer elements fired
    timer_errors: int = 0  # instances whose firing raised (ConcurrentUpdate included)
    messages_leased: int = 0
    delivered: int = 0
    retried: int = 0  # failed attempts that will be tried again
    failed: int = 0  # failed for good (MAX_ATTEMPTS reached)
    lost: int = 0  # the lease went to another worker before the attempt was recorded
    skipped: int = 0  # left undelivered because this worker's lease was running out
    message_errors: int = 0  # recording the attempt raised
    report_jobs_leased: int = 0  # drafts and archives of the LKj document
    report_jobs_done: int = 0
    report_job_errors: int = 0  # failed this time (tried again later) or for good

    @property
    def busy(self) -> bool:
        return bool(self.timer_starts or self.timers_leased or self.messages_leased
                    or self.report_jobs_leased)

    def to_dict(self) -> dict:
        return asdict(self)


class Worker:
    """One worker: `run_once()` for a single round, `run_forever(stop_event)` for the loop.
    `name` is the lease owner (default: `worker_name()`), unique per process."""

    def __init__(self, ctx, name: str | None = None, poll_s: float = 1.0, lease_s: float = 60,
                 batch: int = 20, deliver=delivery.deliver,
                 delivery_timeout_s: float = delivery.TIMEOUT_S):
        if lease_s <= 0 or batch <= 0 or poll_s < 0:
            raise ValueError("lease_s and batch must be positive, poll_s not negative")
        self.ctx = ctx
        self.name = (name or worker_name())[:OWNER_MAX]
        self.poll_s = poll_s
        self.lease_s = lease_s
        self.batch = batch
        self.deliver = deliver
        # one attempt must end well within the lease, or another worker could take the
        # message over while it is still being handed over
        self.delivery_timeout_s = min(delivery_timeout_s, lease_s / 3)
        if ctx.db.dialect == "sqlite":
            log.warning("worker %s on SQLite: run only one worker process per database",
                        self.name)
        # Without an SMTP host, e-mails wait in the outbox for a worker that has one.
        self.channels = ("email", "webhook") if ctx.settings.smtp_host else ("webhook",)
        if not ctx.settings.smtp_host:
            log.warning("no SMTP host (LKJ_SMTP_HOST): e-mail notifications stay in the outbox")

    # ------------------------------------------------------------ one round

    def run_once(self) -> RunStats:
        stats = RunStats()
        self._start_by_timers(stats)
        self._fire_timers(stats)
        self._deliver_messages(stats)
        self._run_report_jobs(stats)
        if stats.busy:
            log.info("round: %s", ", ".join(f"{k} {v}" for k, v in stats.to_dict().items() if v))
        return stats

    def _start_by_timers(self, stats: RunStats) -> None:
        usecases.schedule_start_timers(self.ctx)
        stats.timer_starts += len(usecases.start_due_timers(self.ctx, self.batch))

    def _fire_timers(self, stats: RunStats) -> None:
        ids = usecases.lease_due_timers(self.ctx, self.name, self.batch, self.lease_s)
        stats.timers_leased += len(ids)
        for instance_id in ids:
            try:
                try:
                    fired = usecases.fire_timers(self.ctx, instance_id, self.name)
                except ConcurrentUpdate:  # changed meanwhile: the lease is still ours, again
                    fired = usecases.fire_timers(self.ctx, instance_id, self.name)
            except ConcurrentUpdate:
                stats.timer_errors += 1
                log.info("instance %s kept changing while its timers fired; they fire once "
                         "its lease has expired", instance_id)
                continue
            except Exception:
                stats.timer_errors += 1
                log.exception("firing the timers of instance %s failed (tried again once its "
                              "lease has expired)", instance_id)
                continue
            stats.timers_fired += len(fired)
            if fired:
                log.info("instance %s: fired %s", instance_id, ", ".join(fired))

    def _run_report_jobs(self, stats: RunStats) -> None:
        # A job builds a document (seconds): take a few at a time, each leased for long
        # enough that no other worker starts it again meanwhile.
        ids = usecases.lease_report_jobs(self.ctx, self.name, min(self.batch, 5),
                                         max(self.lease_s, REPORT_JOB_LEASE_S))
        stats.report_jobs_leased += len(ids)
        for job_id in ids:
            outcome = usecases.run_report_job(self.ctx, job_id, self.name)
            if outcome == "done":
                stats.report_jobs_done += 1
            elif outcome in ("retry", "failed"):
                stats.report_job_errors += 1

    def _deliver_messages(self, stats: RunStats) -> None:
        leased_at = time.monotonic()
        messages = outbox.lease_messages(self.ctx, self.name, self.batch, self.lease_s,
                                                self.channels)
        stats.messages_leased += len(messages)
        # Deliver only while the lease surely holds for one more attempt; what is left is
        # taken again (by any worker) when the lease has run out.
        margin = min(1.0, self.lease_s / 10)
        deadline = leased_at + self.lease_s - self.delivery_timeout_s - margin
        for index, message in enumerate(messages):
            if index > 0 and time.monotonic() > deadline:
                stats.skipped += len(messages) - index
                log.warning("lease running out: %d message(s) left for the next lease",
                            len(messages) - index)
                break
            try:
                error = self.deliver(self.ctx.settings, message, self.delivery_timeout_s)
            except Exception as exc:  # deliver() should not raise; if it does, it failed
                log.exception("delivering message %s raised", message.id)
                error = f"{type(exc).__name__}: {exc}"
            try:
                outcome = outbox.record_attempt(self.ctx, message.id, self.name, error)
            except Exception:
                stats.message_errors += 1
                log.exception("recording the attempt on message %s failed (it will be sent "
                              "again after its lease expired)", message.id)
                continue
            if outcome == "delivered":
                stats.delivered += 1
                log.debug("message %s (%s to %s) delivered", message.id, message.channel,
                          message.recipient)
            elif outcome == "retry":
                stats.retried += 1
                log.warning("message %s (%s to %s) failed, will retry: %s", message.id,
                            message.channel, message.recipient, error)
            elif outcome == "failed":
                stats.failed += 1
                log.error("message %s (%s to %s) failed for good after %d attempts: %s",
                          message.id, message.channel, message.recipient,
                          outbox.MAX_ATTEMPTS, error)
            else:
                stats.lost += 1
                log.warning("message %s: lease lost before the attempt was recorded%s",
                            message.id, "" if error else " (it was delivered)")

    # ------------------------------------------------------------ the loop

    def run_forever(self, stop_event: threading.Event | None = None) -> None:
        """Rounds until `stop_event` is set; the round in progress is always finished."""
        stop_event = stop_event or threading.Event()
        log.info("worker %s started (poll %.1fs, lease %.0fs, batch %d, %s)", self.name,
                 self.poll_s, self.lease_s, self.batch, self.ctx.db.dialect)
        failures = 0
        while not stop_event.is_set():
            try:
                stats = self.run_once()
                failures = 0
            except Exception:  # the database is away, for instance: wait and try again
                failures += 1
                wait = min(MAX_IDLE_BACKOFF_S, max(self.poll_s, 0.5) * 2 ** min(failures, 6))
                log.exception("worker round failed (%d in a row); next try in %.1fs",
                              failures, wait)
                stop_event.wait(wait)
                continue
            full = (stats.timers_leased >= self.batch or stats.messages_leased >= self.batch)
            if not full:
                stop_event.wait(self.poll_s)
        log.info("worker %s stopped", self.name)


def install_signal_handlers(stop_event: threading.Event) -> None:
    """SIGTERM and SIGINT set `stop_event` (graceful: the current round finishes); a second
    one of them ends the process at once. Call from the main thread."""

    def handle(signum, _frame):
        log.info("%s: stopping after the current round (again to stop now)",
                 signal.Signals(signum).name)
        stop_event.set()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
