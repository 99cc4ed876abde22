"""The yearly LKj procedure and the complaint procedure run on the engine, checked against the
service standard (tests/procedure/standard.py, written from the seed's Bagian Kedua B and H).

Each engine run (the tests taking `ctx`) deploys bpmn/ and forms/ to the test database and
works the tasks through the engine's use cases, as the role clients would
(tests/engine/lkj_flow.py: list the open tasks, read a task's variables, claim and complete
it as a user of its role). The check accepts any order the standard allows: the engine runs
take the tasks in two different orders. One test runs the in-memory reference driver
instead, and says so.
"""
from __future__ import annotations

import pytest

from engine import usecases
from tests.conftest import ADMIN, ROOT
from tests.engine.lkj_flow import deploy_procedure, newest_first, start, start_lkj, work
from tests.procedure import standard
from tests.procedure.driver import by_role_and_element, run_lkj_cycle

UNITS = ["DEP1", "DEP2", "DEP3"]
CHECKERS = {"check_kepala_subbagian", "check_kepala_bagian", "check_kepala_biro", "check_deputi",
            "sign_menteri", "sign_lkj", "check_data_kepala_bagian"}


def as_done(run) -> list[standard.Done]:
    return [standard.Done(c.role, c.element_id, c.unit, c.data.get("decision"), c.opened_after,
                          tuple(c.data.get("units_to_correct", ())))
            for c in run]


def returns(run) -> list[tuple[str, str | None]]:
    return [(c.element_id, c.unit) for c in run if c.data.get("decision") == "revise"]


def final_variables(ctx, instance_id) -> dict:
    """What the last task of the instance saw: the procedure's data at its end."""
    completed = usecases.list_tasks(ctx, ADMIN, process_instance_id=instance_id,
                                    state="completed", sort="created_at", limit=500).items
    return usecases.get_task_variables(ctx, ADMIN, completed[-1].id)


def test_a_cycle_with_a_return_and_an_incomplete_unit_follows_the_standard(ctx):
    """Three units; the head of division sends the first memorandum back once (2.a.4) and
    the staff find DEP2's data incomplete once (step 5). Oldest open task first."""
    deploy_procedure(ctx, UNITS)
    instance_id, answers = start_lkj(ctx, revise_at={"check_kepala_bagian"},
                                     incomplete_unit="DEP2")
    run = work(ctx, instance_id, answers)

    assert standard.check(standard.lkj_cycle(UNITS), as_done(run)) == []
    assert returns(run) == [("check_kepala_bagian", None), ("check_data_staf", "DEP2")]
    assert usecases.get_instance(ctx, ADMIN, instance_id).status == "completed"
    data = final_variables(ctx, instance_id)
    # the report is built on every unit's data, each keyed by its unit (J.1, K.3)
    assert sorted(result["unit"] for result in data["unit_data"]) == UNITS
    for result in data["unit_data"]:
        assert set(result) == {"unit", "indicators", "budget_ceiling", "budget_realisation"}
    # step 8.a: the five discussions in the standard's order, one minutes document each
    assert [topic.split(":")[0] for topic in data["discussion_topics"]] == [
        f"Pembahasan ke-{n}" for n in range(1, 6)]
    assert len(data["discussion_minutes"]) == 5


def test_every_checker_can_send_back(ctx):
    """Four units; every checker returns the first document it sees, and DEP4's data is
    incomplete once. The newest open task first: another order than the test above."""
    units = ["DEP1", "DEP2", "DEP3", "DEP4"]
    deploy_procedure(ctx, units)
    instance_id, answers = start_lkj(ctx, revise_at=CHECKERS, incomplete_unit="DEP4")
    run = work(ctx, instance_id, answers, pick=newest_first)

    # each return went back to the step the standard drafts in, then through every check again
    assert standard.check(standard.lkj_cycle(units), as_done(run)) == []
    assert {element for element, _ in returns(run)} == CHECKERS | {"check_data_staf"}
    assert ("check_data_staf", "DEP4") in returns(run)
    assert usecases.get_instance(ctx, ADMIN, instance_id).status == "completed"


@pytest.mark.parametrize("units, options", [
    (UNITS, {"incomplete_unit": "DEP2"}),
    (UNITS, {"incomplete_unit": "DEP2", "tie_break": by_role_and_element}),
    (["SETMEN"], {"revise_at": ()}),  # one unit, no returns: the straight cycle
    (UNITS, {"correct_unit": "DEP3"}),  # 6.4 finds DEP3's data wrong: DEP3 does 4-5 again
], ids=["fifo", "by-role-and-element", "one-unit-straight", "correction-at-6.4"])
def test_the_in_memory_runs_follow_the_standard_too(units, options):
    """tests/procedure/driver.py runs the diagrams in memory (the same SpiffWorkflow runtime,
    no database, no use cases); the diagram-tooling and HTTP tests compare with its runs, so
    they must follow the standard as well, whichever way ties are broken."""
    run = run_lkj_cycle(ROOT / "bpmn", units, **options)
    done = [standard.Done(role, element, unit, data.get("decision"), opened_after,
                          tuple(data.get("units_to_correct", ())))
            for (role, element, _), unit, data, opened_after
            in zip(run.steps, run.units, run.submissions, run.rounds)]
    assert standard.check(standard.lkj_cycle(units), done) == []
    assert run.workflow.is_completed()


# ---------------------------------------------------------------- section H: complaints

def test_a_complaint_delegated_to_the_head_of_division(ctx):
    deploy_procedure(ctx, ["DEP1"])
    instance_id, answers = start(ctx, "lkj_complaint", "satuan_kerja:DEP1", {"year": 2024},
                                 delegate=True)
    run = work(ctx, instance_id, answers)

    assert standard.check(standard.complaint("DEP1", delegated=True), as_done(run)) == []
    assert {c.unit for c in run} == {"DEP1"}  # the complaint is about the unit that filed it
    assert usecases.get_instance(ctx, ADMIN, instance_id).status == "completed"


def test_a_complaint_handled_by_the_head_of_bureau(ctx):
    deploy_procedure(ctx, ["DEP3"])
    instance_id, answers = start(ctx, "lkj_complaint", "satuan_kerja:DEP3", {"year": 2024},
                                 delegate=False)
    run = work(ctx, instance_id, answers)

    assert standard.check(standard.complaint("DEP3", delegated=False), as_done(run)) == []
    assert {c.unit for c in run} == {"DEP3"}
    assert usecases.get_instance(ctx, ADMIN, instance_id).status == "completed"
