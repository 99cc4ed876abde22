"""A real API server for the HTTP parts: `python -m cli.main serve` (gunicorn, gthread workers)
in its own process group on 127.0.0.1, plus a small HTTP client helper."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from bench.common import ROOT, SECRET, rss_mb

# How the server is started; `lkj serve ...` follows. A profiling or experiment run may point
# this at a wrapper that sets things up first and then calls cli.main.main.
SERVER_COMMAND = [sys.executable, "-m", "cli.main"]
ADMIN_PASSWORD = "bench-admin-password"
USER_PASSWORD = "bench-user-password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`lkj serve --workers W --threads T --no-deploy` on the given database."""

    def __init__(self, database_url: str, data_dir: Path, workers: int, threads: int):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers, self.threads = workers, threads
        data_dir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.update({"LKJ_DATABASE_URL": database_url, "LKJ_DATA_DIR": str(data_dir),
                    "LKJ_ADMIN_PASSWORD": ADMIN_PASSWORD, "LKJ_SECRET_KEY": SECRET,
                    "LKJ_LOG_LEVEL": "WARNING"})
        self.log_path = data_dir / f"server-{self.port}.log"
        self.log = open(self.log_path, "w+")
        self.process = subprocess.Popen(
            [*SERVER_COMMAND, "serve", "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", str(workers), "--threads", str(threads),
             "--no-deploy"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)

    def wait_ready(self, timeout: float = 60) -> "Server":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.output()}")
            try:
                if requests.get(f"{self.url}/readyz", timeout=2).status_code == 200 \
                        and len(self.worker_pids()) >= self.workers:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server not ready in {timeout}s: {self.output()}")

    def worker_pids(self) -> list[int]:
        """The gunicorn workers: the children of the master (our process)."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # the process ended meanwhile
            if int(fields[1]) == self.process.pid:  # field 4 of /proc/PID/stat: ppid
                pids.append(int(stat.parent.name))
        return sorted(pids)

    def worker_memory(self) -> dict[int, dict]:
        return {pid: rss_mb(pid) for pid in self.worker_pids()}

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()[-5000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # gunicorn's graceful stop
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # its own group, started above
                self.process.wait()
        self.log.close()


class Client:
    """One user's requests.Session with a bearer token."""

    def __init__(self, base_url: str, username: str, password: str):
        self.base = f"{base_url}/api/v1"
        self.session = requests.Session()
        response = self.session.post(f"{self.base}/auth/token",
                                     json={"username": username, "password": password},
                                     timeout=30)
        response.raise_for_status()
        self.session.headers["Authorization"] = f"Bearer {response.json()['access_token']}"

    def post(self, path: str, payload=None, timeout: float = 30):
        return self.session.post(f"{self.base}{path}", json=payload, timeout=timeout)

    def get(self, path: str, params=None, timeout: float = 30):
        return self.session.get(f"{self.base}{path}", params=params, timeout=timeout)

    def close(self):
        self.session.close()


def create_users(admin: Client, users: dict[str, list[str]]) -> None:
    for username, roles in users.items():
        response = admin.post("/users", {"username": username, "password": USER_PASSWORD,
                                         "roles": roles})
        if response.status_code != 201:
            raise RuntimeError(f"creating {username}: {response.status_code} {response.text}")
