"""The whole yearly LKj procedure, run on the engine (no HTTP) from bpmn/ and forms/.

The expected sequences below are the service standard (Bagian Kedua B, steps 1-16, and H),
written out task by task; the driver completes the longest-waiting ready task first.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.procedure.driver import (
    drive_complaint,
    drive_lkj_cycle,
    run_complaint,
    run_lkj_cycle,
)

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"
UNITS = ["DEP1", "DEP2", "DEP3"]

MAIN = "lkj_preparation"
TEAM = "lkj_team_formation"
CHAIN = "lkj_document_approval"
DATA = "lkj_data_collection"
UNIT = "lkj_unit_data"
DRAFT = "lkj_drafting"
REVIEW = "lkj_inspectorate_review"
APPROVAL = "lkj_minister_approval"
PUBLISH = "lkj_publication"
COMPLAINT = "lkj_complaint"

EXPECTED_CYCLE = [
    # 1. direction and assignment (30 minutes)
    ("kepala_biro", "give_direction", MAIN),                    # 1.a
    ("kepala_bagian", "assign_planning", MAIN),                 # 1.b
    # 2.a memorandum asking units to nominate team members (signed by the deputy)
    ("kepala_subbagian", "assign_nomination_memo", TEAM),       # 2.a.1
    ("staf", "draft_document", CHAIN),                          # 2.a.2
    ("kepala_subbagian", "check_kepala_subbagian", CHAIN),      # 2.a.3
    ("kepala_bagian", "check_kepala_bagian", CHAIN),            # 2.a.4 -> sent back for revision
    ("staf", "draft_document", CHAIN),                          # 2.a.2 again (revised draft)
    ("kepala_subbagian", "check_kepala_subbagian", CHAIN),      # 2.a.3
    ("kepala_bagian", "check_kepala_bagian", CHAIN),            # 2.a.4
    ("kepala_biro", "check_kepala_biro", CHAIN),                # 2.a.5
    ("deputi", "check_deputi", CHAIN),                          # 2.a.6 signs
    ("staf", "send_document", CHAIN),                           # 2.a.7
    # 2.b draft ministerial decree on the team (signed by the minister, numbered)
    ("kepala_subbagian", "assign_team_decree", TEAM),           # 2.b.1
    ("staf", "draft_document", CHAIN),                          # 2.b.2
    ("kepala_subbagian", "check_kepala_subbagian", CHAIN),      # 2.b.3
    ("kepala_bagian", "check_kepala_bagian", CHAIN),            # 2.b.4
    ("kepala_biro", "check_kepala_biro", CHAIN),                # 2.b.5
    ("deputi", "check_deputi", CHAIN),                          # 2.b.6
    ("menteri", "sign_menteri", CHAIN),                         # 2.b.7
    ("biro_tata_usaha", "number_decree", CHAIN),                # 2.b.8
    # 2.c certified copies of the decree (signed by the head of bureau)
    ("kepala_subbagian", "assign_decree_copies", TEAM),         # 2.c.1
    ("staf", "draft_document", CHAIN),                          # 2.c.2
    ("kepala_subbagian", "check_kepala_subbagian", CHAIN),      # 2.c.3
    ("kepala_bagian", "check_kepala_bagian", CHAIN),            # 2.c.4
    ("kepala_biro", "check_kepala_biro", CHAIN),                # 2.c.5 signs
    ("staf", "send_document", CHAIN),                           # 2.c.6
    # 3. memorandum and letters requesting performance data (signed by the deputy)
    ("kepala_subbagian", "assign_data_request", DATA),          # 3.a
    ("staf", "draft_document", CHAIN),                          # 3.b
    ("kepala_subbagian", "check_kepala_subbagian", CHAIN),      # 3.c
    ("kepala_bagian", "check_kepala_bagian", CHAIN),            # 3.d
    ("kepala_biro", "check_kepala_biro", CHAIN),                # 3.e
    ("deputi", "check_deputi", CHAIN),                          # 3.f signs
    ("staf", "send_document", CHAIN),                           # 3.g
    # 4. every unit submits its data (parallel); 5. checked in stages, DEP2 sent back once
    ("satuan_kerja:DEP1", "submit_performance_data", UNIT),     # 4
    ("satuan_kerja:DEP2", "submit_performance_data", UNIT),     # 4
    ("satuan_kerja:DEP3", "submit_performance_data", UNIT),     # 4
    ("staf", "check_data_staf", UNIT),                          # 5 (DEP1)
    ("staf", "check_data_staf", UNIT),                          # 5 (DEP2) -> incomplete
    ("staf", "check_data_staf", UNIT),                          # 5 (DEP3)
    ("kepala_bagian", "check_data_kepala_bagian", UNIT),        # 5 (DEP1)
    ("satuan_kerja:DEP2", "submit_performance_data", UNIT),     # 4 again (DEP2 completes its data)
    ("kepala_bagian", "check_data_kepala_bagian", UNIT),        # 5 (DEP3)
    ("staf", "check_data_staf", UNIT),                          # 5 (DEP2)
    ("kepala_bagian", "check_data_kepala_bagian", UNIT),        # 5 (DEP2)
    # 6. initial draft (2 weeks)
    ("staf", "study_regulations", DRAFT),                       # 6.1
    ("kepala_subbagian", "compose_outline", DRAFT),             # 6.2
    ("staf", "write_initial_draft", DRAFT),                     # 6.3
    ("kepala_bagian", "discuss_initial_draft", DRAFT),          # 6.4
    ("staf", "finish_initial_draft", DRAFT),                    # 6.5
    # 7. meeting administration: invitation and catering memo (signed by the head of bureau)
    ("staf", "draft_document", CHAIN),                          # 7.1
    ("kepala_subbagian", "check_kepala_subbagian", CHAIN),      # 7.2
    ("kepala_bagian", "check_kepala_bagian", CHAIN),            # 7.3
    ("kepala_biro", "check_kepala_biro", CHAIN),                # 7.4 signs
    ("staf", "send_document", CHAIN),                           # 7.5
    # 8.a five in-office discussions, 8.b three off-site working meetings
    ("tim", "office_discussion", DRAFT),                        # 8.a.1 plan and initial draft
    ("tim", "office_discussion", DRAFT),                        # 8.a.2 draft-1
    ("tim", "office_discussion", DRAFT),                        # 8.a.3 draft-2
    ("tim", "office_discussion", DRAFT),                        # 8.a.4 draft-3
    ("tim", "office_discussion", DRAFT),                        # 8.a.5 final draft
    ("tim", "offsite_working_meeting", DRAFT),                  # 8.b (1 of 3)
    ("tim", "offsite_working_meeting", DRAFT),                  # 8.b (2 of 3)
    ("tim", "offsite_working_meeting", DRAFT),                  # 8.b (3 of 3)
    # 9. finalisation by the team secretariat (3 days)
    ("staf", "review_final_draft", DRAFT),                      # 9.a
    ("staf", "edit_final_draft", DRAFT),                        # 9.b
    # 10. memo asking the Inspectorate for a review (signed by the head of bureau)
    ("staf", "draft_document", CHAIN),                          # 10.a
    ("kepala_subbagian", "check_kepala_subbagian", CHAIN),      # 10.b
    ("kepala_bagian", "check_kepala_bagian", CHAIN),            # 10.c
    ("kepala_biro", "check_kepala_biro", CHAIN),                # 10.d signs
    ("staf", "send_document", CHAIN),                           # 10.e
    # 11. the inspector's review
    ("inspektur", "review_lkj", REVIEW),                        # 11
    # 12. memo from the deputy to the minister (signed by the deputy)
    ("staf", "draft_document", CHAIN),                          # 12.a
    ("kepala_subbagian", "check_kepala_subbagian", CHAIN),      # 12.b
    ("kepala_bagian", "check_kepala_bagian", CHAIN),            # 12.c
    ("kepala_biro", "check_kepala_biro", CHAIN),                # 12.d
    ("deputi", "check_deputi", CHAIN),                          # 12.e signs
    ("staf", "send_document", CHAIN),                           # 12.f
    # 13. the minister checks and signs the LKj
    ("menteri", "sign_lkj", APPROVAL),                          # 13
    # 14. three branches in parallel; 15. printing; then 16. distribution
    ("kepala_biro", "request_printing", PUBLISH),               # 14.b
    ("kepala_biro", "request_upload", PUBLISH),                 # 14.c
    ("staf", "deliver_to_kemenpanrb", PUBLISH),                 # 14.a
    ("biro_umum", "print_lkj", PUBLISH),                        # 15
    ("biro_it", "upload_lkj", PUBLISH),                         # 14.c carried out by the IT bureau
    ("staf", "distribute_lkj", PUBLISH),                        # 16
]


@pytest.fixture(scope="module")
def cycle():
    return run_lkj_cycle(BPMN_DIR, UNITS, revise_at=("check_kepala_bagian",), incomplete_unit="DEP2")


def test_full_cycle_follows_the_standard(cycle):
    assert cycle.steps == EXPECTED_CYCLE
    assert cycle.workflow.is_completed()


def test_unit_checks_concern_the_expected_units(cycle):
    """Which unit each step-4/5 task was for (the role alone does not say it for staf)."""
    unit_steps = [(element, unit) for (_, element, _), unit in zip(cycle.steps, cycle.units) if unit]
    assert unit_steps == [
        ("submit_performance_data", "DEP1"), ("submit_performance_data", "DEP2"),
        ("submit_performance_data", "DEP3"),
        ("check_data_staf", "DEP1"), ("check_data_staf", "DEP2"), ("check_data_staf", "DEP3"),
        ("check_data_kepala_bagian", "DEP1"), ("submit_performance_data", "DEP2"),
        ("check_data_kepala_bagian", "DEP3"), ("check_data_staf", "DEP2"),
        ("check_data_kepala_bagian", "DEP2"),
    ]


def test_every_unit_result_is_keyed_by_its_unit(cycle):
    unit_data = cycle.workflow.last_task.data["unit_data"]
    assert sorted(result["unit"] for result in unit_data) == UNITS
    for result in unit_data:
        assert set(result) == {"unit", "indicators", "budget_ceiling", "budget_realisation"}
        assert result["indicators"][0]["code"] == "IKU-1"


def test_discussions_follow_the_five_topics(cycle):
    data = cycle.workflow.last_task.data
    assert len(data["discussion_topics"]) == 5
    assert data["discussion_topics"][0].startswith("Pembahasan ke-1")
    assert len(data["discussion_minutes"]) == 5  # one minutes document per discussion, in order


def test_drive_returns_the_same_steps():
    assert drive_lkj_cycle(BPMN_DIR, UNITS, incomplete_unit="DEP2") == EXPECTED_CYCLE


def test_every_checker_can_send_back():
    """Each checker returns its first document once; every return leads back to the drafter."""
    checkers = {"check_kepala_subbagian", "check_kepala_bagian", "check_kepala_biro", "check_deputi",
                "sign_menteri", "sign_lkj", "check_data_kepala_bagian"}
    run = run_lkj_cycle(BPMN_DIR, ["DEP1", "DEP2", "DEP3", "DEP4"], revise_at=checkers, incomplete_unit="DEP4")
    revised = [i for i, data in enumerate(run.submissions) if data.get("decision") == "revise"]
    assert {run.steps[i][1] for i in revised} == checkers | {"check_data_staf"}
    for i in revised:
        role, element, process = run.steps[i]
        if element in ("check_data_staf", "check_data_kepala_bagian"):
            unit = run.units[i]  # back to that unit, which is its next task
            nxt = next(j for j in range(i + 1, len(run.steps)) if run.units[j] == unit)
            assert run.steps[nxt] == (f"satuan_kerja:{unit}", "submit_performance_data", UNIT)
        else:  # chain checks and the minister's LKj signature go back to the staff's draft
            assert run.steps[i + 1] == ("staf", "draft_document", CHAIN)
    assert run.workflow.is_completed()


def test_decree_signed_by_the_minister_is_numbered_not_sent():
    steps = drive_lkj_cycle(BPMN_DIR, UNITS, revise_at=())
    i = steps.index(("menteri", "sign_menteri", CHAIN))
    assert steps[i + 1] == ("biro_tata_usaha", "number_decree", CHAIN)
    assert steps[i + 2] == ("kepala_subbagian", "assign_decree_copies", TEAM)


def test_single_unit_cycle_has_no_returns():
    steps = drive_lkj_cycle(BPMN_DIR, ["SETMEN"], revise_at=())
    # EXPECTED_CYCLE less its revision round (3 tasks) and 8 of its 11 step-4/5 tasks
    assert len(steps) == len(EXPECTED_CYCLE) - 3 - 8
    assert [s for s in steps if s[0].startswith("satuan_kerja:")] == [
        ("satuan_kerja:SETMEN", "submit_performance_data", UNIT)]


# ---------------------------------------------------------------- section H: complaints

def test_complaint_delegated_to_the_head_of_division():
    assert drive_complaint(BPMN_DIR, "DEP1", delegate=True) == [
        ("satuan_kerja:DEP1", "submit_complaint", COMPLAINT),                  # H.1 to the head of bureau
        ("kepala_biro", "triage_complaint", COMPLAINT),                        # H.2 delegates
        ("staf", "prepare_complaint_follow_up", COMPLAINT),                    # H.3 with the staff
        ("kepala_bagian", "answer_complaint_kepala_bagian", COMPLAINT),        # H.3 follows up
    ]


def test_complaint_handled_by_the_head_of_bureau():
    run = run_complaint(BPMN_DIR, "DEP3", delegate=False)
    assert run.steps == [
        ("satuan_kerja:DEP3", "submit_complaint", COMPLAINT),                  # H.1
        ("kepala_biro", "triage_complaint", COMPLAINT),                        # H.2 does not delegate
        ("kepala_biro", "answer_complaint_kepala_biro", COMPLAINT),            # H.1 follows up himself
    ]
    assert run.workflow.is_completed()
