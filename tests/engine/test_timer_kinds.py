"""Every kind of BPMN timer fires on the engine's clock through the workers' leases: a date,
a duration, a cycle (R3/PT1H) on a non-interrupting boundary event, a timer behind an
event-based gateway; replay reproduces each instance."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from engine import usecases
from engine.persistence.tables import ProcessInstance
from tests.conftest import ADMIN, actor
from tests.engine import bpmn_events as b
from tests.engine import diagrams as d
from tests.engine.test_timers import fire

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
STAF = actor("staf1", "staf")
AUDITOR = actor("aud", "auditor")


def deploy(ctx, pid, nodes, **kwargs):
    usecases.deploy(ctx, ADMIN, {f"{pid}.bpmn": b.chain(pid, nodes, **kwargs)},
                    {"simple.json": d.SIMPLE_FORM})


def start(ctx, pid, variables=None):
    ctx.clock.set(T0)
    return usecases.start_instance(ctx, ADMIN, pid, variables or {})


def open_elements(ctx, instance_id):
    return sorted(t.element_id for t in usecases.get_instance(ctx, ADMIN, instance_id).open_tasks)


def next_timer_at(ctx, instance_id):
    with ctx.db.read() as s:
        return s.get(ProcessInstance, instance_id).next_timer_at


def assert_replays(ctx, instance_id):
    report = usecases.replay_instance(ctx, AUDITOR, instance_id)
    assert report.consistent, report.divergence


def test_a_date_timer_fires_at_its_date(ctx):
    deploy(ctx, "on_date", [("until", b.catch("until", b.timer(
        "timeDate", '"2026-03-05T10:00:00+07:00"'))), ("after", d.user_task("after"))])
    instance = start(ctx, "on_date")
    assert next_timer_at(ctx, instance.id) == datetime(2026, 3, 5, 3, 0, tzinfo=timezone.utc)
    assert fire(ctx, datetime(2026, 3, 5, 2, 59, tzinfo=timezone.utc)) == []
    assert fire(ctx, datetime(2026, 3, 5, 3, 1, tzinfo=timezone.utc)) == ["until"]
    assert open_elements(ctx, instance.id) == ["after"]
    assert_replays(ctx, instance.id)


def test_a_date_from_the_instance_data(ctx):
    deploy(ctx, "on_given_date", [("until", b.catch("until", b.timer("timeDate", "deadline"))),
                                  ("after", d.user_task("after"))])
    instance = start(ctx, "on_given_date", {"deadline": "2026-03-03T00:00:00+00:00"})
    assert fire(ctx, T0 + timedelta(hours=22)) == []
    assert fire(ctx, T0 + timedelta(hours=24)) == ["until"]
    assert open_elements(ctx, instance.id) == ["after"]
    assert_replays(ctx, instance.id)


def test_a_cycle_on_a_non_interrupting_boundary_fires_three_times(ctx):
    reminder = b.boundary("every_hour", "work", b.timer("timeCycle", '"R3/PT1H"'),
                          interrupting=False)
    deploy(ctx, "cycling", [("work", d.user_task("work"))],
           extra_nodes=[reminder, d.user_task("remind"), '<bpmn:endEvent id="end_remind" />'],
           extra_flows=[b.flow("fr1", "every_hour", "remind"),
                        b.flow("fr2", "remind", "end_remind")])
    instance = start(ctx, "cycling")
    assert fire(ctx, T0 + timedelta(minutes=59)) == []
    for hour in (1, 2, 3):
        assert fire(ctx, T0 + timedelta(hours=hour, minutes=1)) == ["every_hour"]
    assert fire(ctx, T0 + timedelta(hours=9)) == []  # three repetitions, no more
    assert open_elements(ctx, instance.id) == ["remind"] * 3 + ["work"]
    assert next_timer_at(ctx, instance.id) is None
    assert_replays(ctx, instance.id)


def test_a_timer_behind_an_event_based_gateway_takes_its_path(ctx):
    gateway = '<bpmn:eventBasedGateway id="which" />'
    nodes = [gateway, b.catch("answer", b.message_ref("m_answer")),
             b.catch("too_late", b.timer("timeDuration", '"P2D"')),
             d.user_task("handle"), d.user_task("chase"), '<bpmn:endEvent id="end" />',
             '<bpmn:endEvent id="end2" />']
    flows = [b.flow("g0", "start", "which"), b.flow("g1", "which", "answer"),
             b.flow("g2", "which", "too_late"), b.flow("g3", "answer", "handle"),
             b.flow("g4", "too_late", "chase"), b.flow("g5", "handle", "end"),
             b.flow("g6", "chase", "end2")]
    ids = ["start", "which", "answer", "too_late", "handle", "chase", "end", "end2"]
    xml = d.process("gated", ['<bpmn:startEvent id="start" />', *nodes], flows,
                    [d.lane("lane_main", "staf", ids)]).decode().replace(
        "</bpmn:definitions>", b.message("m_answer", "jawaban") + "</bpmn:definitions>")
    usecases.deploy(ctx, ADMIN, {"gated.bpmn": xml.encode()}, {"simple.json": d.SIMPLE_FORM})
    instance = start(ctx, "gated")
    assert next_timer_at(ctx, instance.id) == T0 + timedelta(days=2)
    assert fire(ctx, T0 + timedelta(days=2, minutes=1)) == ["too_late"]
    assert open_elements(ctx, instance.id) == ["chase"]
    assert_replays(ctx, instance.id)
