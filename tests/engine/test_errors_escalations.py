"""Error end events caught by error boundary events on subprocesses, escalations caught by
escalation boundary events (interrupting or not); a BPMN error nobody catches is an
incident (the instance waits in error), never a silent end. Replay reproduces each."""
from __future__ import annotations

from engine import usecases
from tests.conftest import ADMIN, actor
from tests.engine import bpmn_events as b
from tests.engine import diagrams as d

STAF = actor("staf1", "staf")
AUDITOR = actor("aud", "auditor")
DEFINITIONS = ('<bpmn:error id="e_gap" name="Data kurang" errorCode="DATA_KURANG" />'
               '<bpmn:escalation id="esc_late" name="Terlambat" escalationCode="TERLAMBAT" />')


def subprocess(inner_end: str) -> str:
    """A subprocess: a user task `check`, then a gateway: `ok` ends plainly, anything
    else ends with `inner_end` (an error or escalation end event)."""
    return ('<bpmn:subProcess id="sub" name="Pemeriksaan">'
            '<bpmn:startEvent id="sub_start" />' + d.user_task("check") +
            '<bpmn:exclusiveGateway id="sub_gw" default="sf_bad" />'
            '<bpmn:endEvent id="sub_ok" />' + inner_end +
            b.flow("sf1", "sub_start", "check") + b.flow("sf2", "check", "sub_gw") +
            b.flow("sf3", "sub_gw", "sub_ok", 'value == "ok"') + b.flow("sf_bad", "sub_gw", "sub_bad") +
            '</bpmn:subProcess>')


def deploy(ctx, pid, inner_end, boundary=None):
    extra_nodes = [d.user_task("handle"), '<bpmn:endEvent id="end_handled" />']
    extra_flows = [b.flow("fh", "handle", "end_handled")]
    if boundary is not None:
        extra_nodes.insert(0, boundary)
        extra_flows.append(b.flow("fb", "caught", "handle"))
    xml = b.chain(pid, [("sub", subprocess(inner_end)), ("after", d.user_task("after"))],
                  extra_nodes=extra_nodes, extra_flows=extra_flows, definitions=DEFINITIONS)
    usecases.deploy(ctx, ADMIN, {f"{pid}.bpmn": xml}, {"simple.json": d.SIMPLE_FORM})


def complete(ctx, instance_id, element_id, value):
    [task] = [t for t in usecases.get_instance(ctx, ADMIN, instance_id).open_tasks
              if t.element_id == element_id]
    usecases.claim_task(ctx, STAF, task.id)
    usecases.complete_task(ctx, STAF, task.id, {"value": value})


def open_elements(ctx, instance_id):
    return sorted(t.element_id for t in usecases.get_instance(ctx, ADMIN, instance_id).open_tasks)


def assert_replays(ctx, instance_id):
    report = usecases.replay_instance(ctx, AUDITOR, instance_id)
    assert report.consistent, report.divergence


ERROR_END = ('<bpmn:endEvent id="sub_bad"><bpmn:errorEventDefinition errorRef="e_gap" />'
             '</bpmn:endEvent>')
ESCALATION_END = ('<bpmn:endEvent id="sub_bad"><bpmn:escalationEventDefinition '
                  'escalationRef="esc_late" /></bpmn:endEvent>')


def test_an_error_end_event_is_caught_by_the_error_boundary_of_its_subprocess(ctx):
    deploy(ctx, "errors", ERROR_END,
           b.boundary("caught", "sub", '<bpmn:errorEventDefinition errorRef="e_gap" />'))
    instance = usecases.start_instance(ctx, ADMIN, "errors", {})
    complete(ctx, instance.id, "check", "kurang")
    assert open_elements(ctx, instance.id) == ["handle"]
    assert_replays(ctx, instance.id)
    plain = usecases.start_instance(ctx, ADMIN, "errors", {})
    complete(ctx, plain.id, "check", "ok")
    assert open_elements(ctx, plain.id) == ["after"]


def test_an_escalation_reaches_a_non_interrupting_escalation_boundary(ctx):
    deploy(ctx, "escalating", ESCALATION_END,
           b.boundary("caught", "sub", '<bpmn:escalationEventDefinition escalationRef="esc_late" />',
                      interrupting=False))
    instance = usecases.start_instance(ctx, ADMIN, "escalating", {})
    complete(ctx, instance.id, "check", "telat")
    assert open_elements(ctx, instance.id) == ["after", "handle"]
    assert_replays(ctx, instance.id)


def test_an_error_nobody_catches_is_an_incident(ctx):
    deploy(ctx, "uncaught", ERROR_END)
    instance = usecases.start_instance(ctx, ADMIN, "uncaught", {})
    complete(ctx, instance.id, "check", "kurang")
    failed = usecases.get_instance(ctx, ADMIN, instance.id)
    assert failed.status == "error"
    assert "DATA_KURANG" in failed.error
    assert_replays(ctx, instance.id)
