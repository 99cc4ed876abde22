"""The benchmark suite's quick mode (`python -m bench --quick`), so the bench cannot rot.

It asserts what the benchmarks must get right (every iteration of the loop really completed,
no acknowledged completion lost or duplicated, replay consistent), never how fast anything
was: CI machines are too noisy for that, and the tiny sizes say nothing about the targets.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT, postgres_reason

KEYS = ("overhead_ratio", "growth_ratio_engine", "growth_ratio_raw", "queue_median_ms_1k",
        "queue_median_ms_100k", "queue_ratio", "http_completions_per_s", "http_p50_ms",
        "http_p99_ms", "http_5xx", "http_lost_or_duplicated", "replay_ms_200_events",
        "peak_rss_mb", "machine", "commit")


def run_bench(tmp_path, *args) -> dict:
    out = tmp_path / "results.json"
    # The bench runs the engine as deployed: without the state-write check the other tests
    # turn on (it would make the 2,000-iteration loop minutes long).
    env = {k: v for k, v in os.environ.items() if k != "LKJ_CHECK_STATE_WRITES"}
    completed = subprocess.run([sys.executable, "-m", "bench", "--quick", "--out", str(out),
                                *args], cwd=ROOT, capture_output=True, text=True, timeout=600,
                               env=env)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    result = json.loads(out.read_text())
    assert all(key in result for key in KEYS), sorted(set(KEYS) - set(result))
    assert result["errors"] == {}
    return result


def test_the_in_process_parts_run_and_hold_their_invariants(tmp_path):
    result = run_bench(tmp_path, "--only", "overhead", "--only", "growth", "--only", "queue",
                       "--only", "replay")
    overhead = result["details"]["overhead"]
    assert overhead["raw"]["n"] == overhead["engine"]["n"] == overhead["completions"] > 0
    growth = result["details"]["growth"]
    window = growth["window"]
    assert growth["raw_completed"] == 2000 + window  # the loop did not stall at ~250
    for point in growth["points"]:
        engine = growth["engine_completed"][str(point)]
        assert engine == {"in_stored_workflow": point + window,
                          "task_rows_completed": point + window}
    queue = result["details"]["queue"]["sqlite"]
    for size in queue["sizes"]:
        assert queue[str(size)]["queue_total"] == len(range(0, size, 3))  # staf's third
    replay = result["details"]["replay"]
    assert replay["events"] == replay["events_replayed"] == 200 and replay["consistent"]
    assert result["overhead_ratio"] > 0 and result["replay_ms_200_events"] > 0


def test_the_http_and_memory_parts_lose_nothing(tmp_path):
    reason = postgres_reason()
    if reason:
        pytest.skip(f"the HTTP and memory benchmarks need PostgreSQL: {reason}")
    result = run_bench(tmp_path, "--only", "http", "--only", "memory")
    http = result["details"]["http"]["main"]
    assert http["completions"] > 0
    assert result["http_5xx"] == 0 and http["client_exceptions"] == 0
    assert result["http_lost_or_duplicated"] == 0, http["verification"]
    assert http["verification"]["acknowledged"] == http["verification"]["completed_rows"]
    memory = result["details"]["memory"]
    assert memory["instances_served"] == memory["completions"] == memory["instances_requested"]
    assert result["peak_rss_mb"] > 0
