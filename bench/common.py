"""Shared pieces of the benchmark suite: timing and statistics, throwaway databases, the
acting users, reading diagram folders, and the facts of the machine a run came from."""
from __future__ import annotations

import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from engine.persistence.schema import upgrade
from engine.settings import Settings
from engine.usecases.context import EngineContext
from engine.usecases.views import Actor
from engine.workflow.model import KNOWN_ROLES

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
BENCH_DIAGRAMS = BENCH_DIR / "diagrams"
BENCH_FORMS = BENCH_DIR / "forms"
PROCEDURE_DIAGRAMS = ROOT / "bpmn"
PROCEDURE_FORMS = ROOT / "forms"
# The PostgreSQL server the HTTP part creates its own database on (and drops it after).
PG_ADMIN_URL = os.environ.get(
    "LKJ_BENCH_PG_URL",
    os.environ.get("LKJ_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
SECRET = "bench-secret-key-that-is-long-enough-for-hs256"

ADMIN = Actor("bench_admin", frozenset({"admin"}))


def worker(username: str, *roles: str) -> Actor:
    return Actor(username, frozenset(roles))


def everyone(username: str = "bench_all", units=()) -> Actor:
    """An actor holding every role of the procedure (and the given units' queues), so one
    actor can claim and complete every task of a cycle."""
    roles = set(KNOWN_ROLES) | {f"satuan_kerja:{u}" for u in units}
    return Actor(username, frozenset(roles))


# ---------------------------------------------------------------- timing and statistics

now = time.perf_counter


def percentile(values, q: float) -> float:
    """The q-th percentile (0..100), linear between closest ranks (numpy's default)."""
    values = sorted(values)
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 10) - 1] \
        if 0 < q < 100 else (values[0] if q <= 0 else values[-1])


def ms(seconds: float | None, digits: int = 3) -> float | None:
    return None if seconds is None else round(seconds * 1000, digits)


def summary(seconds: list[float]) -> dict:
    """n, median, p99 and mean of a list of durations in seconds, as milliseconds."""
    if not seconds:
        return {"n": 0, "median_ms": None, "p99_ms": None, "mean_ms": None}
    return {"n": len(seconds), "median_ms": ms(statistics.median(seconds)),
            "p99_ms": ms(percentile(seconds, 99)), "mean_ms": ms(statistics.fmean(seconds))}


def ratio(a: float | None, b: float | None, digits: int = 3) -> float | None:
    if a is None or b in (None, 0):
        return None
    return round(a / b, digits)


# ---------------------------------------------------------------- databases

def read_folder(diagrams_dir: Path, forms_dir: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    diagrams = {p.name: p.read_bytes() for p in sorted(Path(diagrams_dir).glob("*.bpmn"))}
    form_files = {p.name: p.read_bytes() for p in sorted(Path(forms_dir).glob("*.json"))}
    return diagrams, form_files


def sqlite_url(folder: Path, name: str) -> str:
    """A migrated SQLite database file in `folder` (WAL, synchronous=NORMAL: the engine's
    own settings, engine/persistence/db.py)."""
    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder / (name + '.sqlite3')}"
    upgrade(url)
    return url


def context(url: str, data_dir: Path, workflow_cache_size: int = 256) -> EngineContext:
    settings = Settings.from_env(database_url=url, data_dir=data_dir, secret_key=SECRET)
    return EngineContext(settings, workflow_cache_size=workflow_cache_size)


def postgres_reason(url: str = PG_ADMIN_URL) -> str | None:
    """Why PostgreSQL cannot be used, or None when it answers (same test as the suite's)."""
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure to connect means: skip that part, and say why
        return f"PostgreSQL does not answer at {url}: {type(exc).__name__}"


@contextmanager
def fresh_postgres(admin_url: str = PG_ADMIN_URL, prefix: str = "lkj_bench"):
    """A new, migrated database `lkj_bench_<random>` on the server; dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def postgres_version(url: str = PG_ADMIN_URL) -> str | None:
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            version = connection.execute(text("show server_version")).scalar()
        engine.dispose()
        return version
    except Exception:  # reported as unknown; the PostgreSQL parts say why they skipped
        return None


# ---------------------------------------------------------------- the machine

def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _package_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def git_commit() -> dict:
    def git(*args):
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""
    commit = git("rev-parse", "HEAD") or None
    dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    return {"commit": commit, "dirty": dirty}


def load_average() -> list[float] | None:
    """1, 5 and 15 minute load averages: other work on the machine shows here."""
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except (OSError, ValueError):
        return None


def machine_info() -> dict:
    return {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "memory_gib": _memory_gib(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_version(),
        "spiffworkflow": _package_version("SpiffWorkflow"),
        "sqlalchemy": _package_version("SQLAlchemy"),
        "psycopg": _package_version("psycopg"),
        "gunicorn": _package_version("gunicorn"),
        "flask": _package_version("Flask"),
        "executable": sys.executable,
    }


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process so far (/proc/<pid>/stat), in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def postgres_cpu_seconds() -> float:
    """CPU time so far of every process named `postgres` on this machine (the server the
    HTTP parts use runs here: 127.0.0.1)."""
    total = 0.0
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == "postgres":
                total += cpu_seconds(int(comm.parent.name)) or 0.0
        except (OSError, ValueError):
            continue  # the process ended meanwhile
    return total


def rss_mb(pid: int) -> dict:
    """VmRSS and VmHWM (peak) of a process, from /proc/<pid>/status, in MiB."""
    values = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = round(int(rest.split()[0]) / 1024, 1)
    except OSError:
        pass
    return values
