"""The check of a run against the standard (tests/procedure/standard.py) fails on the defects
it is there to catch, and accepts the orders the standard leaves open. The runs here are
built from the standard's steps and broken on purpose; no engine is involved."""
from __future__ import annotations

from dataclasses import replace

import pytest

from tests.procedure.standard import Done, check, lkj_cycle, order_of, run_of

UNITS = ["DEP1", "DEP2", "DEP3"]
CYCLE = lkj_cycle(UNITS)
NUMBERS = list(order_of(CYCLE).steps)  # every step once, in the standard's order


def at(run, number_or_element, unit=None):
    """Position in `run` of a step of the standard order (NUMBERS), by number or element."""
    if number_or_element in NUMBERS:
        return NUMBERS.index(number_or_element)
    return next(i for i, d in enumerate(run)
                if d.element == number_or_element and unit in (None, d.unit))


def test_the_standard_order_passes():
    run = run_of(CYCLE)
    assert check(CYCLE, run) == []
    # steps 1, 2.a-c, 3, three units x (4, 5, 5), 6, 7, 8.a-b, 9, 10, 11, 12, 13, 14-15, 16
    assert len(run) == 2 + 7 + 8 + 6 + 7 + 3 * 3 + 5 + 5 + 8 + 2 + 5 + 1 + 6 + 1 + 5 + 1


def test_a_step_done_by_another_role_fails():
    run = run_of(CYCLE)
    i = at(run, "2.b.4")
    run[i] = replace(run[i], role="kepala_subbagian")
    assert check(CYCLE, run) == [
        f"#{i} step 2.b.4 check_kepala_bagian (kepala_bagian) was done by kepala_subbagian"]


def test_a_units_task_done_by_another_unit_fails():
    run = run_of(CYCLE)
    i = at(run, "4[DEP2]")
    run[i] = replace(run[i], role="satuan_kerja:DEP3")
    assert check(CYCLE, run) == [(f"#{i} step 4[DEP2] submit_performance_data "
                                  "(satuan_kerja:DEP2) was done by satuan_kerja:DEP3")]


@pytest.mark.parametrize("number", ["1.a", "2.a.3", "2.b.8", "5.staf[DEP1]", "8.a.5", "11", "15",
                                    "16"])
def test_a_missing_step_fails(number):
    problems = check(CYCLE, run_of(CYCLE, [n for n in NUMBERS if n != number]))
    assert len(problems) == 1
    assert "not expected now" in problems[0] or problems[0].startswith("never done: " + number)


def test_a_step_the_standard_does_not_have_fails():
    run = run_of(CYCLE)
    i = at(run, "2.b.8")  # the decree is numbered after the minister signs: nothing is sent
    run.insert(i + 1, Done("staf", "send_document", None, None, i + 1))
    assert check(CYCLE, run)[0].startswith(f"#{i + 1} send_document by staf: not expected now")


def test_a_later_step_open_before_an_earlier_one_finished_fails():
    run = run_of(CYCLE)
    i = at(run, "6.1")  # the draft opened while DEP3's data was still being checked
    run[i] = replace(run[i], opened_after=at(run, "5.kepala_bagian[DEP3]"))
    assert check(CYCLE, run) == [
        (f"#{i} step 6.1 study_regulations (kepala_bagian/kepala_subbagian/staf) was open "
         "before 5.kepala_bagian[DEP3] check_data_kepala_bagian (kepala_bagian) had finished")]


def test_steps_done_out_of_order_fail():
    order = list(NUMBERS)
    i = order.index("8.a.1")
    order[i - 1], order[i] = order[i], order[i - 1]  # a discussion before the invitations
    assert "office_discussion by tim: not expected now" in check(CYCLE, run_of(CYCLE, order))[0]


def test_parallel_branches_opened_one_after_another_fail():
    order = [n for n in NUMBERS if n not in ("14.c", "14.c upload")]
    i = order.index("16")
    order[i:i] = ["14.c", "14.c upload"]
    run = run_of(CYCLE, order)
    i = at(run, "request_upload")  # opened after 15, when the printing was done
    run[i] = replace(run[i], opened_after=i)
    after_13 = at(run, "sign_lkj") + 1
    assert check(CYCLE, run) == [("parallel branches did not open together: "
                                  f"{{'14.a': {after_13}, '14.b': {after_13}, '14.c': {i}}}")]


def test_a_return_goes_back_to_the_drafter_and_through_every_check_again():
    i = NUMBERS.index("2.a.5")
    back = ["2.a.2", "2.a.3", "2.a.4", "2.a.5"]
    returned = NUMBERS[:i] + [("2.a.5", "revise")] + back + NUMBERS[i + 1:]
    assert check(CYCLE, run_of(CYCLE, returned)) == []
    # not sent back to the drafter: the deputy's check follows at once
    skipped = NUMBERS[:i] + [("2.a.5", "revise")] + NUMBERS[i + 1:]
    assert check(CYCLE, run_of(CYCLE, skipped))[0].startswith(
        f"#{i + 1} check_deputi by deputi: not expected now; "
        "the standard expects: 2.a.2 draft_document (staf)")
    # back to the drafter, but a check skipped on the way
    shortcut = NUMBERS[:i] + [("2.a.5", "revise"), "2.a.2", "2.a.5"] + NUMBERS[i + 1:]
    assert "check_kepala_biro by kepala_biro: not expected now" in \
        check(CYCLE, run_of(CYCLE, shortcut))[0]


def test_a_return_from_a_step_without_one_fails():
    i = NUMBERS.index("2.a.7")
    order = NUMBERS[:i] + [("2.a.7", "revise")] + NUMBERS[i + 1:]
    assert check(CYCLE, run_of(CYCLE, order)) == [
        (f"#{i} step 2.a.7 send_document (staf) sent the work back; "
         "the standard gives it no return")]


def test_orders_the_standard_leaves_open_pass():
    """The units in any order, interleaved; step 14's branches in any order."""
    first, last = NUMBERS.index("4[DEP1]"), NUMBERS.index("5.kepala_bagian[DEP3]")
    units = ["4[DEP3]", "4[DEP1]", "5.staf[DEP1]", "4[DEP2]", "5.staf[DEP3]",
             "5.kepala_bagian[DEP3]", "5.staf[DEP2]", "5.kepala_bagian[DEP1]",
             "5.kepala_bagian[DEP2]"]
    assert sorted(units) == sorted(NUMBERS[first:last + 1])
    publication = ["14.c", "14.a", "14.c upload", "14.b", "15"]
    order = NUMBERS[:first] + units + NUMBERS[last + 1:NUMBERS.index("14.a")] + \
        publication + ["16"]
    assert sorted(order) == sorted(NUMBERS)
    assert check(CYCLE, run_of(CYCLE, order)) == []


def corrected_run(unit="DEP2", second_discussion_early=False):
    """The standard order, where the draft's discussion (6.4) asks `unit` to correct its
    data: that unit's steps 4-5 again, then 6.4 again, then the rest."""
    i = NUMBERS.index("6.4")
    redo = [f"4[{unit}]", f"5.staf[{unit}]", f"5.kepala_bagian[{unit}]"]
    again = redo[:2] + ["6.4", redo[2]] if second_discussion_early else redo + ["6.4"]
    run = run_of(CYCLE, NUMBERS[:i + 1] + again + NUMBERS[i + 1:])
    run[i] = replace(run[i], corrects=(unit,))
    run[i + 1] = replace(run[i + 1], opened_after=i + 1)  # the unit's task after the request
    second = i + 1 + again.index("6.4")
    run[second] = replace(run[second], opened_after=second)
    return run, second


def test_a_units_data_corrected_when_the_draft_is_discussed_passes():
    run, _ = corrected_run()
    assert check(CYCLE, run) == []


def test_the_discussion_goes_on_only_after_the_corrected_data_is_verified():
    run, second = corrected_run(second_discussion_early=True)
    assert check(CYCLE, run)[0].startswith(f"#{second} discuss_initial_draft by "
                                           f"{run[second].role}: not expected now")


def test_only_the_drafts_discussion_may_ask_for_corrections():
    run = run_of(CYCLE)
    i = at(run, "6.2")
    run[i] = replace(run[i], corrects=("DEP1",))
    assert check(CYCLE, run)[0] == (
        f"#{i} step 6.2 compose_outline (kepala_bagian/kepala_subbagian/staf) asked units to "
        "correct their data; the standard gives it no such return")
