"""A task's form decides what its submission may write, never the variables the process
routes by: completing a task merges only the fields its form declares."""
from __future__ import annotations

import json

from engine import usecases
from tests.conftest import ADMIN, actor
from tests.engine import diagrams as d

# A form as a process owner might write it: it does not close itself to other fields.
OPEN_FORM = json.dumps({"type": "object", "properties": {"value": {"type": "string"}}}).encode()
UNIT_A = actor("officer_a", "satuan_kerja:A")


def deploy_unit_steps(ctx):
    """Two steps in the queue of the unit the instance is about (`satuan_kerja:{unit}`)."""
    diagram = d.process("unit_steps", [
        '<bpmn:startEvent id="start" />', d.user_task("submit", "open"),
        d.user_task("revise", "open"), '<bpmn:endEvent id="end" />'],
        [d.flow("f1", "start", "submit"), d.flow("f2", "submit", "revise"),
         d.flow("f3", "revise", "end")],
        [d.lane("unit_lane", "satuan_kerja:{unit}", ["start", "submit", "revise", "end"])])
    return usecases.deploy(ctx, ADMIN, {"unit_steps.bpmn": diagram}, {"open.json": OPEN_FORM})


def test_a_form_open_to_other_fields_deploys_with_a_warning(ctx):
    deployment = deploy_unit_steps(ctx)
    assert [d.key for d in deployment.definitions] == ["unit_steps"]
    # (the test's diagrams have no layout: warned about too)
    [warning] = [w for w in deployment.warnings if w["file"].endswith(".json")]
    assert warning["file"] == "open.json"
    assert "additionalProperties" in warning["message"]


def test_a_unit_user_cannot_send_the_next_task_to_another_unit(ctx):
    deploy_unit_steps(ctx)
    for code in ("A", "B"):
        usecases.create_unit(ctx, ADMIN, code, f"Biro {code}")
    instance = usecases.start_instance(ctx, ADMIN, "unit_steps", {"unit": "A"})
    [task] = instance.open_tasks
    assert task.role == "satuan_kerja:A"
    usecases.claim_task(ctx, UNIT_A, task.id)
    result = usecases.complete_task(ctx, UNIT_A, task.id, {"value": "ok", "unit": "B"})
    [next_task] = result.next_tasks
    assert next_task.role == "satuan_kerja:A"
    variables = usecases.get_task_variables(ctx, UNIT_A, next_task.id)
    assert (variables["unit"], variables["value"]) == ("A", "ok")
    # the history records what was merged, not what was sent
    completed = [e for e in usecases.instance_history(ctx, ADMIN, instance.id).items
                 if e.type == "task_completed"]
    assert completed[0].payload["data"] == {"value": "ok"}
    assert usecases.replay_instance(ctx, ADMIN, instance.id).consistent
