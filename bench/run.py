"""Run the benchmark suite, print its table and write it as JSON.

    python -m bench                 # the full run (a few minutes on 2 cores) -> bench/results.json
    python -m bench --quick         # every part at tiny sizes (CI): asserts correctness only

Parts: overhead, growth, queue, http, memory, replay, scripts, isolation, seq20. See BENCHMARKS.md for what
each measures and the latest figures.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

if __package__ in (None, ""):  # `python bench/run.py`: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    BENCH_DIR,
    git_commit,
    load_average,
    machine_info,
    postgres_reason,
)

PARTS = ("overhead", "growth", "queue", "http", "memory", "replay", "scripts", "isolation",
         "seq20")
POSTGRES_PARTS = ("http", "memory")
DEFAULT_SHAPES = "2x8,3x6,4x4"

# figure key -> (label, target text, test on the value or None)
TARGETS = {
    "overhead_ratio": ("overhead: engine/raw per-completion median", "<= 3",
                       lambda v: v <= 3),
    "growth_ratio_raw": ("growth raw: median at 2,000 / at 100", "-", None),
    "growth_ratio_engine": ("growth engine: median at 2,000 / at 100", "<= 1.2 x raw",
                            None),  # decided against growth_ratio_raw below
    "queue_median_ms_1k": ("queue: list_tasks median, 1k instances (ms)", "<= 10",
                           lambda v: v <= 10),
    "queue_median_ms_100k": ("queue: list_tasks median, 100k instances (ms)", "<= 10",
                             lambda v: v <= 10),
    "queue_ratio": ("queue: 100k / 1k", "<= 1.5", lambda v: v <= 1.5),
    "http_completions_per_s": ("http: completions per second", ">= 200",
                               lambda v: v >= 200),
    "http_p50_ms": ("http: complete p50 (ms)", "-", None),
    "http_p99_ms": ("http: complete p99 (ms)", "<= 250", lambda v: v <= 250),
    "http_share_of_ceiling": ("http: completions/s over the server's own ceiling (/me rps / 2)",
                              ">= 0.6", lambda v: v >= 0.6),
    "http_5xx": ("http: 5xx responses", "0", lambda v: v == 0),
    "http_lost_or_duplicated": ("http: lost or duplicated completions", "0",
                                lambda v: v == 0),
    "replay_ms_200_events": ("replay: 200-event history (ms)", "-", None),
    "peak_rss_mb": ("memory: peak RSS of one worker (MiB)", "-", None),
    "script_condition_us_in_process": ("scripts: gateway condition, in-process median (µs)",
                                       "-", None),
    "script_condition_us_jail": ("scripts: gateway condition, jail median (µs)", "-", None),
    "script_small_us_in_process": ("scripts: small script, in-process median (µs)", "-", None),
    "script_small_us_jail": ("scripts: small script, jail median (µs)", "-", None),
    "isolation_claim_max_ms_sqlite": (
        "isolation: slowest claim while a script spins, SQLite (ms)", "<= 200",
        lambda v: v <= 200),
    "seq20_sqlite_1_per_s": ("seq20 SQLite, 1 client: completions per second", "-", None),
    "seq20_sqlite_1_cpu_ms": ("seq20 SQLite, 1 client: server CPU per completion (ms)", "<= 4",
                              lambda v: v <= 4),
    "seq20_sqlite_8_per_s": ("seq20 SQLite, 8 clients: completions per second", "-", None),
    "seq20_sqlite_8_p99_ms": ("seq20 SQLite, 8 clients: completion p99 (ms)", "<= 100",
                              lambda v: v <= 100),
    "seq20_sqlite_8_share": ("seq20 SQLite, 8 clients: share of the /me ceiling", "-", None),
    "seq20_postgresql_8_per_s": ("seq20 PostgreSQL, 8 clients: completions per second", "-",
                                 None),
    "seq20_postgresql_8_p99_ms": ("seq20 PostgreSQL, 8 clients: completion p99 (ms)", "-",
                                  None),
    "seq20_postgresql_8_share": ("seq20 PostgreSQL, 8 clients: share of the /me ceiling", "-",
                                 None),
    "isolation_claim_max_ms_postgresql": (
        "isolation: slowest claim while a script spins, PostgreSQL (ms)", "<= 200",
        lambda v: v <= 200),
}


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help="tiny sizes, for CI: checks correctness, asserts nothing about time")
    p.add_argument("--out", type=Path,
                   help="JSON file (default: bench/results.json; with --quick a temp file)")
    p.add_argument("--only", action="append", choices=PARTS, help="run only these parts")
    p.add_argument("--skip", action="append", choices=PARTS, default=[],
                   help="leave these parts out")
    p.add_argument("--no-postgres", action="store_true",
                   help="leave out everything that needs PostgreSQL")
    p.add_argument("--growth-mode", choices=("seeded", "full"), default="full",
                   help="how the engine instance gets its 2,000-task history (see growth.py)")
    p.add_argument("--http-duration", type=float, default=30.0, help="seconds of load")
    p.add_argument("--shapes", default=DEFAULT_SHAPES,
                   help="worker x thread shapes tried for 8 s each before the main HTTP run "
                        "(the best one runs it); '' to skip the sweep")
    p.add_argument("--memory-instances", type=int, default=1000,
                   help="instances one worker serves for the memory figure")
    p.add_argument("--queue-postgres", action="store_true",
                   help="also measure the queue on PostgreSQL (adds ~45 s)")
    p.add_argument("--keep", action="store_true", help="keep the work folder")
    return p.parse_args(argv)


def _shapes(text: str):
    return [tuple(int(n) for n in item.split("x")) for item in text.split(",") if item.strip()]


def run_parts(args, workdir: Path) -> tuple[dict, dict]:
    from bench import (
        growth,
        http_load,
        isolation,
        overhead,
        queue_scale,
        replay,
        scripts,
        seq20,
    )

    parts = [p for p in (args.only or PARTS) if p not in args.skip]
    pg_reason = "--no-postgres" if args.no_postgres else postgres_reason()
    details, errors = {}, {}
    for part in parts:
        if part in POSTGRES_PARTS and pg_reason:
            details[part] = {"skipped": f"needs PostgreSQL: {pg_reason}"}
            print(f"== {part}: skipped ({pg_reason})", flush=True)
            continue
        print(f"== {part} ...", flush=True)
        started = time.perf_counter()
        try:
            if part == "overhead":
                details[part] = overhead.run(workdir, quick=args.quick)
            elif part == "growth":
                details[part] = growth.run(workdir, quick=args.quick, mode=args.growth_mode)
            elif part == "queue":
                details[part] = queue_scale.run(
                    workdir, quick=args.quick, postgres=args.queue_postgres and not pg_reason)
            elif part == "http":
                details[part] = http_load.run(
                    workdir, quick=args.quick, shapes=[] if args.quick else _shapes(args.shapes),
                    duration=None if args.quick else args.http_duration)
            elif part == "memory":
                details[part] = http_load.memory(
                    workdir, instances=50 if args.quick else args.memory_instances,
                    clients=4 if args.quick else 8, threads=4 if args.quick else 8)
            elif part == "replay":
                details[part] = replay.run(workdir, quick=args.quick)
            elif part == "scripts":
                details[part] = scripts.run(workdir, quick=args.quick)
            elif part == "seq20":
                details[part] = seq20.run(workdir, quick=args.quick, postgres=not pg_reason)
            elif part == "isolation":
                details[part] = isolation.run(workdir, quick=args.quick,
                                              postgres=not pg_reason)
        except Exception as exc:  # reported in the JSON and the exit status, the rest still runs
            errors[part] = f"{type(exc).__name__}: {exc}"
            details[part] = {"error": errors[part], "traceback": traceback.format_exc()}
        print(f"   {part}: {time.perf_counter() - started:.1f} s", flush=True)
    return details, errors


def figures(details: dict) -> dict:
    """The headline figures (the keys compared across commits)."""
    get = lambda part, *keys: _dig(details.get(part), keys)  # noqa: E731
    queue = details.get("queue", {}).get("sqlite", {})
    sizes = queue.get("sizes") or [None, None]
    http = details.get("http", {}).get("main", {})
    return {
        "overhead_ratio": get("overhead", "overhead_ratio"),
        "growth_ratio_engine": get("growth", "growth_ratio_engine"),
        "growth_ratio_raw": get("growth", "growth_ratio_raw"),
        "queue_median_ms_1k": _dig(queue, (str(sizes[0]), "list_tasks_median_ms")),
        "queue_median_ms_100k": _dig(queue, (str(sizes[1]), "list_tasks_median_ms")),
        "queue_ratio": queue.get("ratio"),
        "http_completions_per_s": http.get("completions_per_s"),
        "http_p50_ms": _dig(http, ("complete", "median_ms")),
        "http_p99_ms": _dig(http, ("complete", "p99_ms")),
        "http_5xx": http.get("http_5xx"),
        "http_lost_or_duplicated": _dig(http, ("verification", "lost_or_duplicated")),
        "replay_ms_200_events": get("replay", "replay_ms_200_events"),
        "peak_rss_mb": get("memory", "peak_rss_mb"),
        "script_condition_us_in_process": get("scripts", "condition", "in_process", "median_us"),
        "script_condition_us_jail": get("scripts", "condition", "jail", "median_us"),
        "script_small_us_in_process": get("scripts", "script", "in_process", "median_us"),
        "script_small_us_jail": get("scripts", "script", "jail", "median_us"),
        "http_share_of_ceiling": http.get("share_of_ceiling"),
        "seq20_sqlite_1_per_s": get("seq20", "sqlite", "clients_1", "completions_per_s"),
        "seq20_sqlite_1_cpu_ms": get("seq20", "sqlite", "clients_1",
                                     "server_cpu_ms_per_completion"),
        "seq20_sqlite_8_per_s": get("seq20", "sqlite", "clients_8", "completions_per_s"),
        "seq20_sqlite_8_p99_ms": get("seq20", "sqlite", "clients_8", "complete", "p99_ms"),
        "seq20_sqlite_8_share": get("seq20", "sqlite", "clients_8", "share_of_ceiling"),
        "seq20_postgresql_8_per_s": get("seq20", "postgresql", "clients_8",
                                        "completions_per_s"),
        "seq20_postgresql_8_p99_ms": get("seq20", "postgresql", "clients_8", "complete",
                                         "p99_ms"),
        "seq20_postgresql_8_share": get("seq20", "postgresql", "clients_8",
                                        "share_of_ceiling"),
        "isolation_claim_max_ms_sqlite": get("isolation", "sqlite", "while_spinning_max_ms"),
        "isolation_claim_max_ms_postgresql": get("isolation", "postgresql",
                                                 "while_spinning_max_ms"),
    }


def _dig(value, keys):
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


CORRECTNESS = ("http_5xx", "http_lost_or_duplicated")


def verdicts(figs: dict, quick: bool = False) -> dict:
    """Target met (True/False) per figure; None where there is no target, no value, or (in
    quick mode) the target is about time, which tiny sizes on a CI machine cannot judge."""
    out = {}
    for key, (_, _, test) in TARGETS.items():
        value = figs.get(key)
        if quick and key not in CORRECTNESS:
            out[key] = None
        elif key == "growth_ratio_engine":
            raw = figs.get("growth_ratio_raw")
            out[key] = None if value is None or raw is None else value <= 1.2 * raw
        elif test is None or value is None:
            out[key] = None
        else:
            out[key] = bool(test(value))
    return out


def table(figs: dict, met: dict, queue_sizes=None) -> str:
    rows = [("figure", "value", "target", "met")]
    for key, (label, target, _) in TARGETS.items():
        if queue_sizes and key.startswith("queue_median_ms_"):
            size = queue_sizes[0] if key.endswith("_1k") else queue_sizes[1]
            label = f"queue: list_tasks median, {size:,} instances (ms)"
        value = figs.get(key)
        mark = {True: "yes", False: "NO", None: "-"}[met.get(key)]
        rows.append((label, "n/a" if value is None else f"{value:g}" if isinstance(
            value, (int, float)) else str(value), target, mark))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv if argv is not None else sys.argv[1:])
    started = time.perf_counter()
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="lkj-bench-") as tmp:
        workdir = Path(tmp)
        details, errors = run_parts(args, workdir)
        if args.keep:
            kept = Path(tempfile.mkdtemp(prefix="lkj-bench-kept-"))
            import shutil
            shutil.copytree(workdir, kept, dirs_exist_ok=True)
            print(f"work folder kept in {kept}")
    figs = figures(details)
    met = verdicts(figs, args.quick)
    result = {
        **figs,
        "targets_met": met,
        "quick": args.quick,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 1),
        "command": "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:]),
        **git_commit(),
        "machine": machine_info(),
        # Other processes on the machine (a test suite, another benchmark) skew every figure:
        # a load average above the core count during the run means the figures are pessimistic.
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "durability": "every acknowledged completion is committed before the response; "
                      "SQLite runs in WAL mode with synchronous=NORMAL (engine/persistence/db.py)",
        "details": details,
        "errors": errors,
    }
    out = args.out or (Path(tempfile.gettempdir()) / "lkj-bench-quick.json" if args.quick
                       else BENCH_DIR / "results.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print()
    print(table(figs, met, details.get("queue", {}).get("sqlite", {}).get("sizes")))
    print(f"\n{result['seconds']} s; load average before {load_before}, after "
          f"{result['load_average_after']} on {result['machine']['cores']} cores; "
          f"JSON written to {out}")
    if errors:
        print("errors: " + "; ".join(f"{k}: {v}" for k, v in errors.items()), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
