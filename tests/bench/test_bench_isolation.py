"""The isolation part of the benchmark in quick mode: claims on other instances go through
while one instance's script spins to its limit (the spinning instance ends in `error`).
Nothing about speed is asserted."""
from __future__ import annotations

from tests.bench.test_bench_quick import run_bench


def test_claims_go_through_while_a_script_spins(tmp_path):
    result = run_bench(tmp_path, "--only", "isolation")
    isolation = result["details"]["isolation"]
    for database in ("sqlite", "postgresql"):
        outcome = isolation[database]
        if "skipped" in outcome:
            assert database == "postgresql", outcome
            continue
        assert outcome["spinning_instance_status"] == "error"
        assert outcome["while_spinning"]["n"] > 0
        # the claims that were timed all finished while the script still ran
        assert outcome["claiming_seconds"] < outcome["spin_seconds"]
