"""Timer start events start instances of the latest version on schedule, one per due
time, however many workers (threads here; PostgreSQL for real concurrency)."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from engine import usecases
from engine.errors import DiagramInvalid
from engine.persistence.tables import ProcessInstance
from tests.conftest import ADMIN, TEST_DB, actor
from tests.engine import bpmn_events as b
from tests.engine import diagrams as d

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
AUDITOR = actor("aud", "auditor")


def deploy_timer_start(ctx, pid, kind, expression, name="Laporan"):
    xml = b.chain(pid, [("report", d.user_task("report"))]).replace(
        b'<bpmn:startEvent id="start" />',
        f'<bpmn:startEvent id="start">{b.timer(kind, expression)}</bpmn:startEvent>'.encode())
    usecases.deploy(ctx, ADMIN, {f"{pid}.bpmn": xml}, {"simple.json": d.SIMPLE_FORM})


def instances_of(ctx, pid):
    with ctx.db.read() as s:
        return list(s.scalars(select(ProcessInstance.id).join(ProcessInstance.definition)
                              .where(ProcessInstance.definition.has(key=pid))
                              .order_by(ProcessInstance.started_at)))


def round_at(ctx, at):
    ctx.clock.set(at)
    usecases.schedule_start_timers(ctx)
    return usecases.start_due_timers(ctx)


def test_a_cycle_starts_one_instance_per_due_time_three_times(ctx):
    deploy_timer_start(ctx, "hourly", "timeCycle", '"R3/PT1H"')
    assert round_at(ctx, T0) == []  # scheduled: the first start one hour from now
    assert round_at(ctx, T0 + timedelta(minutes=59)) == []
    [first] = round_at(ctx, T0 + timedelta(hours=1, minutes=1))
    assert round_at(ctx, T0 + timedelta(hours=1, minutes=2)) == []  # nothing twice
    [second] = round_at(ctx, T0 + timedelta(hours=2, minutes=1))
    [third] = round_at(ctx, T0 + timedelta(hours=3, minutes=1))
    assert round_at(ctx, T0 + timedelta(hours=9)) == []  # three, no more
    assert instances_of(ctx, "hourly") == [first, second, third]
    instance = usecases.get_instance(ctx, ADMIN, first)
    assert (instance.started_by, [t.element_id for t in instance.open_tasks]) == (
        "system", ["report"])
    report = usecases.replay_instance(ctx, AUDITOR, first)
    assert report.consistent, report.divergence


def test_a_date_starts_once_and_a_new_version_takes_over_the_schedule(ctx):
    deploy_timer_start(ctx, "dated", "timeDate", '"2026-03-05T08:00:00+07:00"')
    assert round_at(ctx, T0) == []
    deploy_timer_start(ctx, "dated", "timeDate", '"2026-03-06T08:00:00+07:00"', "v2")
    assert round_at(ctx, datetime(2026, 3, 5, 1, 1, tzinfo=timezone.utc)) == []
    [started] = round_at(ctx, datetime(2026, 3, 6, 1, 1, tzinfo=timezone.utc))
    assert usecases.get_instance(ctx, ADMIN, started).definition_version == 2
    assert round_at(ctx, datetime(2026, 4, 1, tzinfo=timezone.utc)) == []


@pytest.mark.skipif(TEST_DB != "postgresql", reason="several concurrent starters need "
                    "PostgreSQL (LKJ_TEST_DB=postgresql); SQLite has one writer")
def test_four_workers_start_one_instance_per_due_time(ctx):
    deploy_timer_start(ctx, "contended", "timeCycle", '"R/PT1H"')
    round_at(ctx, T0)
    for hour in (1, 2, 3):
        ctx.clock.set(T0 + timedelta(hours=hour, minutes=1))
        barrier, results = threading.Barrier(4), []

        def worker():
            barrier.wait()
            results.append(usecases.start_due_timers(ctx))
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(len(r) for r in results) == [0, 0, 0, 1]
    assert len(instances_of(ctx, "contended")) == 3


@pytest.mark.parametrize("expression", ["tanggal_mulai", "'R/' + mulai + '/P1W'"])
def test_a_start_timer_reading_a_variable_is_refused_at_deploy(ctx, expression):
    """Before it starts a process has no data: the owner hears so when deploying, not from
    a log line when the schedule is made."""
    with pytest.raises(DiagramInvalid) as refused:
        deploy_timer_start(ctx, "laporan_berkala", "timeCycle", expression)
    [problem] = refused.value.errors
    assert problem["element_id"] == "start" and "no data before it starts" in problem["message"]
    assert usecases.schedule_start_timers(ctx) == 0


def test_a_start_timer_computed_without_variables_is_deployed(ctx):
    ctx.clock.set(T0)
    deploy_timer_start(ctx, "laporan_harian", "timeDate",
                       "(datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()")
    assert round_at(ctx, T0) == []  # scheduled an hour after the deployment's round
    assert len(round_at(ctx, T0 + timedelta(hours=2))) == 1


def test_a_start_timer_may_call_the_sandboxs_builtins(ctx):
    """`str`, `min`, ... are no variables: such an expression deploys and is scheduled."""
    ctx.clock.set(T0)
    deploy_timer_start(ctx, "laporan_mingguan", "timeCycle",
                       '"R/" + str(2026) + "-03-02T08:00:00+07:00/P1W"')
    assert len(round_at(ctx, T0 + timedelta(minutes=30))) == 1  # due 08:00 WIB = 01:00 UTC
