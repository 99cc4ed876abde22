"""Part 6, scripts: what the jail's process hop costs per evaluation, against running the
same RestrictedPython code in the server's own process (what the engine did before the jail;
kept here, for this comparison only).

The calls are the LKj procedure's own: one raw LKj cycle (bpmn/, 3 units, in memory) runs
with a recording environment in front of the jail, which keeps every gateway condition and
script with the task data it saw. Measured: the typical gateway condition
(`decision == "approve"`) and the small script that builds `unit_result`, each with the
largest task data it met in the cycle. Each is run `runs` times both ways; the medians are
per evaluation, in microseconds. The jail's workers are started (warm) before timing.
"""
from __future__ import annotations

import copy
import dataclasses
import json
import statistics

from bench.common import PROCEDURE_DIAGRAMS, PROCEDURE_FORMS, now, percentile
from bench.overhead import UNITS, raw_cycles
from engine.workflow import sandbox, script_rules
from tests.procedure.driver import load_model

CONDITION = 'decision == "approve"'
SCRIPT_ELEMENT = "record_unit_result"


class _Recorder(sandbox.JailedEnvironment):
    """The jailed environment, keeping (mode, source, data) of every call it answers."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def evaluate(self, expression, context, external_context=None, wanted=script_rules.JSON):
        self.calls.append(("eval", expression, copy.deepcopy(context)))
        return super().evaluate(expression, context, external_context, wanted)

    def execute(self, script, context, external_context=None):
        self.calls.append(("exec", script, copy.deepcopy(context)))
        return super().execute(script, context, external_context)


def in_process(mode: str, source: str, context: dict):
    """The RestrictedPython path without the jail: every variable in the globals, run here,
    the changes written back (an expression's value, or the changed context)."""
    program = script_rules.prepare(source, mode)
    scope = script_rules.scope_for(context)
    value = script_rules.run(program, scope)
    if mode == "eval":
        return value
    for name in list(context):
        if name not in scope:
            del context[name]
    for name in program.written:
        if name in scope and not callable(scope[name]):
            context[name] = scope[name]
    return context


def jailed(mode: str, source: str, context: dict):
    environment = sandbox.SCRIPT_ENGINE.environment
    if mode == "eval":
        return environment.evaluate(source, context, wanted=script_rules.TRUTH)
    environment.execute(source, context)
    return context


def _largest(calls, mode: str, source_test) -> tuple[str, dict]:
    found = [(source, data) for kind, source, data in calls if kind == mode and source_test(source)]
    assert found, f"the LKj cycle made no {mode} call of that kind"
    return max(found, key=lambda call: len(json.dumps(call[1])))


def _time(function, mode: str, source: str, data: dict, runs: int) -> tuple[list, object]:
    seconds, result = [], None
    for _ in range(runs):
        context = copy.deepcopy(data)  # a script changes its context: each run gets its own
        started = now()
        result = function(mode, source, context)
        seconds.append(now() - started)
    return seconds, result


def _us(values: list[float]) -> dict:
    return {"n": len(values), "median_us": round(statistics.median(values) * 1e6, 1),
            "p99_us": round(percentile(values, 99) * 1e6, 1)}


def run(workdir, quick: bool = False) -> dict:
    runs = 50 if quick else 3000
    model = load_model(PROCEDURE_DIAGRAMS, PROCEDURE_FORMS)
    recorder = _Recorder()
    engine_environment = sandbox.SCRIPT_ENGINE.environment
    sandbox.SCRIPT_ENGINE.environment = recorder
    try:
        raw_cycles(model, 1, UNITS)
    finally:
        sandbox.SCRIPT_ENGINE.environment = engine_environment
    script = model.spec_and_subprocesses("lkj_unit_data")[0].task_specs[SCRIPT_ELEMENT].script
    cases = {
        "condition": ("eval", *_largest(recorder.calls, "eval", lambda s: s.strip() == CONDITION)),
        "script": ("exec", *_largest(recorder.calls, "exec", lambda s: s == script)),
    }
    jailed("eval", "True", {})  # the pool's first worker starts here, not in the timing
    out = {"runs": runs, "calls_in_one_cycle": len(recorder.calls),
           "limits": {**dataclasses.asdict(sandbox.jail().limits),
                      "cpu_s": sandbox.jail().limits.cpu_s}}
    for label, (mode, source, data) in cases.items():
        here, here_result = _time(in_process, mode, source, data, runs)
        there, there_result = _time(jailed, mode, source, data, runs)
        # The jail must compute exactly what the in-process run computes.
        assert here_result == there_result, (label, here_result, there_result)
        named = {n: data[n] for n in script_rules.prepare(source, mode).names if n in data}
        out[label] = {
            "source": source,
            "task_data_bytes": len(json.dumps(data)),
            "variables": len(data),
            "shipped_bytes": len(json.dumps(named)),
            "in_process": _us(here),
            "jail": _us(there),
            "hop_us": round((statistics.median(there) - statistics.median(here)) * 1e6, 1),
        }
    return out
