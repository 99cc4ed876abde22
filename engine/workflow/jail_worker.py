"""A jail worker: a separate process that runs diagrams' scripts and expressions for one
server process, under hard limits the script cannot catch or lift.

    python -m engine.workflow.jail_worker --memory-mib 512 --cpu-s 3 --max-data-bytes 8388608

Limits: the address space (RLIMIT_AS: an allocation past it fails, and the worker answers
"out of memory" and exits), the CPU time of each request (RLIMIT_CPU, a backstop: the kernel
ends the process; the server kills it first at the wall-time limit) and the size of an answer.
Requests and answers are JSON, each framed by its length (4 bytes, big-endian), on stdin and
stdout. The worker imports only the standard library, RestrictedPython and the sandbox's
rules: no database driver, no SpiffWorkflow, nothing it could leak.
"""
from __future__ import annotations

import argparse
import datetime
import itertools
import json
import os
import resource
import struct
import sys
import time

from engine.workflow import script_rules
from engine.workflow.script_errors import ScriptError, ScriptFailed, ScriptRejected

HEADER = struct.Struct(">I")
READY = {"ready": True}
EXIT_OUT_OF_MEMORY = 3
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def frame(message: dict) -> bytes:
    body = json.dumps(message, separators=(",", ":"), allow_nan=False).encode()
    return HEADER.pack(len(body)) + body


def handle(request: dict, max_data_bytes: int, grown=lambda: False) -> bytes:
    """The framed answer to one request: {"ok": true, "value"} for an expression,
    {"ok": true, "stored", "deleted"} for a script, {"ok": false, "kind", "message"}; with
    "retire": true when `grown()` says this worker should be replaced."""
    what = "script" if request["mode"] == "exec" else "expression"
    retire = False
    try:
        program = script_rules.prepare(request["source"], request["mode"])
        now = request.get("now")
        with script_rules.script_time(datetime.datetime.fromisoformat(now) if now else None):
            given = request["variables"]
            scope = script_rules.scope_for(given)
            try:
                value = script_rules.run(program, scope)
            except MemoryError:
                raise
            except BaseException as exc:  # noqa: BLE001 - SystemExit too: it is the script's
                raise ScriptFailed(script_rules.error_text(exc)) from None
            finally:
                retire = grown()  # while what the script built is still alive
            if program.mode == "eval":
                answer = {"ok": True, "value": script_rules.result_for(value, request["want"])}
            else:
                stored, deleted = script_rules.changes(program, scope, given)
                answer = {"ok": True, "stored": stored, "deleted": deleted}
    except ScriptRejected as exc:
        answer = {"ok": False, "kind": "rejected", "message": str(exc)}
    except ScriptError as exc:
        answer = {"ok": False, "kind": "failed", "message": str(exc)}
    if retire:
        answer["retire"] = True
    try:
        data = frame(answer)
    except (ValueError, RecursionError) as exc:
        return frame({"ok": False, "kind": "failed",
                      "message": f"{what} gave back a value JSON cannot hold ({exc})"})
    if len(data) - HEADER.size > max_data_bytes:
        return frame({"ok": False, "kind": "failed", "retire": answer.get("retire", False),
                      "message": f"{what} gave back {_mib(len(data) - HEADER.size)} of data; "
                                 f"the limit is {_mib(max_data_bytes)} "
                                 f"(LKJ_SCRIPT_MAX_DATA_BYTES)"})
    return data


def _mib(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MiB"


def _read_exactly(stream, size: int) -> bytes | None:
    data = stream.read(size)
    return data if data is not None and len(data) == size else None


class _CpuLimit:
    """Each request may use `seconds` more CPU time (whole seconds, plus the part of a second
    already begun); past it the kernel sends SIGXCPU, whose default action ends the process
    (no script can install a handler)."""

    def __init__(self, seconds: int):
        self.seconds = seconds
        self.soft, self.hard = resource.getrlimit(resource.RLIMIT_CPU)

    def renew(self) -> None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        soft = int(usage.ru_utime + usage.ru_stime) + 1 + self.seconds
        if self.hard != resource.RLIM_INFINITY:
            soft = min(soft, self.hard)
        if soft != self.soft:  # changes once per CPU second used: usually no system call
            resource.setrlimit(resource.RLIMIT_CPU, (soft, self.hard))
            self.soft = soft


def _rss_bytes() -> int:
    """Resident memory now (not the peak: Linux carries that over from the forked parent)."""
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[1]) * PAGE_SIZE


def serve(memory_mib: int, cpu_s: int, max_data_bytes: int) -> int:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    # Prepared while memory is plentiful: after an allocation failed there may be none left.
    out_of_memory = frame({"ok": False, "kind": "memory"})
    # A worker still holding more than half its limit after a request asks to be replaced:
    # Python keeps some freed memory for reuse, and the next script deserves the whole limit.
    # Checked after every request that ran a while (only those can have built much) and every
    # 64th: reading /proc costs more than a quick request itself.
    retire_above = memory_mib * 1024 * 1024 // 2
    cpu = _CpuLimit(cpu_s)
    stdout.write(frame(READY))
    stdout.flush()
    for served in itertools.count(1):
        header = _read_exactly(stdin, HEADER.size)
        if header is None:
            return 0  # the server closed the pipe (or exited): nothing more to do
        (size,) = HEADER.unpack(header)
        body = _read_exactly(stdin, size)
        if body is None:
            return 0
        cpu.renew()
        started = time.monotonic()

        def grown() -> bool:
            return ((served % 64 == 0 or time.monotonic() - started > 0.005)  # noqa: B023
                    and _rss_bytes() > retire_above)
        try:
            request = json.loads(body)
            del body
            answer = handle(request, max_data_bytes, grown)
        except MemoryError:
            stdout.write(out_of_memory)
            stdout.flush()
            return EXIT_OUT_OF_MEMORY  # a fresh worker starts with all its memory free
        stdout.write(answer)
        stdout.flush()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine.workflow.jail_worker")
    parser.add_argument("--memory-mib", type=int, required=True)
    parser.add_argument("--cpu-s", type=int, required=True)
    parser.add_argument("--max-data-bytes", type=int, required=True)
    args = parser.parse_args(argv)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # SIGXCPU would dump core otherwise
    limit = args.memory_mib * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    os.environ.clear()  # nothing of the server's environment for a script to look for
    return serve(args.memory_mib, args.cpu_s, args.max_data_bytes)


if __name__ == "__main__":
    sys.exit(main())
