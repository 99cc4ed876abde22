"""The service standard's procedure as an order of steps, and a check of a run against it.

Source: the service standard itself, *Standar Pelayanan Pengoordinasian Penyusunan Laporan
Kinerja Kementerian Sekretariat Negara* (the Indonesian original, pp. 366-376: Bagian Kedua B
"Uraian Prosedur", steps 1-16, and H, complaints), with the role ids of the project's
procedure map (PROCEDURE.md). Each `Step` carries the standard's number, the role the
standard names for it and the user task of bpmn/ that carries it out. Steps are put
together with

    seq(...)        in this order: each part starts only after the one before it finished
    parallel(...)   branches the standard runs at the same time: they open together, and
                    finish in any order (step 14 a-c; the units' data, steps 4-5)
    any_order(...)  parts the standard gives no order for (complaints, H.3)

so the check accepts every order the standard allows and pins none it does not give.

What the standard leaves open, and how it is written here:
- Step 6 names no role per activity: the draft is written within the Bagian Akuntabilitas
  Kinerja, on the initiative of its head, the head of subdivision or a staff proposal; any of
  those three roles passes.
- Steps 4-5: each unit's data is checked "secara berjenjang" (in stages: staff, then the
  head of division) as it comes in, so the units form parallel branches of 4 -> 5 (staff)
  -> 5 (head of division).
- Returns are not spelled out in the standard; PROCEDURE.md (and step 5's completeness
  check) say a checker may send the work back. A step with `returns_to` may answer
  "revise": the work then goes back to that step and through every step up to the checker
  again, in order.
- The data behind the draft must be accurate (J.1): when the draft is discussed (6.4) and a
  unit's figures prove wrong, that unit does steps 4-5 again. A step with `corrects` may name
  units (`Done.corrects`): each named unit's steps (the `corrects` templates) are done again,
  in order, and the step itself follows the last of them.

`check(pattern, run)` lists every way the run breaks the pattern: a step done by another
role, a step that was not expected at that point (or never done), a step that was open
before a step it must follow was finished, parallel branches that did not open together.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# ---------------------------------------------------------------- roles (the procedure map)

KEPALA_BIRO = "kepala_biro"            # Kepala Biro Organisasi, Tata Laksana, dan Akuntabilitas
                                       # Kinerja: owner of the service
KEPALA_BAGIAN = "kepala_bagian"        # Kepala Bagian Akuntabilitas Kinerja I
KEPALA_SUBBAGIAN = "kepala_subbagian"  # Kepala Subbagian Perencanaan dan Pelaporan Kinerja I
STAF = "staf"                          # Staf Bagian Akuntabilitas Kinerja I/II; Sekretariat Tim
DEPUTI = "deputi"                      # Deputi Bidang Administrasi Aparatur
MENTERI = "menteri"                    # Menteri Sekretaris Negara
BIRO_TATA_USAHA = "biro_tata_usaha"    # Staf Biro Tata Usaha
TIM = "tim"                            # Anggota Tim Penyusun
INSPEKTUR = "inspektur"
BIRO_UMUM = "biro_umum"                # Biro Umum, Sekretariat Kementerian
BIRO_IT = "biro_it"                    # Biro Informasi dan Teknologi
# step 6: whoever of the division drafts (see the module docstring)
DIVISION = frozenset({KEPALA_BAGIAN, KEPALA_SUBBAGIAN, STAF})


def unit_role(unit: str) -> str:
    return f"satuan_kerja:{unit}"


# ---------------------------------------------------------------- building blocks

@dataclass(frozen=True)
class Step:
    number: str                       # the standard's numbering, unique in a pattern
    role: str | frozenset             # the role, or the roles the standard allows
    element: str                      # the user task of bpmn/ that carries it out
    unit: str | None = None           # the unit a step 4/5 or complaint task is about
    returns_to: str | None = None     # a checker: where a "revise" sends the work back
    corrects: tuple = ()              # step numbers ("{unit}" filled in) a named unit redoes

    def allows(self, role: str) -> bool:
        return role in self.role if isinstance(self.role, frozenset) else role == self.role

    def describe(self) -> str:
        roles = "/".join(sorted(self.role)) if isinstance(self.role, frozenset) else self.role
        return f"{self.number} {self.element} ({roles})"


@dataclass(frozen=True)
class Group:
    kind: str          # "seq", "parallel" or "any_order"
    parts: tuple


def seq(*parts) -> Group:
    return Group("seq", parts)


def parallel(*branches) -> Group:
    return Group("parallel", branches)


def any_order(*parts) -> Group:
    return Group("any_order", parts)


# ---------------------------------------------------------------- the standard

def lkj_cycle(units) -> Group:
    """Bagian Kedua B, steps 1-16, for the units asked for their data."""
    return seq(
        # 1. Pemberian arahan dan penugasan secara berjenjang (30 menit)
        Step("1.a", KEPALA_BIRO, "give_direction"),
        Step("1.b", KEPALA_BAGIAN, "assign_planning"),
        # 2. Pembentukan Tim (1 minggu)
        # 2.a memorandum asking the units to nominate team members, signed by the deputy
        Step("2.a.1", KEPALA_SUBBAGIAN, "assign_nomination_memo"),
        Step("2.a.2", STAF, "draft_document"),
        Step("2.a.3", KEPALA_SUBBAGIAN, "check_kepala_subbagian", returns_to="2.a.2"),
        Step("2.a.4", KEPALA_BAGIAN, "check_kepala_bagian", returns_to="2.a.2"),
        Step("2.a.5", KEPALA_BIRO, "check_kepala_biro", returns_to="2.a.2"),
        Step("2.a.6", DEPUTI, "check_deputi", returns_to="2.a.2"),
        Step("2.a.7", STAF, "send_document"),
        # 2.b draft ministerial decree on the team: signed by the minister, then numbered
        Step("2.b.1", KEPALA_SUBBAGIAN, "assign_team_decree"),
        Step("2.b.2", STAF, "draft_document"),
        Step("2.b.3", KEPALA_SUBBAGIAN, "check_kepala_subbagian", returns_to="2.b.2"),
        Step("2.b.4", KEPALA_BAGIAN, "check_kepala_bagian", returns_to="2.b.2"),
        Step("2.b.5", KEPALA_BIRO, "check_kepala_biro", returns_to="2.b.2"),
        Step("2.b.6", DEPUTI, "check_deputi", returns_to="2.b.2"),
        Step("2.b.7", MENTERI, "sign_menteri", returns_to="2.b.2"),
        Step("2.b.8", BIRO_TATA_USAHA, "number_decree"),
        # 2.c certified copies of the decree, signed by the head of bureau, sent to the team
        Step("2.c.1", KEPALA_SUBBAGIAN, "assign_decree_copies"),
        Step("2.c.2", STAF, "draft_document"),
        Step("2.c.3", KEPALA_SUBBAGIAN, "check_kepala_subbagian", returns_to="2.c.2"),
        Step("2.c.4", KEPALA_BAGIAN, "check_kepala_bagian", returns_to="2.c.2"),
        Step("2.c.5", KEPALA_BIRO, "check_kepala_biro", returns_to="2.c.2"),
        Step("2.c.6", STAF, "send_document"),
        # 3. memorandum and letters asking the units for their data, signed by the deputy (1 hari)
        Step("3.a", KEPALA_SUBBAGIAN, "assign_data_request"),
        Step("3.b", STAF, "draft_document"),
        Step("3.c", KEPALA_SUBBAGIAN, "check_kepala_subbagian", returns_to="3.b"),
        Step("3.d", KEPALA_BAGIAN, "check_kepala_bagian", returns_to="3.b"),
        Step("3.e", KEPALA_BIRO, "check_kepala_biro", returns_to="3.b"),
        Step("3.f", DEPUTI, "check_deputi", returns_to="3.b"),
        Step("3.g", STAF, "send_document"),
        # 4. every unit fills in and submits its data; 5. checked in stages, staff then head
        parallel(*(seq(
            Step(f"4[{u}]", unit_role(u), "submit_performance_data", unit=u),
            Step(f"5.staf[{u}]", STAF, "check_data_staf", unit=u, returns_to=f"4[{u}]"),
            Step(f"5.kepala_bagian[{u}]", KEPALA_BAGIAN, "check_data_kepala_bagian", unit=u,
                 returns_to=f"4[{u}]"),
        ) for u in units)),
        # 6. Penyusunan draf awal LKj (2 minggu), activities 1)-5)
        Step("6.1", DIVISION, "study_regulations"),
        Step("6.2", DIVISION, "compose_outline"),
        Step("6.3", DIVISION, "write_initial_draft"),
        Step("6.4", DIVISION, "discuss_initial_draft",
             corrects=("4[{unit}]", "5.staf[{unit}]", "5.kepala_bagian[{unit}]")),
        Step("6.5", DIVISION, "finish_initial_draft"),
        # 7. invitation and catering memo, signed by the head of bureau (1-3 hari)
        Step("7.1", STAF, "draft_document"),
        Step("7.2", KEPALA_SUBBAGIAN, "check_kepala_subbagian", returns_to="7.1"),
        Step("7.3", KEPALA_BAGIAN, "check_kepala_bagian", returns_to="7.1"),
        Step("7.4", KEPALA_BIRO, "check_kepala_biro", returns_to="7.1"),
        Step("7.5", STAF, "send_document"),
        # 8.a five in-office discussions (ke-1 ... ke-5), 8.b three off-site working meetings
        *(Step(f"8.a.{n}", TIM, "office_discussion") for n in range(1, 6)),
        *(Step(f"8.b.{n}", TIM, "offsite_working_meeting") for n in range(1, 4)),
        # 9. finalisation by the team secretariat (3 hari)
        Step("9.a", STAF, "review_final_draft"),
        Step("9.b", STAF, "edit_final_draft"),
        # 10. memo of the head of bureau to the Inspector, with the final draft (2 hari)
        Step("10.a", STAF, "draft_document"),
        Step("10.b", KEPALA_SUBBAGIAN, "check_kepala_subbagian", returns_to="10.a"),
        Step("10.c", KEPALA_BAGIAN, "check_kepala_bagian", returns_to="10.a"),
        Step("10.d", KEPALA_BIRO, "check_kepala_biro", returns_to="10.a"),
        Step("10.e", STAF, "send_document"),
        # 11. the Inspector returns the review to the head of bureau
        Step("11", INSPEKTUR, "review_lkj"),
        # 12. memo of the deputy to the minister, with the final draft (2 hari)
        Step("12.a", STAF, "draft_document"),
        Step("12.b", KEPALA_SUBBAGIAN, "check_kepala_subbagian", returns_to="12.a"),
        Step("12.c", KEPALA_BAGIAN, "check_kepala_bagian", returns_to="12.a"),
        Step("12.d", KEPALA_BIRO, "check_kepala_biro", returns_to="12.a"),
        Step("12.e", DEPUTI, "check_deputi", returns_to="12.a"),
        Step("12.f", STAF, "send_document"),
        # 13. the minister checks and signs the LKj (sent back: the approval request again)
        Step("13", MENTERI, "sign_lkj", returns_to="12.a"),
        # 14. a, b, c at the same time; 15. printing follows b's request
        parallel(
            Step("14.a", STAF, "deliver_to_kemenpanrb"),
            seq(Step("14.b", KEPALA_BIRO, "request_printing"),
                Step("15", BIRO_UMUM, "print_lkj")),
            seq(Step("14.c", KEPALA_BIRO, "request_upload"),
                Step("14.c upload", BIRO_IT, "upload_lkj")),
        ),
        # 16. distribution to the heads of every unit (1 hari)
        Step("16", STAF, "distribute_lkj"),
    )


def complaint(unit: str, delegated: bool) -> Group:
    """Bagian Kedua H: a unit's complaint to the head of bureau, who follows it up himself or
    delegates it to the head of division, who follows it up with the staff (no order given)."""
    if delegated:
        follow_up = any_order(
            Step("H.3 kepala_bagian", KEPALA_BAGIAN, "answer_complaint_kepala_bagian"),
            Step("H.3 staf", STAF, "prepare_complaint_follow_up"))
    else:
        follow_up = Step("H.2 not delegated", KEPALA_BIRO, "answer_complaint_kepala_biro")
    return seq(Step("H.1", unit_role(unit), "submit_complaint", unit=unit),
               Step("H.2", KEPALA_BIRO, "triage_complaint"),
               follow_up)


# ---------------------------------------------------------------- the order as a graph

@dataclass
class Order:
    """The leaves of a pattern and what each must follow (the partial order's cover edges)."""
    steps: dict = field(default_factory=dict)      # number -> Step
    after: dict = field(default_factory=dict)      # number -> set of numbers it follows
    together: list = field(default_factory=list)   # per parallel group: its first steps

    def add(self, part, before: set) -> tuple[set, set]:
        """Add `part` after the steps `before`; (its first steps, its last steps)."""
        if isinstance(part, Step):
            if part.number in self.steps:
                raise ValueError(f"step {part.number} twice in the pattern")
            self.steps[part.number] = part
            self.after[part.number] = set(before)
            return {part.number}, {part.number}
        if part.kind == "seq":
            first, last = None, set(before)
            for item in part.parts:
                item_first, last = self.add(item, last)
                first = item_first if first is None else first
            return first or set(), last
        firsts, lasts = [], set()
        for branch in part.parts:
            branch_first, branch_last = self.add(branch, before)
            firsts.append(branch_first)
            lasts |= branch_last
        if part.kind == "parallel":
            self.together.append(sorted(n for f in firsts for n in f))
        return set().union(*firsts), lasts

    def between(self, start: str, end: str) -> set:
        """The steps on a path from `start` to `end`, both included."""
        followers = {start}
        for number in self.steps:  # insertion order is a topological order
            if self.after[number] & followers:
                followers.add(number)
        leading = {end}
        for number in reversed(list(self.steps)):
            if number in leading:
                leading |= self.after[number]
        return followers & leading


def order_of(pattern) -> Order:
    order = Order()
    order.add(pattern, set())
    return order


# ---------------------------------------------------------------- the check

@dataclass(frozen=True)
class Done:
    """One completed task of a run, as the check needs it."""
    role: str
    element: str
    unit: str | None
    decision: str | None   # "revise" sends the work back
    opened_after: int      # completions before the task became open
    corrects: tuple = ()   # units asked to correct their data (a step with `corrects`)


def check(pattern, run: list[Done]) -> list[str]:
    """Every way `run` (completed tasks in completion order) breaks `pattern`; [] if none."""
    order = order_of(pattern)
    done_at: dict[str, int | None] = dict.fromkeys(order.steps)
    not_before = dict.fromkeys(order.steps, 0)   # after a return: opened after the return
    first_opened: dict[str, int] = {}
    waits_for = {n: set(order.after[n]) for n in order.steps}  # grows with corrections
    problems = []
    for i, task in enumerate(run):
        open_steps = [n for n, at in done_at.items()
                      if at is None and all(done_at[p] is not None for p in waits_for[n])]
        matches = [n for n in open_steps if order.steps[n].element == task.element
                   and order.steps[n].unit in (None, task.unit)]
        if len(matches) != 1:
            expected = ", ".join(order.steps[n].describe() for n in open_steps) or "nothing"
            what = "not expected now" if not matches else f"matches several steps {matches}"
            problems.append(f"#{i} {task.element} by {task.role}"
                            f"{f' for {task.unit}' if task.unit else ''}: {what}; "
                            f"the standard expects: {expected}")
            return problems  # what follows would only repeat the same derailment
        number = matches[0]
        step = order.steps[number]
        if not step.allows(task.role):
            problems.append(f"#{i} step {step.describe()} was done by {task.role}")
        must_follow = max([done_at[p] + 1 for p in waits_for[number]] + [not_before[number]])
        if task.opened_after < must_follow:
            waited_for = [order.steps[p].describe() for p in waits_for[number]
                          if done_at[p] >= task.opened_after] or ["the return before it"]
            problems.append(f"#{i} step {step.describe()} was open before "
                            f"{', '.join(waited_for)} had finished")
        first_opened.setdefault(number, task.opened_after)
        done_at[number] = i
        if task.corrects:
            if not step.corrects:
                problems.append(f"#{i} step {step.describe()} asked units to correct their "
                                f"data; the standard gives it no such return")
                continue
            for unit in task.corrects:
                again = [template.format(unit=unit) for template in step.corrects]
                unknown = [n for n in again if n not in order.steps]
                if unknown:
                    problems.append(f"#{i} step {step.describe()} asked {unit}, which has no "
                                    f"step {unknown[0]}, to correct its data")
                    continue
                for redo in again:
                    done_at[redo] = None
                not_before[again[0]] = i + 1
                waits_for[number].add(again[-1])
            done_at[number] = None
            continue
        if task.decision == "revise":
            if step.returns_to is None:
                problems.append(f"#{i} step {step.describe()} sent the work back; "
                                f"the standard gives it no return")
                continue
            for again in order.between(step.returns_to, number):
                done_at[again] = None
            not_before[step.returns_to] = i + 1
    missing = [order.steps[n].describe() for n, at in done_at.items() if at is None]
    if missing:
        problems.append(f"never done: {', '.join(missing)}")
    for firsts in order.together:
        opened = {n: first_opened.get(n) for n in firsts}
        if len(set(opened.values())) > 1:
            problems.append(f"parallel branches did not open together: {opened}")
    return problems


def run_of(pattern, order=None) -> list[Done]:
    """A run that does the steps numbered in `order` (default: every step in pattern order),
    each by its role, opened as soon as the steps it follows had finished. An entry
    (number, "revise") sends the work back. The check's own tests break such runs on purpose."""
    steps = order_of(pattern)
    done_at, reopened, run = {}, {}, []
    for entry in order or list(steps.steps):
        number, decision = entry if isinstance(entry, tuple) else (entry, None)
        step = steps.steps[number]
        opened = max([done_at.get(p, len(run) - 1) + 1 for p in steps.after[number]]
                     + [reopened.get(number, 0)])
        role = step.role if isinstance(step.role, str) else min(step.role)
        done_at[number] = len(run)
        run.append(Done(role, step.element, step.unit, decision, opened))
        if decision == "revise":
            reopened[step.returns_to] = len(run)
    return run
