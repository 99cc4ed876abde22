"""Moving a running instance to another version of its process (SpiffWorkflow's spec diff
and migrate), refused with reasons when the instance's position does not exist there.

Rules: every task that has run or is running (ready, waiting, started, completed, error)
must have its element in the new version, and every called process with an active
subprocess must exist there. Waiting and ready tasks are re-predicted against the new
version; their ids (and so their task rows and claims) are kept.
"""
from __future__ import annotations

from dataclasses import dataclass

from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from engine.workflow import runtime

_PREDICTED = TaskState.FUTURE | TaskState.LIKELY | TaskState.MAYBE


@dataclass(frozen=True)
class MigrationOutcome:
    allowed: bool
    reasons: list[str]
    workflow: object | None = None  # the migrated workflow when allowed


def migrate(wf, target: runtime.ExecutableSpec) -> MigrationOutcome:
    """Move the workflow to the target version; when refused, `wf` may be half moved and
    must be thrown away (the caller holds a copy of its own, never the stored state)."""
    registry = runtime.spec_registry()
    top_diff, subprocess_diffs = diff_workflow(registry, wf, target.spec, target.subprocess_specs)
    reasons = _removed_positions(top_diff, wf.spec.name)
    for subprocess_id, diff in subprocess_diffs.items():
        subprocess = wf.subprocesses[subprocess_id]
        if diff is None:
            reasons.append(f"called process '{subprocess.spec.name}' is running but is not in "
                           f"the target version")
        else:
            reasons.extend(_removed_positions(diff, subprocess.spec.name))
    if reasons:
        return MigrationOutcome(False, reasons)

    migrate_workflow(top_diff, wf, target.spec)
    for subprocess_id, diff in subprocess_diffs.items():
        subprocess = wf.subprocesses[subprocess_id]
        migrate_workflow(diff, subprocess, target.subprocess_specs[subprocess.spec.name])
    wf.subprocess_specs = target.subprocess_specs
    stale = [task for task in wf.get_tasks()
             if task.task_spec is not task.workflow.spec.task_specs.get(task.task_spec.name)]
    if stale:
        return MigrationOutcome(False, [f"element '{t.task_spec.bpmn_id or t.task_spec.name}' of "
                                        f"'{t.workflow.spec.name}' has no place in the target "
                                        f"version" for t in stale])
    # Proves the migrated instance stores and loads under the target version.
    return MigrationOutcome(True, [], runtime.load_state(runtime.dump_state(wf), target))


def _removed_positions(diff, process_id: str) -> list[str]:
    return [f"element '{task.task_spec.bpmn_id or task.task_spec.name}' of '{process_id}' "
            f"({TaskState.get_name(task.state).lower()}) does not exist in the target version"
            for task in diff.removed if not task.state & _PREDICTED]
