"""Part 1, overhead: full LKj cycles through the engine's service layer on SQLite against the
same diagrams, the same data and the same order of completions run by raw SpiffWorkflow in
memory, in this process.

Raw: for each completion, `task.data.update(data); task.run(); refresh_timers();
do_engine_steps()` (engine.runtime.complete_user_task, the calls the engine itself makes).
Engine: `usecases.complete_task(..., claim=True)` (claimed and completed in one transaction,
as one `POST /tasks/{id}/complete` with `claim: true`; committed on SQLite in WAL mode with
synchronous=NORMAL). Finding the next task is excluded on both sides.

The raw run decides the order (the procedure driver's first-in-first-out policy and sample
form data, tests/procedure/driver.py); the engine then completes the same element in the
same role with the same data at every step. Document references in the data point at a
document uploaded to each engine instance (the engine checks they exist; raw does not).
"""
from __future__ import annotations

import io
import itertools
from dataclasses import dataclass, field

from sqlalchemy import select

from bench.common import (
    ADMIN,
    PROCEDURE_DIAGRAMS,
    PROCEDURE_FORMS,
    context,
    everyone,
    now,
    ratio,
    read_folder,
    sqlite_url,
    summary,
)
from engine import usecases
from engine.persistence.tables import Task
from engine.workflow import runtime
from engine.workflow.model import resolve_role
from tests.procedure.driver import Answers, load_model

UNITS = ("DEP1", "DEP2", "DEP3")


@dataclass
class Step:
    element_id: str
    role: str
    data: dict


@dataclass
class RawCycle:
    steps: list = field(default_factory=list)
    seconds: list = field(default_factory=list)


def raw_cycles(model, count: int, units) -> list[RawCycle]:
    """`count` cycles of lkj_preparation in memory, completions interleaved round-robin
    between the cycles (as the engine run does), each completion timed."""
    spec, subprocess_specs = model.spec_and_subprocesses("lkj_preparation")
    executable = runtime.ExecutableSpec(spec, subprocess_specs)
    runs = []
    for year in range(count):
        wf = runtime.new_workflow(executable, {"year": 2024 + year, "units": list(units)})
        runtime.run_to_wait_states(wf)
        answers = Answers(revise_at={"check_kepala_bagian"})
        runs.append((wf, answers, {}, itertools.count(), RawCycle()))
    active = list(runs)
    while active:
        for run in list(active):
            wf, answers, first_seen, counter, cycle = run
            ready = runtime.ready_user_tasks(wf)
            if not ready:
                assert wf.is_completed(), "a raw cycle stopped without a ready task"
                active.remove(run)
                continue
            for task in ready:  # first in, first out; ties in task-tree order (the driver's rule)
                first_seen.setdefault(task.id, next(counter))
            task = min(ready, key=lambda t: first_seen[t.id])
            meta = model.user_task_meta(task.task_spec)
            data = answers.for_form(meta.form_key, meta.element_id, task.data)
            cycle.steps.append(Step(meta.element_id, resolve_role(meta.role_template, task.data),
                                    data))
            started = now()
            runtime.complete_user_task(wf, task, data)
            cycle.seconds.append(now() - started)
    return [run[4] for run in runs]


def _with_document(value, document_id: str):
    """The raw data with every sample document reference ('doc-0001') replaced by a real
    document of the engine instance."""
    if isinstance(value, str) and value.startswith("doc-"):
        return document_id
    if isinstance(value, dict):
        return {k: _with_document(v, document_id) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_document(v, document_id) for v in value]
    return value


def engine_cycles(ctx, cycles: list[RawCycle], units) -> tuple[list[float], list[float]]:
    """Replay the raw cycles' steps through the engine; (per-completion seconds, per-start
    seconds)."""
    actor = everyone(units=units)
    instances, starts = [], []
    for year, cycle in enumerate(cycles):
        started = now()
        view = usecases.start_instance(ctx, actor, "lkj_preparation",
                                       {"year": 2024 + year, "units": list(units)})
        starts.append(now() - started)
        document = usecases.upload_document(ctx, actor, view.id, "lampiran.pdf",
                                            "application/pdf", io.BytesIO(b"%PDF-1.4 bench\n"))
        instances.append((view.id, document.id, iter(cycle.steps)))
    seconds = []
    active = list(instances)
    while active:
        for item in list(active):
            instance_id, document_id, steps = item
            step = next(steps, None)
            if step is None:
                active.remove(item)
                continue
            task_id = _open_task(ctx, instance_id, step)
            data = _with_document(step.data, document_id)
            started = now()
            # claimed and completed in one transaction, as `POST /tasks/{id}/complete`
            # with `claim: true` does
            usecases.complete_task(ctx, actor, task_id, data, claim=True)
            seconds.append(now() - started)
    for instance_id, _, _ in instances:
        view = usecases.get_instance(ctx, actor, instance_id)
        assert view.status == "completed", f"engine instance {instance_id} is {view.status}"
    return seconds, starts


def _open_task(ctx, instance_id: str, step: Step) -> str:
    with ctx.db.read() as s:
        task_id = s.scalar(select(Task.id).where(
            Task.process_instance_id == instance_id, Task.state == "ready",
            Task.element_id == step.element_id, Task.role == step.role)
            .order_by(Task.created_at, Task.id).limit(1))
    assert task_id is not None, f"the engine has no ready '{step.element_id}' for {step.role}"
    return task_id


def run(workdir, quick: bool = False) -> dict:
    cycles_count = 1 if quick else 4
    units = UNITS[:2] if quick else UNITS
    model = load_model(PROCEDURE_DIAGRAMS, PROCEDURE_FORMS)
    cycles = raw_cycles(model, cycles_count, units)
    raw_seconds = [s for c in cycles for s in c.seconds]

    diagrams, form_files = read_folder(PROCEDURE_DIAGRAMS, PROCEDURE_FORMS)
    results = {}
    # warm: the engine's workflow cache holds every instance (the single-process case);
    # cold: no cache, every completion loads the instance's state from the database (what a
    # completion costs when the previous one of its instance ran in another worker).
    for label, cache_size in (("warm", 256), ("cold", 0)):
        url = sqlite_url(workdir / f"overhead-{label}", "lkj")
        ctx = context(url, workdir / f"overhead-{label}" / "data", workflow_cache_size=cache_size)
        try:
            usecases.deploy(ctx, ADMIN, diagrams, form_files)
            for unit in units:
                usecases.create_unit(ctx, ADMIN, unit, f"Satuan kerja {unit}")
            engine_seconds, start_seconds = engine_cycles(ctx, cycles, units)
        finally:
            ctx.close()
        assert len(engine_seconds) == len(raw_seconds)
        results[label] = {"engine": summary(engine_seconds), "starts": summary(start_seconds)}

    raw = summary(raw_seconds)
    warm, cold = results["warm"]["engine"], results["cold"]["engine"]
    return {
        "cycles": cycles_count,
        "units_per_cycle": len(units),
        "completions": len(raw_seconds),
        "completions_per_cycle": [len(c.steps) for c in cycles],
        "raw": raw,
        "engine": warm,
        "engine_cold_cache": cold,
        "engine_start_instance": results["warm"]["starts"],
        "overhead_ratio": ratio(warm["median_ms"], raw["median_ms"]),
        "overhead_ratio_p99": ratio(warm["p99_ms"], raw["p99_ms"]),
        "overhead_ratio_mean": ratio(warm["mean_ms"], raw["mean_ms"]),
        "overhead_ratio_cold_cache": ratio(cold["median_ms"], raw["median_ms"]),
    }
