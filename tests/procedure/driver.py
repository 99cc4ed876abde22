"""Run the LKj procedure's diagrams in memory: the engine's workflow layer only
(engine.workflow: the deploy-time model, the SpiffWorkflow runtime, form validation), with no
database, no use cases, no users or role checks. Fast and deterministic; the diagram-tooling
tests (diagrams after a bpmn-moddle round trip must run the same) and the HTTP test (its
expected order) use it as a reference, and tests/procedure/test_lkj_cycle.py checks that it
follows the standard. The procedure itself is tested on the engine, through its use cases
(tests/engine/lkj_flow.py).

Public entry points:

    drive_lkj_cycle(bpmn_dir, units, revise_at=("check_kepala_bagian",), incomplete_unit=None,
                    forms_dir=None, year=2024, correct_unit=None) -> list[tuple[str, str, str]]
    drive_complaint(bpmn_dir, unit, delegate=True, forms_dir=None) -> list[tuple[str, str, str]]

Both return the user tasks completed, in order, as (role, element_id, process_id), where role
is the lane's `role` property resolved against the task's data (e.g. `satuan_kerja:DEP1`).
`run_lkj_cycle` / `run_complaint` take the same arguments and also return the finished
workflow, for tests that look at its data.

Scheduling is deterministic: the driver always completes the user task that has been ready
longest (first in, first out); tasks that became ready together go in task-tree order, which
for the units' parallel multi-instance is the order of `units`. Every completion's data is
built by a per-form sample maker (`Answers`, also used by the engine and HTTP drivers) and
validated against `forms/<formKey>.json` first, so a form that does not fit its flow fails here.
"""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path

from engine.workflow import runtime
from engine.workflow.forms import validate
from engine.workflow.model import ProcessModel, resolve_role

REPO = Path(__file__).resolve().parents[2]
FORMS_DIR = REPO / "forms"
MAX_STEPS = 1000  # far above one cycle; stops a runaway loop with a clear error


# ---------------------------------------------------------------- model

def load_model(bpmn_dir, forms_dir=None) -> ProcessModel:
    """Parse every diagram of `bpmn_dir` with every form of `forms_dir` (default: forms/)."""
    files = {p.name: p.read_bytes() for p in sorted(Path(bpmn_dir).glob("*.bpmn"))}
    forms = {p.stem: json.loads(p.read_text()) for p in sorted(Path(forms_dir or FORMS_DIR).glob("*.json"))}
    return ProcessModel.from_files(files, forms)


# ---------------------------------------------------------------- sample form data

@dataclass
class Answers:
    """Decides what each completion submits; `revise_at` element ids say 'revise' once each;
    `incomplete_unit`'s data is found incomplete once at step 5; `correct_unit` is asked once,
    when the initial draft is discussed (6.4), to correct its data."""
    revise_at: set = field(default_factory=set)
    incomplete_unit: str | None = None
    correct_unit: str | None = None
    delegate: bool = True
    _revised: set = field(default_factory=set)
    _docs: itertools.count = field(default_factory=lambda: itertools.count(1))

    def document(self) -> str:
        return f"doc-{next(self._docs):04d}"

    def decision(self, element_id: str, data: dict) -> dict:
        key = element_id
        wants_revision = element_id in self.revise_at
        if element_id == "check_data_staf" and data.get("unit") == self.incomplete_unit:
            key, wants_revision = f"{element_id}:{data['unit']}", True
        if wants_revision and key not in self._revised:
            self._revised.add(key)
            return {"decision": "revise", "notes": "Mohon dilengkapi dan diperbaiki."}
        if element_id == "sign_lkj":  # the LKj the minister signed: what is archived and published
            return {"decision": "approve", "signed_document": self.document()}
        return {"decision": "approve"}

    def for_form(self, form_key: str, element_id: str, data: dict) -> dict:
        maker = getattr(self, f"_{form_key}", None)
        if maker is None:
            raise KeyError(f"no sample data maker for form '{form_key}'")
        return maker(element_id, data)

    # one maker per form key ---------------------------------------------------
    def _approval_check(self, element_id, data):
        return self.decision(element_id, data)

    def _task_assignment(self, element_id, data):
        return {"instructions": "Segera dilaksanakan sesuai standar pelayanan.", "target_date": "2025-01-15"}

    def _document_draft(self, element_id, data):
        return {"document": self.document(), "summary": "Konsep sesuai arahan."}

    def _decree_numbering(self, element_id, data):
        return {"decree_number": "12 Tahun 2025", "decree_date": "2025-01-20", "document": self.document()}

    def _document_dispatch(self, element_id, data):
        return {"recipients": ["Pimpinan satuan kerja terkait"], "dispatched_on": "2025-01-21"}

    def _performance_data(self, element_id, data):
        return {
            "indicators": [
                {"code": "IKU-1", "name": "Indeks kepuasan layanan",
                 "objective": "Meningkatnya kualitas layanan", "polarity": "higher_is_better",
                 "target": 3.5, "realisation": 3.6, "last_year_realisation": 3.4,
                 "unit_of_measure": "indeks", "explanation": "Tercapai."},
                {"code": "IKU-2", "name": "Persentase rekomendasi ditindaklanjuti",
                 "objective": "Meningkatnya akuntabilitas kinerja", "polarity": "higher_is_better",
                 "target": 90, "realisation": 85.5, "unit_of_measure": "persen"},
            ],
            "budget_ceiling": 12500000000,
            "budget_realisation": 11800000000.5,
        }

    def _draft_discussion(self, element_id, data):
        if self.correct_unit and "draft_discussion" not in self._revised:
            self._revised.add("draft_discussion")
            return {"summary": "Data satuan kerja perlu diperbaiki.",
                    "units_to_correct": [self.correct_unit],
                    "correction_notes": "Realisasi indikator tidak sesuai bukti dukung."}
        return {"summary": "Draf awal dibahas dan disepakati.", "units_to_correct": []}

    def _meeting_minutes(self, element_id, data):
        return {"meeting_date": "2025-02-10", "attendees": ["Anggota Tim 1", "Anggota Tim 2"],
                "summary": "Draf dibahas dan disepakati perbaikannya.", "minutes_document": self.document()}

    def _work_report(self, element_id, data):
        return {"summary": "Kegiatan telah dilaksanakan.", "completed_on": "2025-02-01"}

    def _website_upload(self, element_id, data):
        return {"url": "https://www.setneg.go.id/lkj/2024", "uploaded_on": "2025-03-10"}

    def _inspectorate_review(self, element_id, data):
        return {"review_document": self.document(), "summary": "Draf final layak diajukan.",
                "recommendations": ["Lengkapi analisis efisiensi anggaran."]}

    def _complaint(self, element_id, data):
        return {"category": "keluhan", "subject": "Tenggat pengisian data",
                "description": "Tenggat satu minggu terlalu singkat untuk satuan kerja kami."}

    def _complaint_triage(self, element_id, data):
        if self.delegate:
            return {"handling": "delegate", "instructions": "Tindak lanjuti bersama staf."}
        return {"handling": "self"}

    def _complaint_response(self, element_id, data):
        return {"response": "Tenggat diperpanjang tiga hari.", "resolved": True}


# ---------------------------------------------------------------- the run loop

@dataclass
class Run:
    steps: list          # [(role, element_id, process_id)] in completion order
    workflow: object     # the finished SpiffWorkflow BpmnWorkflow
    units: list = field(default_factory=list)        # per step: the task's `unit`, or None
    submissions: list = field(default_factory=list)  # per step: the form data submitted
    # per step: how many completions came before the task became ready; steps with the same
    # round became ready together (in one step of the engine)
    rounds: list = field(default_factory=list)


def _oldest_ready(wf, first_seen: dict, counter, round_of: dict, completed: int,
                  tie_break=None) -> object | None:
    """The ready user task that has waited longest; ties (tasks that became ready together)
    in task-tree order, or by `tie_break(task)` when given."""
    ready = runtime.ready_user_tasks(wf)
    for task in ready:
        if task.id not in first_seen:
            first_seen[task.id] = next(counter)
            round_of[task.id] = completed
    return min(ready, key=lambda t: (round_of[t.id], tie_break(t) if tie_break else first_seen[t.id]),
               default=None)


def run_process(model: ProcessModel, process_id: str, start_data: dict, answers: Answers,
                tie_break=None) -> Run:
    spec, subprocess_specs = model.spec_and_subprocesses(process_id)
    wf = runtime.new_workflow(runtime.ExecutableSpec(spec, subprocess_specs), start_data)
    runtime.run_to_wait_states(wf)
    run, first_seen, counter, round_of = Run([], wf), {}, itertools.count(), {}
    while (task := _oldest_ready(wf, first_seen, counter, round_of, len(run.steps),
                                 tie_break and (lambda t: tie_break(model, t)))) is not None:
        if len(run.steps) >= MAX_STEPS:
            raise RuntimeError(f"more than {MAX_STEPS} user tasks: a loop does not end")
        meta = model.user_task_meta(task.task_spec)
        role = resolve_role(meta.role_template, task.data)
        data = answers.for_form(meta.form_key, meta.element_id, task.data)
        validate(model.forms[meta.form_key], data, document_exists=lambda doc: doc.startswith("doc-"))
        run.steps.append((role, meta.element_id, runtime.process_id_of(task)))
        run.units.append(task.data.get("unit"))
        run.submissions.append(data)
        run.rounds.append(round_of[task.id])
        runtime.complete_user_task(wf, task, data)
    if not wf.is_completed():
        raise RuntimeError(f"{process_id} stopped without a ready user task after {run.steps[-1:]}")
    return run


def run_lkj_cycle(bpmn_dir, units, revise_at=("check_kepala_bagian",), incomplete_unit=None,
                  forms_dir=None, year=2024, tie_break=None, correct_unit=None) -> Run:
    """One yearly cycle of `lkj_preparation` for `units` (list of unit codes).
    `tie_break(model, task)`, if given, orders tasks that became ready together."""
    answers = Answers(revise_at=set(revise_at), incomplete_unit=incomplete_unit,
                      correct_unit=correct_unit)
    model = load_model(bpmn_dir, forms_dir)
    return run_process(model, "lkj_preparation", {"year": year, "units": list(units)}, answers,
                       tie_break)


def by_role_and_element(model: ProcessModel, task) -> tuple[str, str]:
    """A tie-break a client without the task tree can apply too: role, then element id."""
    meta = model.user_task_meta(task.task_spec)
    return resolve_role(meta.role_template, task.data), meta.element_id


def drive_lkj_cycle(bpmn_dir, units, revise_at=("check_kepala_bagian",), incomplete_unit=None,
                    forms_dir=None, year=2024, correct_unit=None) -> list[tuple[str, str, str]]:
    return run_lkj_cycle(bpmn_dir, units, revise_at, incomplete_unit, forms_dir, year,
                         correct_unit=correct_unit).steps


def run_complaint(bpmn_dir, unit, delegate=True, forms_dir=None) -> Run:
    """One complaint of `unit` through `lkj_complaint` (section H of the standard)."""
    model = load_model(bpmn_dir, forms_dir)
    return run_process(model, "lkj_complaint", {"unit": unit, "year": 2024}, Answers(delegate=delegate))


def drive_complaint(bpmn_dir, unit, delegate=True, forms_dir=None) -> list[tuple[str, str, str]]:
    return run_complaint(bpmn_dir, unit, delegate, forms_dir).steps
