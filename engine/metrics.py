"""The engine's Prometheus metrics, each defined once, and the timing of the command a
request runs (for the slow-request log).

The metric objects are made on first use, not at import: under `lkj serve` the gunicorn
workers share their counts through files in PROMETHEUS_MULTIPROC_DIR, which the server sets
before any worker starts (prometheus_client reads it when it is first imported). Gauges
read from the database at scrape time (open tasks, outbox, timers) are not here: they are
collected by the API's `/metrics` (api/metrics.py) from `usecases.operational_counts`.
"""
from __future__ import annotations

import contextvars
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

# Seconds: an engine command takes milliseconds; a slow one, a few seconds.
BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True)
class Metrics:
    requests: object  # histogram: route, method, status
    commands: object  # histogram: command, phase (read, run, write, all)
    command_restarts: object  # counter: command (the instance changed under it)
    completions: object  # counter: definition key
    script_stops: object  # counter: why the jail stopped a script
    db_connections: object  # gauge: connections checked out of the pool, per process


_made: list[Metrics] = []
_making = threading.Lock()


def metrics() -> Metrics:
    """The metrics, made once: threads asking at the same first moment (the first
    concurrent requests) must not register them twice."""
    if not _made:
        with _making:
            if not _made:
                _made.append(_make())
    return _made[0]


def _make() -> Metrics:
    from prometheus_client import Counter, Gauge, Histogram

    return Metrics(
        requests=Histogram("lkj_http_request_duration_seconds", "HTTP requests by route",
                           ["route", "method", "status"], buckets=BUCKETS),
        commands=Histogram("lkj_command_duration_seconds",
                           "Instance commands by phase: read, run (scripts), write, all",
                           ["command", "phase"], buckets=BUCKETS),
        command_restarts=Counter("lkj_command_restarts_total",
                                 "Instance commands started again because the instance "
                                 "changed under them", ["command"]),
        completions=Counter("lkj_task_completions_total", "User tasks completed",
                            ["definition"]),
        script_stops=Counter("lkj_script_stops_total",
                             "Scripts the jail stopped, by limit (time, memory, cpu) or "
                             "error", ["reason"]),
        db_connections=Gauge("lkj_db_connections_in_use", "Database connections in use",
                             multiprocess_mode="livesum"),
    )


@dataclass
class CommandTiming:
    """The phases of the instance commands one request ran, in milliseconds."""
    phases: list[dict] = field(default_factory=list)


_TIMING: contextvars.ContextVar[CommandTiming | None] = contextvars.ContextVar(
    "lkj_command_timing", default=None)


def begin_request_timing() -> tuple[CommandTiming, contextvars.Token]:
    """Collect the command timings of what runs in this context from now on (a request),
    until `end_request_timing(token)`."""
    timing = CommandTiming()
    return timing, _TIMING.set(timing)


def end_request_timing(token: contextvars.Token) -> None:
    _TIMING.reset(token)


def record_command(command: str, phases: dict[str, float], restarts: int) -> None:
    """One instance command's phases (seconds) into the histograms and the request's log."""
    histogram = metrics().commands
    for phase, seconds in phases.items():
        histogram.labels(command, phase).observe(seconds)
    if restarts:
        metrics().command_restarts.labels(command).inc(restarts)
    timing = _TIMING.get()
    if timing is not None:
        timing.phases.append({"command": command, "restarts": restarts, **{
            f"{phase}_ms": round(seconds * 1000, 2) for phase, seconds in phases.items()}})


class Stopwatch:
    """Seconds per named phase: `with watch("run"): ...`."""

    def __init__(self):
        self.phases: dict[str, float] = {}
        self.started = time.perf_counter()

    @contextmanager
    def __call__(self, phase: str):
        began = time.perf_counter()
        try:
            yield
        finally:
            self.phases[phase] = self.phases.get(phase, 0.0) + time.perf_counter() - began

    def total(self) -> dict[str, float]:
        return {**self.phases, "all": time.perf_counter() - self.started}
