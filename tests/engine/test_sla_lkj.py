"""The yearly evaluation of a driven LKj cycle: the steps that were late, and who held them."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from engine import usecases
from engine.errors import Forbidden, InvalidInput
from tests.conftest import actor
from tests.engine.lkj_flow import deploy_procedure, start_lkj, work

T0 = datetime(2026, 2, 2, 1, 0, tzinfo=timezone.utc)  # Monday 08:00 in Jakarta
# (6 calendar days would not do for sign_lkj: 16-17 February 2026 are collective leave and
# the Chinese New Year, so its P2D from 11 February runs to the 18th)
LATE = {"check_data_staf": timedelta(days=9), "sign_lkj": timedelta(days=10)}


def test_the_report_names_the_late_steps_and_their_holders(ctx):
    deploy_procedure(ctx, units=("DEP1", "DEP2"))
    ctx.clock.set(T0)
    instance_id, answers = start_lkj(ctx)

    def time_passes(task):
        # each task is done ten minutes after it became ready, except the late ones
        ctx.clock.set(task.created_at + LATE.get(task.element_id, timedelta(minutes=10)))
    work(ctx, instance_id, answers, clock_step=time_passes)
    assert usecases.get_instance(ctx, actor("a", "admin"), instance_id).status == "completed"

    report = usecases.sla_report(ctx, actor("kb", "kepala_biro"), T0, T0 + timedelta(days=365))
    late = sorted({(b.element_id, b.holder) for b in report.breaches})
    assert late == [("check_data_staf", "user-staf"), ("sign_lkj", "user-menteri")]
    by_step = {(s.element_id, s.role): s for s in report.steps}
    check = by_step[("check_data_staf", "staf")]
    assert (check.completed, check.late, check.on_time_share) == (2, 2, 0.0)
    draft = by_step[("draft_document", "staf")]
    assert draft.late == 0 and draft.on_time_share == 1.0


def test_who_may_read_the_report_and_bad_periods(ctx):
    with pytest.raises(Forbidden):
        usecases.sla_report(ctx, actor("s", "staf"), T0, T0 + timedelta(days=1))
    with pytest.raises(InvalidInput) as caught:
        usecases.sla_report(ctx, actor("aud", "auditor"), T0, T0)
    assert "to" in caught.value.errors
