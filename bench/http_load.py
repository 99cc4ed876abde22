"""Part 4, concurrent HTTP: a real server (`lkj serve`: gunicorn gthread workers) on a fresh
PostgreSQL database, and 16 client threads (one requests.Session each, loopback only, bounded
in time and count) that list their role's ready tasks and claim-and-complete one (`POST
/tasks/{id}/complete {"claim": true, ...}`: two requests per completion), across 100
instances of bench/diagrams/bench_chain.bpmn (rounds of draft -> check -> approve, one role
each).

The ceiling, in the same run: the same server answering `GET /api/v1/me` (authenticated, no
engine work) from 16 client threads. `share_of_ceiling` = completions per second over half
those requests per second (a completion takes two requests).

Afterwards the database is checked against what the clients were told: every completion
acknowledged with 200 is `completed` by its user exactly once in the task rows, has exactly
one `task_completed` event, and nothing else was completed; each instance's stored workflow
holds as many completed user tasks as its completed rows; a sample of instances is replayed
from its event log (`usecases.replay_instance`).

Part 5's memory figure runs here too: one worker serving N instances (start, claim, complete
each), its VmHWM read from /proc.
"""
from __future__ import annotations

import os
import random
import threading
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import text

from bench import server as srv
from bench.common import (
    ADMIN,
    BENCH_DIAGRAMS,
    BENCH_FORMS,
    context,
    cpu_seconds,
    fresh_postgres,
    now,
    postgres_cpu_seconds,
    read_folder,
    summary,
)
from engine import usecases
from engine.persistence import state_store
from engine.persistence.tables import ProcessInstance

ROLES = ("staf", "kepala_subbagian", "kepala_bagian")
KEY = "bench_chain"


def deploy_bench(url: str, data_dir) -> None:
    ctx = context(url, data_dir)
    try:
        diagrams, form_files = read_folder(BENCH_DIAGRAMS, BENCH_FORMS)
        usecases.deploy(ctx, ADMIN, diagrams, form_files)
    finally:
        ctx.close()


class Recorder:
    """Every request's (kind, status, seconds), and the acknowledged completions."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests: list[tuple[str, object, float]] = []
        self.acked: list[tuple[str, str]] = []  # (task id, username)
        self.completions = 0
        self.exception_examples: list[str] = []  # the first few client-side failures, in full

    def record(self, kind: str, status, seconds: float):
        with self.lock:
            self.requests.append((kind, status, seconds))

    def ack(self, task_id: str, username: str):
        with self.lock:
            self.acked.append((task_id, username))
            self.completions += 1


def _call(recorder: Recorder, kind: str, fn):
    started = now()
    try:
        response = fn()
    except Exception as exc:  # a failed request is counted by its kind, never raised
        recorder.record(kind, f"exception:{type(exc).__name__}", now() - started)
        with recorder.lock:
            if len(recorder.exception_examples) < 5:
                recorder.exception_examples.append(f"{kind}: {type(exc).__name__}: {exc}")
        return None
    recorder.record(kind, response.status_code, now() - started)
    return response


def client_loop(client: srv.Client, username: str, role: str, recorder: Recorder,
                shared: dict, max_completions: int, total_tasks: int, barrier) -> None:
    rng = random.Random(username)
    mine = 0
    barrier.wait()
    deadline = shared["deadline"]  # set by the main thread before it passed the barrier
    while now() < deadline and mine < max_completions and recorder.completions < total_tasks:
        listing = _call(recorder, "list", lambda: client.get(
            "/tasks", {"role": role, "state": "ready", "limit": 20}))
        if listing is None or listing.status_code != 200:
            continue
        items = listing.json()["items"]
        if not items:
            threading.Event().wait(0.005)
            continue
        task_id = rng.choice(items)["id"]
        # claimed and completed in one request (409 when another client was first)
        data = {"claim": True, "data": {"note": f"{username} {mine}", "score": mine}}
        done = _call(recorder, "complete", lambda: client.post(f"/tasks/{task_id}/complete", data))
        if done is not None and done.status_code == 200:
            recorder.ack(task_id, username)
            mine += 1


def load(base_url: str, threads: int, instances: int, rounds: int, duration: float,
         max_completions_per_thread: int, on_go=lambda: None):
    """Create the users, start the instances, then let the clients loose; `on_go` is called
    right before they start (the CPU meter starts there). Returns (recorder, seconds of
    load, instance ids)."""
    admin = srv.Client(base_url, "admin", srv.ADMIN_PASSWORD)
    users = {f"client{i:02d}": [ROLES[i % len(ROLES)]] for i in range(threads)}
    users["starter"] = ["staf"]
    srv.create_users(admin, users)
    admin.close()
    starter = srv.Client(base_url, "starter", srv.USER_PASSWORD)
    instance_ids = []
    for _ in range(instances):
        response = starter.post(f"/process-definitions/{KEY}/instances",
                                {"variables": {"rounds": rounds}})
        if response.status_code != 201:
            raise RuntimeError(f"start: {response.status_code} {response.text}")
        instance_ids.append(response.json()["id"])
    starter.close()
    clients = [(srv.Client(base_url, name, srv.USER_PASSWORD), name, roles[0])
               for name, roles in users.items() if name != "starter"]
    recorder = Recorder()
    total_tasks = instances * rounds * 3
    barrier = threading.Barrier(len(clients) + 1)
    with ThreadPoolExecutor(len(clients)) as pool:
        futures, shared = [], {}
        for client, name, role in clients:
            futures.append(pool.submit(client_loop, client, name, role, recorder, shared,
                                       max_completions_per_thread, total_tasks, barrier))
        on_go()
        started = now()
        shared["deadline"] = started + duration  # read by the loops after the barrier
        barrier.wait()
        for future in futures:
            future.result()
        elapsed = now() - started
    for client, _, _ in clients:
        client.close()
    return recorder, elapsed, instance_ids


def completed_user_tasks(wf) -> int:
    """Completed user tasks in a workflow and every subprocess it ran (get_tasks does not
    descend into finished embedded subprocesses)."""
    workflows = [wf, *wf.subprocesses.values()]
    return sum(1 for w in workflows for t in w.tasks.values()
               if t.task_spec.manual and t.state == TaskState.COMPLETED)


def verify(ctx, recorder: Recorder, instance_ids: list[str], replay_sample: int) -> dict:
    """Compare what the clients were told with the task rows, the event log and the stored
    workflows."""
    acked = Counter(task_id for task_id, _ in recorder.acked)
    acked_by = dict(recorder.acked)
    engine = ctx.db.engine
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT id, state, completed_by, process_instance_id FROM task "
            "WHERE process_instance_id = ANY(:ids)"), {"ids": instance_ids}).fetchall()
        events = dict(connection.execute(text(
            "SELECT task_id, count(*) FROM event WHERE type = 'task_completed' "
            "AND process_instance_id = ANY(:ids) GROUP BY task_id"), {"ids": instance_ids}).fetchall())
    by_id = {r.id: r for r in rows}
    completed_rows = {r.id for r in rows if r.state == "completed"}
    lost = [t for t in acked if t not in by_id or by_id[t].state != "completed"
            or by_id[t].completed_by != acked_by[t]]
    duplicated_acks = [t for t, n in acked.items() if n > 1]
    unacknowledged = sorted(completed_rows - set(acked))
    event_missing = [t for t in acked if events.get(t, 0) == 0]
    event_duplicated = [t for t, n in events.items() if n > 1]
    per_instance_rows = Counter(r.process_instance_id for r in rows if r.state == "completed")
    state_mismatch = []
    with ctx.db.read() as s:
        for instance_id in instance_ids:
            instance = s.get(ProcessInstance, instance_id)
            wf, _ = state_store.load(s, instance, ctx.executable(instance.definition))
            in_state = completed_user_tasks(wf)
            if in_state != per_instance_rows.get(instance_id, 0):
                state_mismatch.append(instance_id)
    replay_inconsistent = []
    for instance_id in instance_ids[:replay_sample]:
        report = usecases.replay_instance(ctx, ADMIN, instance_id)
        if not report.consistent:
            replay_inconsistent.append({"instance": instance_id,
                                        "divergence": str(report.divergence)})
    problems = {"lost": len(lost), "duplicated_acknowledgements": len(duplicated_acks),
                "completed_without_acknowledgement": len(unacknowledged),
                "acknowledged_without_event": len(event_missing),
                "duplicated_events": len(event_duplicated),
                "instances_state_mismatch": len(state_mismatch),
                "replay_inconsistent": len(replay_inconsistent)}
    return {"acknowledged": len(recorder.acked), "completed_rows": len(completed_rows),
            "checks": problems, "lost_or_duplicated": sum(problems.values()),
            "replayed_instances": min(replay_sample, len(instance_ids)),
            "examples": {"lost": lost[:5], "unacknowledged": unacknowledged[:5],
                         "replay": replay_inconsistent[:3]}}


def _statuses(recorder: Recorder) -> dict:
    by_kind = defaultdict(Counter)
    for kind, status, _ in recorder.requests:
        by_kind[kind][str(status)] += 1
    return {kind: dict(sorted(counts.items())) for kind, counts in sorted(by_kind.items())}


def baseline(base_url: str, clients: int, seconds: float) -> dict:
    """What the stack serves with no engine work: GET /healthz from the same number of
    client threads (requests.Session each) for a few seconds."""
    recorder = Recorder()
    deadline = now() + seconds

    def loop(_):
        import requests
        with requests.Session() as session:
            while now() < deadline:
                _call(recorder, "healthz", lambda: session.get(f"{base_url}/healthz", timeout=30))
    started = now()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(loop, range(clients)))
    elapsed = now() - started
    ok = [s for _, st, s in recorder.requests if st == 200]
    return {"requests_per_s": round(len(ok) / elapsed, 1), **summary(ok)}


def me_ceiling(base_url: str, clients: int, seconds: float) -> dict:
    """What the server answers with authentication but no engine work: GET /api/v1/me from
    `clients` threads, each signed in as a user of its own."""
    admin = srv.Client(base_url, "admin", srv.ADMIN_PASSWORD)
    users = {f"ceiling{i:02d}": ["staf"] for i in range(clients)}
    srv.create_users(admin, users)
    admin.close()
    sessions = [srv.Client(base_url, name, srv.USER_PASSWORD) for name in users]
    recorder = Recorder()
    deadline = now() + seconds

    def loop(client):
        while now() < deadline:
            _call(recorder, "me", lambda: client.get("/me"))
    started = now()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(loop, sessions))
    elapsed = now() - started
    for client in sessions:
        client.close()
    ok = [s for _, st, s in recorder.requests if st == 200]
    return {"requests_per_s": round(len(ok) / elapsed, 1), **summary(ok)}


class CpuMeter:
    """CPU seconds used meanwhile by the server's workers, PostgreSQL and this (client)
    process: where the machine's two cores went."""

    def __init__(self, server: srv.Server):
        self.server = server
        self.pids = server.worker_pids()
        self.start = self._read()

    def _read(self):
        times = os.times()
        return {"workers": sum(cpu_seconds(p) or 0.0 for p in self.pids),
                "postgresql": postgres_cpu_seconds(),
                "clients": times.user + times.system}

    def used(self, completions: int) -> dict:
        end = self._read()
        used = {k: round(end[k] - self.start[k], 2) for k in end}
        per = {f"{k}_ms_per_completion": round(v * 1000 / completions, 2) if completions else None
               for k, v in used.items()}
        return {"cpu_seconds": used, **per}


def one_shape(workdir, workers: int, threads: int, clients: int, instances: int, rounds: int,
              duration: float, max_per_thread: int, replay_sample: int,
              quick_baseline: bool = True) -> dict:
    with fresh_postgres() as url:
        deploy_bench(url, workdir / "http-deploy")
        server = srv.Server(url, workdir / f"http-{workers}x{threads}", workers, threads)
        try:
            server.wait_ready()
            idle = baseline(server.url, clients, 2 if quick_baseline else 4)
            meters = []
            recorder, elapsed, instance_ids = load(
                server.url, clients, instances, rounds, duration, max_per_thread,
                on_go=lambda: meters.append(CpuMeter(server)))
            cpu = meters[0].used(recorder.completions)
            memory = server.worker_memory()
            ceiling = me_ceiling(server.url, clients, 2 if quick_baseline else 5)
        finally:
            server.stop()
        ctx = context(url, workdir / "http-verify")
        try:
            checked = verify(ctx, recorder, instance_ids, replay_sample)
        finally:
            ctx.close()
    latencies = defaultdict(list)
    for kind, status, seconds in recorder.requests:
        if status == 200:
            latencies[kind].append(seconds)
    statuses = _statuses(recorder)
    five_xx = sum(n for counts in statuses.values() for status, n in counts.items()
                  if status.startswith("5"))
    exceptions = sum(n for counts in statuses.values() for status, n in counts.items()
                     if status.startswith("exception"))
    completions = recorder.completions
    return {
        "workers": workers, "threads": threads, "clients": clients, "instances": instances,
        "rounds": rounds, "duration_s": round(elapsed, 2),
        "completions": completions,
        "completions_per_s": round(completions / elapsed, 1) if elapsed else None,
        "requests_per_s": round(len(recorder.requests) / elapsed, 1) if elapsed else None,
        "complete": summary(latencies["complete"]),
        "list": summary(latencies["list"]),
        "statuses": statuses, "http_5xx": five_xx, "client_exceptions": exceptions,
        "client_exception_examples": recorder.exception_examples,
        "verification": checked,
        "cpu": cpu,
        "healthz_baseline": idle,
        "me_ceiling": ceiling,
        "share_of_ceiling": round(completions / elapsed / (ceiling["requests_per_s"] / 2), 3)
        if elapsed and ceiling["requests_per_s"] else None,
        "worker_rss_mb": {str(pid): m for pid, m in memory.items()},
    }


def run(workdir, quick: bool = False, shapes=None, duration: float | None = None) -> dict:
    if quick:
        main = one_shape(workdir, workers=2, threads=4, clients=4, instances=6, rounds=2,
                         duration=duration or 5, max_per_thread=50, replay_sample=6)
        return {"main": main, "shapes": []}
    duration = duration or 30
    sweep = []
    for workers, threads in shapes or ():
        sweep.append(one_shape(workdir, workers, threads, clients=16, instances=100, rounds=40,
                               duration=8, max_per_thread=2000, replay_sample=0))
    best = max(sweep, key=lambda r: r["completions_per_s"] or 0) if sweep else None
    workers, threads = (best["workers"], best["threads"]) if best else (2, 8)
    main = one_shape(workdir, workers, threads, clients=16, instances=100, rounds=40,
                     duration=duration, max_per_thread=5000, replay_sample=5,
                     quick_baseline=False)
    return {"main": main, "shapes": [{k: r[k] for k in (
        "workers", "threads", "duration_s", "completions", "completions_per_s", "complete",
        "http_5xx", "statuses", "client_exception_examples", "cpu", "healthz_baseline")}
        | {"lost_or_duplicated": r["verification"]["lost_or_duplicated"]} for r in sweep]}


# ---------------------------------------------------------------- memory (part 5)

def _serve_instances(client: srv.Client, username: str, count: int, recorder: Recorder,
                     deadline: float) -> int:
    served = 0
    for i in range(count):
        if now() > deadline:
            break
        started = _call(recorder, "start", lambda: client.post(
            f"/process-definitions/{KEY}/instances", {"variables": {"rounds": 1}}))
        if started is None or started.status_code != 201:
            continue
        task_id = started.json()["open_tasks"][0]["id"]
        claim = _call(recorder, "claim", lambda: client.post(f"/tasks/{task_id}/claim"))
        if claim is not None and claim.status_code == 200:
            done = _call(recorder, "complete", lambda: client.post(
                f"/tasks/{task_id}/complete", {"data": {"note": f"{username} {i}"}}))
            if done is not None and done.status_code == 200:
                recorder.ack(task_id, username)
        served += 1
    return served


def memory(workdir, instances: int, threads: int = 8, clients: int = 8,
           time_limit: float = 900, checkpoints: int = 5) -> dict:
    """One worker serves `instances` instances (start, claim, complete each) to `clients`
    concurrent users; its RSS after start, after their logins and after each checkpoint,
    and its peak (VmHWM) at the end."""
    samples = []
    with fresh_postgres() as url:
        deploy_bench(url, workdir / "memory-deploy")
        server = srv.Server(url, workdir / "memory", workers=1, threads=threads)
        try:
            server.wait_ready()
            [pid] = server.worker_pids()
            samples.append({"after": "start", "instances": 0, **srv.rss_mb(pid)})
            admin = srv.Client(server.url, "admin", srv.ADMIN_PASSWORD)
            names = [f"mem{i:02d}" for i in range(clients)]
            srv.create_users(admin, {name: ["staf"] for name in names})
            admin.close()
            samples.append({"after": f"admin login + {clients} users created",
                            "instances": 0, **srv.rss_mb(pid)})
            with ThreadPoolExecutor(clients) as pool:  # the users sign in at the same time
                sessions = list(pool.map(
                    lambda name: srv.Client(server.url, name, srv.USER_PASSWORD), names))
            samples.append({"after": f"{clients} concurrent logins", "instances": 0,
                            **srv.rss_mb(pid)})
            recorder = Recorder()
            deadline = now() + time_limit
            started = now()
            served = 0
            step = max(1, instances // checkpoints)
            while served < instances and now() < deadline:
                batch = min(step, instances - served)
                shares = [batch // clients + (1 if i < batch % clients else 0)
                          for i in range(clients)]
                with ThreadPoolExecutor(clients) as pool:
                    served += sum(pool.map(
                        lambda args: _serve_instances(*args, recorder, deadline),
                        zip(sessions, names, shares)))
                samples.append({"after": "serving", "instances": served,
                                "seconds": round(now() - started, 1), **srv.rss_mb(pid)})
            elapsed = now() - started
            for session in sessions:
                session.close()
            final = srv.rss_mb(pid)
        finally:
            server.stop()
    serving = [x for x in samples if x["after"] == "serving"]
    return {"instances_requested": instances, "instances_served": served,
            "completions": recorder.completions, "seconds": round(elapsed, 1),
            "instances_per_s": round(served / elapsed, 1) if elapsed else None,
            "worker_threads": threads, "clients": clients,
            "peak_rss_mb": final.get("VmHWM"), "rss_mb": final.get("VmRSS"),
            "rss_growth_mb_while_serving": round(serving[-1]["VmRSS"] - serving[0]["VmRSS"], 1)
            if len(serving) > 1 else None,
            "peak_rss_mb_before_logins": samples[1].get("VmHWM"),
            "samples": samples, "statuses": _statuses(recorder),
            "complete": summary([s for k, st, s in recorder.requests
                                 if k == "complete" and st == 200]),
            "start": summary([s for k, st, s in recorder.requests if k == "start" and st == 201])}
