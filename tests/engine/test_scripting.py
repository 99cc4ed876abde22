"""Scripts in diagrams are untrusted: they run in the jail, separate processes under hard
limits of time, memory and data, which no `try`/`except` in a script can defeat. A script
that breaks a limit puts its instance in `error` with a message an admin can act on; the
server itself neither hangs nor grows. Also in an instance loaded back from the database
(SpiffWorkflow does not serialize its script engine)."""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from engine import usecases
from engine.errors import WorkflowError
from engine.persistence.tables import ProcessInstance
from engine.settings import InvalidSettings, Settings
from engine.usecases.context import EngineContext
from engine.workflow import sandbox
from engine.workflow.jail import Jail
from engine.workflow.sandbox import (
    JailedEnvironment,
    Limits,
    ScriptFailed,
    ScriptRejected,
    ScriptTimeout,
    check_source,
)
from tests.conftest import ADMIN, ROOT, actor
from tests.engine import diagrams as d

STAF = actor("staf1", "staf")
LIMIT_S = 0.5
MEMORY_MIB = 256
DATA_BYTES = 1024 * 1024
JSON_RULE = "task data must be JSON (str, number, bool, null, list, object)"


@pytest.fixture
def settings(settings):
    """Small limits keep the bombs below quick."""
    return dataclasses.replace(settings, script_time_limit_s=LIMIT_S,
                               script_memory_mib=MEMORY_MIB, script_max_data_bytes=DATA_BYTES)


@pytest.fixture
def jailed(ctx):
    """An environment on the jail the context configured (the test's small limits)."""
    assert sandbox.jail().limits.time_s == LIMIT_S
    return JailedEnvironment()


# ---------------------------------------------------------------- through the use cases

def run_script_process(ctx, settings, script, variables=None):
    """Start a process `user task -> script -> user task` and complete the first task from a
    fresh context, so the workflow comes from the database, not a cache.
    (result, instance view, seconds the completion took)."""
    usecases.deploy(ctx, ADMIN, {"s.bpmn": d.sequence("scripted", [
        ("user", "before"), ("script", script), ("user", "after")])},
        {"simple.json": d.SIMPLE_FORM})
    instance = usecases.start_instance(ctx, ADMIN, "scripted", variables or {})
    fresh = EngineContext(settings)
    try:
        task = instance.open_tasks[0]
        usecases.claim_task(fresh, STAF, task.id)
        started = time.monotonic()
        result = usecases.complete_task(fresh, STAF, task.id, {"value": "x"})
        seconds = time.monotonic() - started
        return result, usecases.get_instance(fresh, ADMIN, instance.id), seconds
    finally:
        fresh.close()


def peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc/self/status")


BOMBS = {
    "loop catching the timeout": ("n = 0\nwhile True:\n    try:\n        n += 1\n"
                                  "    except Exception:\n        pass",
                                  f"script exceeded its time limit of {LIMIT_S:g} s"),
    "loop with a bare except": ("n = 0\nwhile True:\n    try:\n        n += 1\n"
                                "    except:\n        pass",
                                f"script exceeded its time limit of {LIMIT_S:g} s"),
    "one long built-in call": ("x = sum(range(2 * 10**8))",
                               f"script exceeded its time limit of {LIMIT_S:g} s"),
    "a 1 GB string": ("x = 'x' * 10**9",
                      f"script ran out of memory (limit {MEMORY_MIB} MiB)"),
    "memory filled, MemoryError caught": (
        "x = []\nwhile True:\n    try:\n        x.append('y' * 10**7)\n"
        "    except Exception:\n        pass",
        f"script exceeded its time limit of {LIMIT_S:g} s"),
    "deep recursion": ("def down(n):\n    return down(n + 1)\nx = down(0)",
                       "line 2: RecursionError: maximum recursion depth exceeded"),
}


@pytest.mark.parametrize("script,message", BOMBS.values(), ids=BOMBS.keys())
def test_a_bomb_is_stopped_and_its_instance_waits_in_error(ctx, settings, script, message):
    before_mib = peak_rss_mib()
    result, instance, seconds = run_script_process(ctx, settings, script)
    assert instance.status == "error"
    assert instance.error == f"element 'script_1': {message}"
    assert result.task.state == "completed"  # the submission itself stands
    assert result.next_tasks == [] and instance.open_tasks == []
    # Within the limit plus a second (the completion's own work included).
    assert seconds < LIMIT_S + 1, seconds
    # The bomb went off in the jail: this process's peak memory did not take it.
    assert peak_rss_mib() - before_mib < 100


def test_the_jail_replaces_a_killed_worker(jailed):
    jailed.evaluate("1 + 1", {})
    [first] = sandbox.jail().worker_pids()
    with pytest.raises(ScriptTimeout):
        jailed.execute("while True:\n    pass", {})
    assert not _alive_child(first)  # killed and reaped: no zombie
    assert jailed.evaluate("n * 2", {"n": 21}) == 42
    assert sandbox.jail().worker_pids() != [first]


class _CpuBound(Limits):
    """A wall-time limit far away, so the CPU-time backstop acts first."""

    @property
    def cpu_s(self) -> int:
        return 1


def test_the_cpu_time_limit_stops_a_script_the_wall_clock_does_not():
    jail = Jail(_CpuBound(time_s=60, memory_mib=MEMORY_MIB))
    started = time.monotonic()
    try:
        with pytest.raises(ScriptTimeout, match="script exceeded its CPU time limit of 1 s"):
            jail.run({"mode": "exec", "source": "while True:\n    pass", "variables": {},
                      "want": "json", "now": None}, "script")
    finally:
        jail.close()
    assert time.monotonic() - started < 10  # 1 to 2 s of CPU, on a busy machine


def test_a_worker_that_grew_large_is_replaced(jailed):
    # About 150 MiB of small objects, alive until the script ends: more than half of the
    # worker's 256 MiB. The script succeeds; the next one gets a fresh worker.
    before = sandbox.jail().worker_pids()
    data = {}
    jailed.execute("def count(numbers=list(range(4 * 10**6))):\n    return len(numbers)\n"
                   "n = count()", data)
    assert data == {"n": 4 * 10**6}
    after = sandbox.jail().worker_pids()  # the grown worker was not kept
    assert set(after) <= set(before) and len(after) == max(len(before) - 1, 0)
    assert jailed.evaluate("n + 1", data) == 4 * 10**6 + 1


def test_an_admin_retries_after_fixing_the_data(ctx, settings):
    result, instance, _ = run_script_process(ctx, settings, "total = sum(range(n))",
                                             {"n": 2 * 10**8})
    assert instance.status == "error" and "time limit" in instance.error
    fixed = usecases.retry_instance(ctx, ADMIN, instance.id, data={"n": 10})
    assert fixed.status == "running" and fixed.error is None, fixed.error
    [task] = fixed.open_tasks
    assert task.element_id == "after"
    assert usecases.get_task_variables(ctx, STAF, task.id)["total"] == 45


@pytest.mark.parametrize("script,stored", [
    ("when = datetime.now()", "'when', a datetime"),
    ("library = math", "'library', a module"),
    ("pair = {'at': [1, date(2026, 1, 2)]}", "'pair' with a date at pair['at'][1]"),
])
def test_a_script_storing_what_json_cannot_hold_puts_the_instance_in_error(
        ctx, settings, script, stored):
    result, instance, _ = run_script_process(ctx, settings, script)
    assert instance.status == "error"
    assert instance.error == f"element 'script_1': script stored {stored}: {JSON_RULE}"
    assert result.task.state == "completed"


def test_a_loaded_instance_runs_scripts_in_the_jail(ctx, settings, tmp_path):
    marker = tmp_path / "escaped"
    # compiles (so deployment accepts it) and would write the file if run unsandboxed
    _, instance, _ = run_script_process(ctx, settings, f"open('{marker}', 'w').write('x')")
    assert not marker.exists()
    assert instance.status == "error"
    assert instance.error == "element 'script_1': line 1: NameError: name 'open' is not defined"


def test_a_good_script_runs_and_the_process_goes_on(ctx, settings):
    result, instance, _ = run_script_process(ctx, settings, "value = value.upper() + '!'")
    assert instance.status == "running"
    [task] = result.next_tasks
    assert task.element_id == "after"
    assert usecases.get_task_variables(ctx, STAF, task.id)["value"] == "X!"


# ---------------------------------------------------------------- the command's clock

def gateway_process(pid: str, condition: str) -> bytes:
    """start -> before -> gateway: `condition` to `late`, otherwise (default) `early`."""
    nodes = ['<bpmn:startEvent id="start" />', d.user_task("before"),
             '<bpmn:exclusiveGateway id="gw" name="Tahun?" default="f_early" />',
             d.user_task("late"), d.user_task("early"), '<bpmn:endEvent id="end_late" />',
             '<bpmn:endEvent id="end_early" />']
    flows = [d.flow("f1", "start", "before"), d.flow("f2", "before", "gw"),
             d.flow("f_late", "gw", "late", condition), d.flow("f_early", "gw", "early"),
             d.flow("f3", "late", "end_late"), d.flow("f4", "early", "end_early")]
    refs = ["start", "before", "gw", "late", "early", "end_late", "end_early"]
    return d.process(pid, nodes, flows, [d.lane("lane_main", "staf", refs)])


def timer_process(pid: str, expression: str, kind: str = "timeDuration") -> bytes:
    """start -> wait -> end, with a non-interrupting timer on `wait`."""
    nodes = ['<bpmn:startEvent id="start" />', d.user_task("wait"),
             '<bpmn:boundaryEvent id="deadline" name="Tenggat" attachedToRef="wait" '
             f'cancelActivity="false"><bpmn:timerEventDefinition><bpmn:{kind}>'
             f'{escape(expression)}</bpmn:{kind}></bpmn:timerEventDefinition>'
             '</bpmn:boundaryEvent>',
             '<bpmn:endEvent id="end" />', '<bpmn:endEvent id="end_deadline" />']
    flows = [d.flow("f1", "start", "wait"), d.flow("f2", "wait", "end"),
             d.flow("f3", "deadline", "end_deadline")]
    refs = ["start", "wait", "deadline", "end", "end_deadline"]
    return d.process(pid, nodes, flows, [d.lane("lane_main", "staf", refs)])


FUTURE = datetime(2031, 3, 3, 2, 0, tzinfo=timezone.utc)  # no wall clock shows this year


def test_a_condition_sees_the_commands_clock(ctx):
    usecases.deploy(ctx, ADMIN, {"g.bpmn": gateway_process(
        "dated", "datetime.now().year == 2031 and date.today().month == 3")},
        {"simple.json": d.SIMPLE_FORM})
    ctx.clock.set(FUTURE)
    [task] = usecases.start_instance(ctx, ADMIN, "dated", {}).open_tasks
    usecases.claim_task(ctx, STAF, task.id)
    result = usecases.complete_task(ctx, STAF, task.id, {"value": "x"})
    assert [t.element_id for t in result.next_tasks] == ["late"]


def test_a_timer_expression_sees_the_commands_clock(ctx):
    # PT5H at the command's time (2031); at the wall clock's year it would not be 5 hours.
    usecases.deploy(ctx, ADMIN, {"t.bpmn": timer_process(
        "timed", "'PT%dH' % (datetime.now().year - 2026)")},
        {"simple.json": d.SIMPLE_FORM})
    ctx.clock.set(FUTURE)
    instance = usecases.start_instance(ctx, ADMIN, "timed", {})
    with ctx.db.read() as s:
        due = s.get(ProcessInstance, instance.id).next_timer_at
    assert due.replace(tzinfo=timezone.utc) == FUTURE + timedelta(hours=5)


def test_a_timer_expression_must_give_iso_text(ctx):
    usecases.deploy(ctx, ADMIN, {"t.bpmn": timer_process(
        "timed_wrong", "datetime.now() + timedelta(hours=5)", kind="timeDate")},
        {"simple.json": d.SIMPLE_FORM})
    with pytest.raises(WorkflowError) as raised:
        usecases.start_instance(ctx, ADMIN, "timed_wrong", {})
    assert ("element 'deadline': the timer expression gave a datetime; a timer needs ISO "
            "8601 text") in str(raised.value)


# ---------------------------------------------------------------- the walls, one by one

ESCAPES = {
    "import": ("import os\nx = os.getcwd()", ScriptRejected, "import statements are not allowed"),
    "open": ("x = open('/etc/passwd').read()", ScriptFailed, "name 'open' is not defined"),
    "dunder import": ("x = __import__('os')", ScriptRejected, "__import__"),
    "dunder traversal": ("x = ().__class__.__base__.__subclasses__()", ScriptRejected,
                         "__class__"),
    "getattr": ("x = getattr((), '__class__')", ScriptFailed, "name 'getattr' is not defined"),
    "format traversal": ("x = '{0.__class__}'.format(1)", ScriptFailed, "format"),
    "frame of a generator": ("g = (i for i in [1])\nx = g.gi_frame.f_globals", ScriptRejected,
                             "gi_frame"),
    "globals": ("x = globals()", ScriptFailed, "name 'globals' is not defined"),
    "vars": ("x = vars()", ScriptFailed, "name 'vars' is not defined"),
    "locals": ("x = locals()", ScriptFailed, "name 'locals' is not defined"),
    "eval": ("x = eval('1')", ScriptRejected, "Eval calls are not allowed"),
}


@pytest.mark.parametrize("script,refusal,reason", ESCAPES.values(), ids=ESCAPES.keys())
def test_escape_attempts_are_refused(jailed, script, refusal, reason):
    data = {}
    with pytest.raises(refusal, match=reason):
        jailed.execute(script, data)
    assert data == {}


def test_imports_are_refused_before_a_script_runs():
    assert "import statements are not allowed" in check_source("import os")
    assert "import statements are not allowed" in check_source("from os import path")
    assert check_source("x = math.floor(2.5)") is None


def test_ordinary_scripts_change_the_task_data_in_place(jailed):
    data = {"units": ["B", "A"], "count": 1, "gone": "x", "untouched": {"k": [1]}}
    jailed.execute(
        "ordered = sorted(units)\ncount += len(units)\nlabel = 'LKj %d' % 2026\n"
        "summary = {u: i for i, u in enumerate(ordered)}\nunits.append('C')\ndel gone\n"
        "def helper(v):\n    return v\n", data)
    assert data == {"units": ["B", "A", "C"], "count": 3, "ordered": ["A", "B"],
                    "label": "LKj 2026", "summary": {"A": 0, "B": 1}, "untouched": {"k": [1]}}


def test_only_the_variables_a_script_names_travel(jailed):
    # Above the data limit, but not named by the script: it never leaves this process.
    data = {"attachment": "y" * (2 * DATA_BYTES), "n": 2}
    jailed.execute("n = n * 3", data)
    assert data["n"] == 6 and len(data["attachment"]) == 2 * DATA_BYTES
    assert jailed.evaluate("n > 5", data) is True


def test_data_is_capped_both_ways(jailed):
    with pytest.raises(ScriptFailed, match=r"the task data passed to the script is 2\.0 MiB; "
                                           r"the limit is 1\.0 MiB \(LKJ_SCRIPT_MAX_DATA_BYTES\)"):
        jailed.execute("n = len(attachment)", {"attachment": "y" * (2 * DATA_BYTES)})
    with pytest.raises(ScriptFailed, match=r"script gave back 2\.0 MiB of data; the limit is "
                                           r"1\.0 MiB \(LKJ_SCRIPT_MAX_DATA_BYTES\)"):
        jailed.execute(f"blob = 'y' * {2 * DATA_BYTES}", {})
    assert jailed.evaluate("1 + 1", {}) == 2  # the worker goes on


@pytest.mark.parametrize("wanted,expression,value,message", [
    (sandbox.TRUTH, "units", True, None),
    (sandbox.TRUTH, "[]", False, None),
    (sandbox.COUNT, "len(units)", 2, None),
    (sandbox.COUNT, "len(units) / 2", None, "the loop cardinality gave 1.0, a number; it must "
                                            "be a whole number, 0 or more"),
    (sandbox.TEXT, "'P%dD' % len(units)", "P2D", None),
    (sandbox.TEXT, "timedelta(days=2)", None, "the timer expression gave a timedelta; a timer "
                                              "needs ISO 8601 text"),
    (sandbox.JSON, "{u: 1 for u in units}", {"A": 1, "B": 1}, None),
    (sandbox.JSON, "set(units)", None, "the expression gave a set; its value must be JSON"),
])
def test_an_expression_gives_what_spiffworkflow_needs(jailed, wanted, expression, value,
                                                      message):
    data = {"units": ["A", "B"]}
    if message is None:
        assert jailed.evaluate(expression, data, wanted=wanted) == value
    else:
        with pytest.raises(ScriptFailed) as raised:
            jailed.evaluate(expression, data, wanted=wanted)
        assert str(raised.value).startswith(message)


def test_threads_share_the_pool(jailed):
    answers, errors = [], []

    def work(n):
        try:
            for i in range(20):
                answers.append(jailed.evaluate("n * 1000 + i", {"n": n, "i": i}))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(answers) == sorted(n * 1000 + i for n in range(8) for i in range(20))
    assert len(sandbox.jail().worker_pids()) <= sandbox.jail().limits.workers


def test_reconfiguring_ends_the_old_workers(jailed):
    jailed.evaluate("1", {})
    pids = sandbox.jail().worker_pids()
    assert pids
    sandbox.configure(dataclasses.replace(sandbox.jail().limits, time_s=LIMIT_S * 2))
    assert not any(_alive_child(pid) for pid in pids)
    assert jailed.evaluate("2", {}) == 2
    assert sandbox.jail().limits.time_s == LIMIT_S * 2


def test_a_jail_worker_holds_nothing_of_the_server(jailed):
    jailed.evaluate("1", {})
    [pid] = sandbox.jail().worker_pids()[:1]
    # Only its two pipes and stderr: no database connection, no file of the server.
    assert sorted(os.listdir(f"/proc/{pid}/fd")) == ["0", "1", "2"]
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    assert not any(entry.startswith(b"LKJ_") for entry in environ)
    imported = subprocess.run(
        [sys.executable, "-c", "import sys, engine.workflow.jail_worker; "
         "print(sorted({m.split('.')[0] for m in sys.modules} & "
         "{'sqlalchemy', 'SpiffWorkflow', 'flask', 'psycopg', 'lxml'}))"],
        cwd=ROOT, capture_output=True, text=True, check=True)
    assert imported.stdout.strip() == "[]"


def test_workers_end_with_their_server_process():
    finished = subprocess.run(
        [sys.executable, "-c", "from engine.workflow import sandbox\n"
         "sandbox.JailedEnvironment().evaluate('1', {})\n"
         "print(sandbox.jail().worker_pids()[0])"],
        cwd=ROOT, capture_output=True, text=True, check=True)
    pid = int(finished.stdout)
    assert not Path(f"/proc/{pid}").exists()  # killed and reaped at exit, not left behind


def _alive_child(pid: int) -> bool:
    """Whether `pid` is still a child of this process (running or a zombie)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return int(fields[1]) == os.getpid()


# ---------------------------------------------------------------- settings

@pytest.mark.parametrize("variable,value", [
    ("LKJ_SCRIPT_TIME_LIMIT_S", "0"), ("LKJ_SCRIPT_TIME_LIMIT_S", "soon"),
    ("LKJ_SCRIPT_MEMORY_MIB", "16"), ("LKJ_SCRIPT_WORKERS", "0"),
    ("LKJ_SCRIPT_MAX_DATA_BYTES", "-1"),
])
def test_invalid_script_settings_name_their_variable(monkeypatch, tmp_path, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(InvalidSettings, match=variable):
        Settings.from_env(database_url="sqlite://", data_dir=tmp_path, secret_key="k")


def test_script_settings_come_from_the_environment(monkeypatch, tmp_path):
    for variable, value in (("LKJ_SCRIPT_TIME_LIMIT_S", "1.5"), ("LKJ_SCRIPT_MEMORY_MIB", "300"),
                            ("LKJ_SCRIPT_WORKERS", "3"), ("LKJ_SCRIPT_MAX_DATA_BYTES", "2048")):
        monkeypatch.setenv(variable, value)
    settings = Settings.from_env(database_url="sqlite://", data_dir=tmp_path, secret_key="k")
    assert (settings.script_time_limit_s, settings.script_memory_mib, settings.script_workers,
            settings.script_max_data_bytes) == (1.5, 300, 3, 2048)
    assert Limits().time_s == Settings.script_time_limit_s
