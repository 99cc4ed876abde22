"""Scripts in diagrams are untrusted: the sandbox stops escapes and endless loops, also in an
instance loaded back from the database (SpiffWorkflow does not serialize its script engine)."""
from __future__ import annotations

import pytest

from engine import usecases
from engine.usecases.context import EngineContext
from engine.workflow.sandbox import SandboxedEnvironment, ScriptRejected, ScriptTimeout
from tests.conftest import ADMIN, actor
from tests.engine import diagrams as d

STAF = actor("staf1", "staf")
ESCAPES = {
    "import": "import os\nx = os.getcwd()",
    "open": "x = open('/etc/passwd').read()",
    "dunder import": "x = __import__('os')",
    "dunder traversal": "x = ().__class__.__base__.__subclasses__()",
    "getattr": "x = getattr((), '__class__')",
    "format traversal": "x = '{0.__class__}'.format(1)",
    "endless loop": "while True:\n    pass",
}


@pytest.mark.parametrize("script", ESCAPES.values(), ids=ESCAPES.keys())
def test_escape_attempts_fail(script):
    with pytest.raises((ScriptRejected, ScriptTimeout, NameError, ImportError,
                        NotImplementedError)):
        SandboxedEnvironment(time_limit_s=0.3).execute(script, {})


def test_imports_are_refused_before_a_script_runs():
    from engine.workflow.sandbox import check_source
    assert "import statements are not allowed" in check_source("import os")
    assert "import statements are not allowed" in check_source("from os import path")
    assert check_source("x = math.floor(2.5)") is None


def test_ordinary_scripts_work():
    data = {"units": ["B", "A"], "count": 1}
    SandboxedEnvironment().execute(
        "ordered = sorted(units)\ncount += len(units)\nlabel = 'LKj %d' % 2026\n"
        "summary = {u: i for i, u in enumerate(ordered)}", data)
    assert data == {"units": ["B", "A"], "count": 3, "ordered": ["A", "B"],
                    "label": "LKj 2026", "summary": {"A": 0, "B": 1}}


def run_script_process(ctx, settings, script):
    """Start a process `user task -> script -> user task` and complete the first task from a
    fresh context, so the workflow comes from the database, not a cache."""
    usecases.deploy(ctx, ADMIN, {"s.bpmn": d.sequence("scripted", [
        ("user", "before"), ("script", script), ("user", "after")])},
        {"simple.json": d.SIMPLE_FORM})
    instance = usecases.start_instance(ctx, ADMIN, "scripted", {})
    fresh = EngineContext(settings)
    try:
        task = instance.open_tasks[0]
        usecases.claim_task(fresh, STAF, task.id)
        result = usecases.complete_task(fresh, STAF, task.id, {"value": "x"})
        return result, usecases.get_instance(fresh, ADMIN, instance.id)
    finally:
        fresh.close()


def test_a_loaded_instance_runs_scripts_in_the_sandbox(ctx, settings, tmp_path):
    marker = tmp_path / "escaped"
    # compiles (so deployment accepts it) and would write the file if run unsandboxed
    result, instance = run_script_process(ctx, settings, f"open('{marker}', 'w').write('x')")
    assert not marker.exists()
    assert instance.status == "error"
    assert "name 'open' is not defined" in instance.error
    assert result.task.state == "completed"  # the submission itself stands
    assert result.next_tasks == [] and instance.open_tasks == []


def test_an_endless_loop_puts_the_instance_in_error(ctx, settings):
    _, instance = run_script_process(ctx, settings, "n = 0\nwhile True:\n    n += 1")
    assert instance.status == "error"
    assert "time limit" in instance.error


def test_a_good_script_runs_and_the_process_goes_on(ctx, settings):
    result, instance = run_script_process(ctx, settings, "value = value.upper() + '!'")
    assert instance.status == "running"
    assert [t.element_id for t in result.next_tasks] == ["after"]
