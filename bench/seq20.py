"""Part 8, seq20: a process of 20 sequential user tasks driven over HTTP through a real
`lkj serve`, by one client and by 8 client threads, on SQLite (the default install: one
gunicorn worker, 8 threads) and on PostgreSQL (2 workers x 8 threads). A figure a peer
engine can be measured against with the same model and client.

Each completion is ONE request: `POST /tasks/{id}/complete {"claim": true, "data": ...}`
(the next task's id comes back in `next_tasks`). Reported per database and client count:
completions per second, the completion's median and p99 as the client sees it, and the
server's CPU per completion (its worker processes; on PostgreSQL the server's too).

The ceiling: the same server, in the same run, answering `GET /api/v1/me` (authenticated,
no engine work) from the same number of client threads; `share_of_ceiling` is completions
per second over those requests per second (one request each).
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from bench import server as srv
from bench.common import (
    ADMIN,
    context,
    cpu_seconds,
    fresh_postgres,
    now,
    postgres_cpu_seconds,
    postgres_reason,
    sqlite_url,
    summary,
)
from engine import usecases
from tests.engine import diagrams as d

KEY = "bench_seq20"
STEPS = 20
FORM = b'{"type": "object", "properties": {"value": {"type": "string"}}, ' \
       b'"additionalProperties": false}'


def _diagram() -> dict[str, bytes]:
    return {"seq20.bpmn": d.sequence(KEY, [("user", f"step_{n:02d}") for n in range(STEPS)],
                                     startable_by="staf")}


def _deploy(url: str, data_dir) -> None:
    ctx = context(url, data_dir)
    try:
        usecases.deploy(ctx, ADMIN, _diagram(), {"simple.json": FORM})
    finally:
        ctx.close()


def _drive(client: srv.Client, deadline: float, latencies: list, errors: list) -> int:
    """Instances one after another until the deadline; every completion timed."""
    done = 0
    while now() < deadline:
        started = client.post(f"/process-definitions/{KEY}/instances", {"variables": {}})
        if started.status_code != 201:
            errors.append(f"start {started.status_code} {started.text[:200]}")
            return done
        task = started.json()["open_tasks"][0]
        while task is not None:
            began = now()
            response = client.post(f"/tasks/{task['id']}/complete",
                                   {"claim": True, "data": {"value": "ok"}})
            seconds = now() - began
            if response.status_code != 200:
                errors.append(f"complete {response.status_code} {response.text[:200]}")
                return done
            latencies.append(seconds)
            done += 1
            following = response.json()["next_tasks"]
            task = following[0] if following else None
    return done


def _ceiling(base_url: str, clients: int, seconds: float, token_of) -> dict:
    latencies, lock = [], threading.Lock()
    deadline = now() + seconds

    def loop(number):
        client = token_of(number)
        mine = []
        while now() < deadline:
            began = now()
            if client.get("/me").status_code == 200:
                mine.append(now() - began)
        with lock:
            latencies.extend(mine)
    started = now()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(loop, range(clients)))
    elapsed = now() - started
    return {"requests_per_s": round(len(latencies) / elapsed, 1), **summary(latencies)}


def _on(url: str, workdir, name: str, workers: int, clients_list, seconds: float,
        postgres: bool) -> dict:
    _deploy(url, workdir / f"seq20-{name}-deploy")
    server = srv.Server(url, workdir / f"seq20-{name}", workers, 8)
    results = {"workers": workers, "threads": 8}
    try:
        server.wait_ready()
        admin = srv.Client(server.url, "admin", srv.ADMIN_PASSWORD)
        users = {f"seq_{n}": ["staf"] for n in range(max(clients_list))}
        srv.create_users(admin, users)
        clients = [srv.Client(server.url, name_, srv.USER_PASSWORD) for name_ in users]
        for count in clients_list:
            _drive(clients[0], now() + 1.0, [], [])  # warm: caches, connections, jail
            latencies, errors, lock = [], [], threading.Lock()
            pids = server.worker_pids()
            cpu_before = sum(cpu_seconds(p) or 0.0 for p in pids)
            pg_before = postgres_cpu_seconds() if postgres else 0.0
            deadline = now() + seconds
            started = now()

            def run(number, deadline=deadline):
                mine, my_errors = [], []
                _drive(clients[number], deadline, mine, my_errors)
                with lock:
                    latencies.extend(mine)
                    errors.extend(my_errors)
            with ThreadPoolExecutor(count) as pool:
                list(pool.map(run, range(count)))
            elapsed = now() - started
            server_cpu = sum(cpu_seconds(p) or 0.0 for p in pids) - cpu_before
            pg_cpu = postgres_cpu_seconds() - pg_before if postgres else None
            completions = len(latencies)
            ceiling = _ceiling(server.url, count, min(seconds, 5.0), lambda n: clients[n])
            per_s = completions / elapsed if elapsed else 0.0
            results[f"clients_{count}"] = {
                "completions": completions, "seconds": round(elapsed, 2),
                "completions_per_s": round(per_s, 1),
                "complete": summary(latencies),
                "server_cpu_ms_per_completion": round(server_cpu * 1000 / completions, 2)
                if completions else None,
                "postgresql_cpu_ms_per_completion": round(pg_cpu * 1000 / completions, 2)
                if completions and pg_cpu is not None else None,
                "errors": errors[:5], "error_count": len(errors),
                "ceiling": ceiling,
                "share_of_ceiling": round(per_s / ceiling["requests_per_s"], 3)
                if ceiling["requests_per_s"] else None,
            }
        for client in [admin, *clients]:
            client.close()
    finally:
        server.stop()
    return results


def run(workdir, quick: bool = False, postgres: bool = True) -> dict:
    seconds = 3.0 if quick else 20.0
    clients = (1, 2) if quick else (1, 8)
    results = {"steps": STEPS, "seconds_per_run": seconds}
    results["sqlite"] = _on(sqlite_url(workdir / "seq20", "seq20"), workdir, "sqlite", 1,
                            clients, seconds, postgres=False)
    reason = postgres_reason() if postgres else "left out (--no-postgres)"
    if reason is None:
        with fresh_postgres() as url:
            results["postgresql"] = _on(url, workdir, "pg", 2, clients, seconds,
                                        postgres=True)
    else:
        results["postgresql"] = {"skipped": reason}
    for database in ("sqlite", "postgresql"):
        for key, outcome in results[database].items():
            if key.startswith("clients_"):
                assert outcome["error_count"] == 0, (database, key, outcome["errors"])
                assert outcome["completions"] > 0, (database, key)
    return results
