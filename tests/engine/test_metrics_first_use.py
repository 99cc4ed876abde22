"""The metrics are made on first use; the first requests of a server may arrive together,
and each must find them made once (a second registration would fail that request)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RACE = """
import threading
from engine import metrics
barrier = threading.Barrier(32)
made, failed = [], []
def first_use():
    barrier.wait()
    try:
        made.append(id(metrics.metrics()))
    except Exception as exc:
        failed.append(repr(exc))
threads = [threading.Thread(target=first_use) for _ in range(32)]
[t.start() for t in threads]
[t.join() for t in threads]
assert not failed, failed[0]
assert len(set(made)) == 1, "made more than once"
"""


def test_threads_using_the_metrics_first_at_once_all_get_them():
    for _ in range(3):  # each run a fresh process: the metrics not made yet
        run = subprocess.run([sys.executable, "-c", RACE], cwd=ROOT, capture_output=True,
                             text=True, timeout=120)
        assert run.returncode == 0, run.stderr[-2000:]
