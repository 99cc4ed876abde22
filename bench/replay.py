"""Part 5a, replay: how long `usecases.replay_instance` (engine/audit/replay.py: re-execute an
instance from its event log and compare with what is stored) takes on a 200-event history.

The history is made by the engine itself on SQLite: an instance of bench_chain with 22 rounds
(66 user tasks, each task_ready + task_claimed + task_completed, plus instance_started and
instance_completed = 200 events), every task claimed and completed through the usecases.
"""
from __future__ import annotations

import statistics

from sqlalchemy import func, select

from bench.common import (
    ADMIN,
    BENCH_DIAGRAMS,
    BENCH_FORMS,
    context,
    ms,
    now,
    read_folder,
    sqlite_url,
    summary,
    worker,
)
from engine import usecases
from engine.persistence.tables import Event

USER = worker("bench_replay", "staf", "kepala_subbagian", "kepala_bagian")


def history_of(ctx, rounds: int) -> str:
    view = usecases.start_instance(ctx, USER, "bench_chain", {"rounds": rounds})
    [task] = view.open_tasks
    step = 0
    while task is not None:
        usecases.claim_task(ctx, USER, task.id)
        result = usecases.complete_task(ctx, USER, task.id, {"note": f"langkah {step}",
                                                             "score": step})
        step += 1
        task = result.next_tasks[0] if result.next_tasks else None
    return view.id


def run(workdir, quick: bool = False) -> dict:
    rounds = 22  # 66 tasks x 3 events + started + completed = 200 events
    repeats = 3 if quick else 7
    folder = workdir / "replay"
    ctx = context(sqlite_url(folder, "lkj"), folder / "data")
    try:
        diagrams, form_files = read_folder(BENCH_DIAGRAMS, BENCH_FORMS)
        usecases.deploy(ctx, ADMIN, diagrams, form_files)
        instance_id = history_of(ctx, rounds)
        with ctx.db.read() as s:
            events = s.scalar(select(func.count()).select_from(Event)
                              .where(Event.process_instance_id == instance_id))
        assert events == 200, f"the history has {events} events, not 200"
        seconds, reports = [], []
        for _ in range(repeats):
            started = now()
            report = usecases.replay_instance(ctx, ADMIN, instance_id)
            seconds.append(now() - started)
            reports.append(report)
    finally:
        ctx.close()
    assert all(r.consistent for r in reports), f"replay diverged: {reports[0].divergence}"
    return {"events": events, "events_replayed": reports[0].events_replayed,
            "consistent": True, "runs": summary(seconds),
            "replay_ms_200_events": ms(statistics.median(seconds), 1)}
