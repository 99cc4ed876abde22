"""Where an instance stands, element by element (usecases.instance_diagram's activities):
each element under way with its workflow task's id and its type as BPMN tools name it."""
from __future__ import annotations

from engine import usecases
from tests.conftest import ADMIN
from tests.engine import bpmn_events as b
from tests.engine import diagrams as d
from tests.engine.test_timer_kinds import STAF, deploy, start


def activities(ctx, instance_id: str) -> list[tuple[str, str]]:
    root = usecases.instance_diagram(ctx, ADMIN, instance_id).root
    return sorted((a.element_id, a.activity_type) for a in root.activities)


def test_a_user_task_and_the_boundary_events_waiting_on_it(ctx):
    late = b.boundary("late", "work", b.timer("timeDuration", '"PT1H"'))
    called = b.boundary("called", "work", b.message_ref("m_call"), interrupting=False)
    deploy(ctx, "guarded", [("work", d.user_task("work"))],
           extra_nodes=[late, called, '<bpmn:endEvent id="end_late" />',
                        '<bpmn:endEvent id="end_called" />'],
           extra_flows=[b.flow("fl", "late", "end_late"), b.flow("fc", "called", "end_called")],
           definitions=b.message("m_call", "panggil"))
    instance = start(ctx, "guarded")
    assert activities(ctx, instance.id) == [("called", "boundaryMessage"),
                                            ("late", "boundaryTimer"), ("work", "userTask")]
    root = usecases.instance_diagram(ctx, ADMIN, instance.id).root
    work = next(a for a in root.activities if a.element_id == "work")
    assert work.id == instance.open_tasks[0].id and not work.failed


def test_a_receive_task_and_a_signal_catch(ctx):
    deploy(ctx, "receiving", [
        ("wait_signal", b.catch("wait_signal", b.signal_ref("s_go"))),
        ("receive", '<bpmn:receiveTask id="receive" messageRef="m_in" />')],
        definitions=b.signal("s_go", "mulai") + b.message("m_in", "masuk"))
    instance = start(ctx, "receiving")
    assert activities(ctx, instance.id) == [("wait_signal", "intermediateSignalCatch")]
    usecases.broadcast_signal(ctx, ADMIN, "mulai", {})
    assert activities(ctx, instance.id) == [("receive", "receiveTask")]


def test_a_failed_script_is_the_activity_in_error(ctx):
    deploy(ctx, "failing", [("work", d.user_task("work")),
                            ("broken", d.script_task("broken", "x = 1 / 0"))])
    instance = start(ctx, "failing")
    usecases.complete_task(ctx, STAF, instance.open_tasks[0].id, {}, claim=True)
    diagram = usecases.instance_diagram(ctx, ADMIN, instance.id)
    assert diagram.status == "error"
    (failed,) = diagram.root.activities
    assert (failed.element_id, failed.activity_type, failed.failed) == (
        "broken", "scriptTask", True)
    (error,) = usecases.instance_history(ctx, ADMIN, instance.id, type_="instance_error").items
    assert diagram.error_seq == error.seq  # the incident the element carries
