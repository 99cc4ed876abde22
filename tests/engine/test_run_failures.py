"""Whatever SpiffWorkflow raises while it runs a diagram puts the instance in `error` with a
message naming the element, recorded in history and retryable; events thrown out of an
instance never break storing it."""
from __future__ import annotations

from engine import usecases
from tests.conftest import ADMIN, actor
from tests.engine import bpmn_events as b
from tests.engine import diagrams as d

STAF = actor("staf1", "staf")
AUDITOR = actor("aud", "auditor")


def deploy(ctx, pid: str, middle: tuple[str, str], definitions: str = ""):
    xml = b.chain(pid, [("first", d.user_task("first")), middle, ("last", d.user_task("last"))],
                  definitions=definitions)
    usecases.deploy(ctx, ADMIN, {f"{pid}.bpmn": xml}, {"simple.json": d.SIMPLE_FORM})


def complete_first(ctx, pid: str, variables: dict | None = None):
    instance = usecases.start_instance(ctx, ADMIN, pid, variables or {})
    [task] = instance.open_tasks
    usecases.claim_task(ctx, STAF, task.id)
    usecases.complete_task(ctx, STAF, task.id, {"value": "x"})
    return usecases.get_instance(ctx, ADMIN, instance.id)


def errors_recorded(ctx, instance_id):
    page = usecases.instance_history(ctx, AUDITOR, instance_id, type_="instance_error")
    return [e.payload["message"] for e in page.items]


# The deploy check refuses a literal that is no timer; a variable's value is known only when
# the instance reaches the timer.
def test_a_timer_that_cannot_be_read_puts_the_instance_in_error_naming_it(ctx):
    deploy(ctx, "bad_timer", ("wait", b.catch("wait", b.timer("timeDuration", "delay"))))
    instance = complete_first(ctx, "bad_timer", {"delay": "soon"})
    assert instance.status == "error"
    assert instance.error.startswith("element 'wait' (IntermediateCatchEvent): ")
    assert errors_recorded(ctx, instance.id) == [instance.error]
    # an admin retries: the same step fails the same way, recorded again, never a crash
    again = usecases.retry_instance(ctx, ADMIN, instance.id)
    assert (again.status, again.error) == ("error", instance.error)
    assert errors_recorded(ctx, instance.id) == [instance.error] * 2
    report = usecases.replay_instance(ctx, AUDITOR, instance.id)
    assert report.consistent, report.divergence


def test_a_date_that_is_no_date_is_an_error_of_its_element(ctx):
    deploy(ctx, "bad_date", ("wait", b.catch("wait", b.timer("timeDate", "deadline"))))
    instance = complete_first(ctx, "bad_date", {"deadline": "besok"})
    assert instance.status == "error"
    assert "element 'wait'" in instance.error and "besok" in instance.error
    assert usecases.replay_instance(ctx, AUDITOR, instance.id).consistent


def test_a_signal_nobody_waits_for_leaves_the_instance_running(ctx):
    deploy(ctx, "shouting", ("shout", b.throw("shout", b.signal_ref("sig"))),
           definitions=b.signal("sig", "rapat_dibatalkan"))
    instance = complete_first(ctx, "shouting")
    assert instance.status == "running"
    assert [t.element_id for t in instance.open_tasks] == ["last"]
    assert usecases.replay_instance(ctx, AUDITOR, instance.id).consistent


def test_a_process_that_throws_a_message_at_its_start_starts(ctx):
    xml = b.chain("announcing", [("tell", b.throw("tell", b.message_ref("m", '{"x": 1}'))),
                                 ("last", d.user_task("last"))],
                  definitions=b.message("m", "pengumuman"))
    usecases.deploy(ctx, ADMIN, {"announcing.bpmn": xml}, {"simple.json": d.SIMPLE_FORM})
    instance = usecases.start_instance(ctx, ADMIN, "announcing", {})
    assert instance.status == "running"
    assert [t.element_id for t in instance.open_tasks] == ["last"]
    assert usecases.replay_instance(ctx, AUDITOR, instance.id).consistent
