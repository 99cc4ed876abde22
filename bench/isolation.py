"""Part 7, isolation: how long a claim on one instance takes while a script of another
instance spins to its time limit, on SQLite and on PostgreSQL.

One thread completes a task whose next step is `while True: n += 1` (stopped by the jail at
LKJ_SCRIPT_TIME_LIMIT_S, here 2 s); meanwhile another thread claims tasks of other
instances one after another, timing each. The same claims are timed with nothing spinning,
for comparison. The instance transaction runs scripts outside any database transaction, so
the claims should not wait for the script (target: every claim under 200 ms).
"""
from __future__ import annotations

import threading
import time

from bench.common import context, fresh_postgres, postgres_reason, sqlite_url, summary
from engine import usecases
from engine.usecases.views import Actor
from tests.engine import diagrams as d

ADMIN = Actor("bench_admin", frozenset({"admin"}))
STAF = Actor("bench_staf", frozenset({"staf"}))
TIME_LIMIT_S = 2.0


def _spin_process() -> dict[str, bytes]:
    return {"spin.bpmn": d.sequence("bench_spin", [
        ("user", "before"), ("script", "n = 0\nwhile True:\n    n += 1"), ("user", "after")])}


def _claims(ctx, task_ids: list[str]) -> list[float]:
    durations = []
    for task_id in task_ids:
        started = time.perf_counter()
        usecases.claim_task(ctx, STAF, task_id)
        durations.append(time.perf_counter() - started)
    return durations


def _measure(ctx, claims: int) -> dict:
    usecases.deploy(ctx, ADMIN, _spin_process(), {"simple.json": d.SIMPLE_FORM})

    def start():
        return usecases.start_instance(ctx, ADMIN, "bench_spin", {}).open_tasks[0].id

    quiet_ids = [start() for _ in range(claims)]
    busy_ids = [start() for _ in range(claims)]
    spinning = start()
    quiet = _claims(ctx, quiet_ids)

    usecases.claim_task(ctx, STAF, spinning)
    spun = {}

    def spin():
        began = time.perf_counter()
        usecases.complete_task(ctx, STAF, spinning, {"value": "x"})
        spun["seconds"] = time.perf_counter() - began

    thread = threading.Thread(target=spin)
    thread.start()
    time.sleep(0.2)  # into the script's run
    during_started = time.perf_counter()
    busy = []
    # claim while the script spins (claims after it stopped are not counted)
    for task_id in busy_ids:
        if not thread.is_alive():
            break
        busy += _claims(ctx, [task_id])
    during = time.perf_counter() - during_started
    thread.join()
    status = usecases.get_instance(ctx, ADMIN, usecases.get_task(
        ctx, ADMIN, spinning).process_instance_id).status
    return {"quiet": summary(quiet), "while_spinning": summary(busy),
            "while_spinning_max_ms": round(max(busy) * 1000, 3) if busy else None,
            "spin_seconds": round(spun.get("seconds", 0.0), 3), "claiming_seconds":
            round(during, 3), "spinning_instance_status": status}


def run(workdir, quick: bool = False, postgres: bool = True) -> dict:
    claims = 20 if quick else 200
    results = {"time_limit_s": TIME_LIMIT_S, "claims": claims}
    targets = [("sqlite", lambda: sqlite_url(workdir / "isolation", "isolation"))]
    reason = postgres_reason() if postgres else "left out (--no-postgres)"
    for name, url_of in targets:
        results[name] = _on(url_of(), workdir / f"isolation-{name}", claims)
    if reason is None:
        with fresh_postgres() as url:
            results["postgresql"] = _on(url, workdir / "isolation-pg", claims)
    else:
        results["postgresql"] = {"skipped": reason}
    for name in ("sqlite", "postgresql"):
        outcome = results[name]
        if "skipped" not in outcome:
            assert outcome["spinning_instance_status"] == "error", outcome
            assert outcome["while_spinning"]["n"] > 0, outcome
    return results


def _on(url: str, data_dir, claims: int) -> dict:
    ctx = context(url, data_dir)  # LKJ_SCRIPT_TIME_LIMIT_S: the default, TIME_LIMIT_S
    assert ctx.settings.script_time_limit_s == TIME_LIMIT_S, ctx.settings.script_time_limit_s
    try:
        return _measure(ctx, claims)
    finally:
        ctx.close()
