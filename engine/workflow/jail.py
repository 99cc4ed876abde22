"""The jail: a pool of long-lived worker processes (engine/workflow/jail_worker.py) that run
diagrams' scripts for this server process, and the limits they run under.

Each worker is started with `sys.executable -m engine.workflow.jail_worker` (a new process,
not a fork of the server: it inherits no database connection, no open file, no secret from
the environment) and talks over its stdin/stdout pipes. A request that runs past the wall-time
limit gets its worker killed; the next request starts a fresh one. The threads of a server
process share the pool: a thread takes an idle worker, or starts one while fewer than
`workers` exist, or waits for one.
"""
from __future__ import annotations

import json
import math
import os
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from engine.metrics import metrics
from engine.settings import Settings
from engine.workflow.jail_worker import EXIT_OUT_OF_MEMORY, HEADER
from engine.workflow.script_errors import (
    ScriptError,
    ScriptFailed,
    ScriptKilled,
    ScriptOutOfMemory,
    ScriptRejected,
    ScriptTimeout,
)

ROOT = Path(__file__).resolve().parents[2]  # holds the `engine` package
START_TIMEOUT_S = 60.0  # a worker importing its modules on a busy machine
# Passed on to workers: what Python needs to find its packages and decode text, no more.
_ENVIRONMENT = ("PATH", "PYTHONPATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ")


@dataclass(frozen=True)
class Limits:
    """The jail's limits; the defaults are the settings' (LKJ_SCRIPT_*)."""
    time_s: float = Settings.script_time_limit_s  # wall time of one evaluation
    memory_mib: int = Settings.script_memory_mib  # address space of one worker
    workers: int = Settings.script_workers  # workers per server process
    # data sent to, or given back by, one evaluation
    max_data_bytes: int = Settings.script_max_data_bytes

    @property
    def cpu_s(self) -> int:
        """CPU seconds per evaluation (whole seconds, as RLIMIT_CPU counts; the worker adds
        the part of a second already begun): a backstop above the wall-time limit, which
        normally ends a script first."""
        return math.ceil(self.time_s) + 1


def _mib(size: float) -> str:
    return f"{size / 1024 / 1024:.1f} MiB"


class _Died(Exception):
    """The worker ended (or was ended) before it answered."""


class _Worker:
    def __init__(self, limits: Limits):
        self.limits = limits
        env = {name: os.environ[name] for name in _ENVIRONMENT if name in os.environ}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "engine.workflow.jail_worker",
             "--memory-mib", str(limits.memory_mib), "--cpu-s", str(limits.cpu_s),
             "--max-data-bytes", str(limits.max_data_bytes)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0, cwd=ROOT, env=env,
            close_fds=True,
            # Its own session: a Ctrl-C meant for the server does not hit it mid-script.
            start_new_session=True)
        self._in = self.process.stdin.fileno()
        self._out = self.process.stdout.fileno()
        try:
            ready = self._receive(time.monotonic() + START_TIMEOUT_S, 1024)
        except _Died as exc:
            self.kill()
            raise ScriptKilled(f"the script jail could not start a worker ({exc})") from None
        if ready != {"ready": True}:
            self.kill()
            raise ScriptKilled(f"the script jail could not start a worker: {ready!r}")

    def exchange(self, payload: bytes, what: str) -> dict:
        """Send one request and wait for its answer, at most the wall-time limit; past it,
        or on any failure, the worker is killed and the exception says why."""
        limits = self.limits
        deadline = time.monotonic() + limits.time_s
        try:
            self._send(HEADER.pack(len(payload)) + payload)
            return self._receive(deadline, limits.max_data_bytes)
        except TimeoutError:
            self.kill()
            raise ScriptTimeout(
                f"{what} exceeded its time limit of {limits.time_s:g} s") from None
        except _ReplyTooLarge as exc:
            self.kill()
            raise ScriptFailed(
                f"{what} gave back {_mib(exc.size)} of data; the limit is "
                f"{_mib(limits.max_data_bytes)} (LKJ_SCRIPT_MAX_DATA_BYTES)") from None
        except _Died:
            code = self.kill(grace_s=1.0)  # it is ending: its status says why
            if code == -signal.SIGXCPU:
                raise ScriptTimeout(f"{what} exceeded its CPU time limit of "
                                    f"{limits.cpu_s} s") from None
            if code == EXIT_OUT_OF_MEMORY:
                raise ScriptOutOfMemory(f"{what} ran out of memory (limit "
                                        f"{limits.memory_mib} MiB)") from None
            how = (f"signal {signal.Signals(-code).name}" if code is not None and code < 0
                   else f"exit status {code}")
            raise ScriptKilled(f"{what} ended its jail worker ({how})") from None

    def _send(self, data: bytes) -> None:
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._in, view):]
        except OSError:  # BrokenPipeError: the worker is gone
            raise _Died("it closed its input") from None

    def _receive(self, deadline: float, max_size: int) -> dict:
        data = self._read_more(bytearray(), HEADER.size, deadline)
        (size,) = HEADER.unpack_from(data)
        if size > max_size:
            raise _ReplyTooLarge(size)
        data = self._read_more(data, HEADER.size + size, deadline)
        return json.loads(data[HEADER.size:])

    def _read_more(self, data: bytearray, size: int, deadline: float) -> bytearray:
        """`data` read on until it holds `size` bytes (a small answer arrives in one read)."""
        while len(data) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            ready, _, _ = select.select([self._out], [], [], remaining)
            if not ready:
                raise TimeoutError
            chunk = os.read(self._out, max(size - len(data), 1 << 16))
            if not chunk:
                raise _Died("it closed its output")
            data += chunk
        return data

    def kill(self, grace_s: float = 0.0) -> int | None:
        """End the worker and reap it (no zombie); its exit status (-signal if killed).
        `grace_s`: how long a worker that is ending by itself may take to finish."""
        if grace_s and self.process.poll() is None:
            try:
                self.process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                pass
        if self.process.poll() is None:
            self.process.kill()
        code = self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        return code

    def forget(self) -> None:
        """In a forked child: drop the parent's worker without touching it."""
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.process.returncode = 0  # not ours to wait for


class _ReplyTooLarge(Exception):
    def __init__(self, size: int):
        super().__init__(size)
        self.size = size


_STOP_REASONS = {ScriptTimeout: "time", ScriptOutOfMemory: "memory", ScriptKilled: "killed",
                 ScriptRejected: "rejected", ScriptFailed: "error"}


class Jail:
    """The worker pool of one server process, for one set of limits."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self._idle: list[_Worker] = []
        self._count = 0  # idle + busy + starting
        self._closed = False
        self._lock = threading.Condition()

    def run(self, request: dict, what: str) -> dict:
        """The worker's answer to `request` (see jail_worker.handle); ScriptKilled and its
        subclasses when a limit ended it, ScriptFailed when the data is too large. Each
        stop is counted in the metrics by its reason."""
        try:
            return self._run(request, what)
        except ScriptError as exc:
            metrics().script_stops.labels(_STOP_REASONS.get(type(exc), "error")).inc()
            raise

    def _run(self, request: dict, what: str) -> dict:
        try:
            payload = json.dumps(request, separators=(",", ":"), allow_nan=False).encode()
        except (TypeError, ValueError) as exc:
            raise ScriptFailed(f"the task data passed to the {what} is not JSON ({exc}); "
                               f"task data must be JSON") from None
        if len(payload) > self.limits.max_data_bytes:
            raise ScriptFailed(
                f"the task data passed to the {what} is {_mib(len(payload))}; the limit is "
                f"{_mib(self.limits.max_data_bytes)} (LKJ_SCRIPT_MAX_DATA_BYTES)")
        worker = self._take()
        try:
            answer = worker.exchange(payload, what)
        except BaseException:
            self._drop(worker)  # exchange killed it (or we were interrupted: kill it now)
            raise
        # A worker out of memory exits after answering; one that grew large asks to go.
        self._give_back(worker, retire=answer.get("retire", False)
                        or answer.get("kind") == "memory")
        if answer["ok"]:
            return answer
        if answer["kind"] == "memory":
            raise ScriptOutOfMemory(
                f"{what} ran out of memory (limit {self.limits.memory_mib} MiB)")
        if answer["kind"] == "rejected":
            raise ScriptRejected(answer["message"])
        raise ScriptFailed(answer["message"])

    def _take(self) -> _Worker:
        with self._lock:
            while not self._idle and self._count >= self.limits.workers:
                self._lock.wait()
            if self._idle:
                return self._idle.pop()
            self._count += 1
        try:
            return _Worker(self.limits)
        except BaseException:
            with self._lock:
                self._count -= 1
                self._lock.notify()
            raise

    def _give_back(self, worker: _Worker, retire: bool) -> None:
        with self._lock:
            if not (retire or self._closed):
                self._idle.append(worker)
                self._lock.notify()
                return
        self._drop(worker)

    def _drop(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._count -= 1
            self._lock.notify()

    def close(self) -> None:
        """Kill the idle workers now; busy ones are killed when their request ends."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            self._drop(worker)

    def forget_after_fork(self) -> None:
        """In a forked child the workers belong to the parent: let go of them."""
        for worker in self._idle:
            worker.forget()
        self._idle, self._count = [], 0
        self._lock = threading.Condition()

    def worker_pids(self) -> list[int]:
        """The idle workers' process ids (for tests and the benchmark)."""
        with self._lock:
            return [worker.process.pid for worker in self._idle]
