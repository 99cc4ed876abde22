"""The scripts part of the benchmark in quick mode (`python -m bench --quick --only scripts`):
the jail computes what the in-process run computes, for the LKj cycle's own calls, and
sends only the variables a call names. Nothing about speed is asserted."""
from __future__ import annotations

from tests.bench.test_bench_quick import run_bench


def test_the_scripts_part_compares_the_same_results(tmp_path):
    result = run_bench(tmp_path, "--only", "scripts")
    scripts = result["details"]["scripts"]
    assert scripts["calls_in_one_cycle"] > 0
    for label in ("condition", "script"):
        case = scripts[label]
        assert case["in_process"]["n"] == case["jail"]["n"] == scripts["runs"]
        assert 0 < case["shipped_bytes"] <= case["task_data_bytes"]
    condition = scripts["condition"]
    assert condition["shipped_bytes"] < condition["task_data_bytes"] / 10
    assert result["script_condition_us_jail"] > 0 and result["script_small_us_jail"] > 0
