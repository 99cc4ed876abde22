"""Drive the real LKj diagrams through the engine's use cases (no HTTP), as the role clients
would: deploy bpmn/ and forms/, register the units, start a process as a user of a role that
may start it, then take the open tasks one at a time: read the task's variables, claim and
complete it as a user of its role with the procedure's sample answers (documents really
uploaded). State is in the test database (`ctx`); every command is the one the API calls."""
from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from pathlib import Path

from engine import usecases
from tests.conftest import ADMIN, ROOT, actor, read_folder
from tests.procedure.driver import Answers

UNITS = ("DEP1", "DEP2", "DEP3")


class CommandAnswers(Answers):
    """Sample answers whose documents are really uploaded to the instance."""
    ctx = None
    instance_id = None
    _numbers = itertools.count(1)

    def document(self) -> str:
        number = next(self._numbers)
        return usecases.upload_document(self.ctx, ADMIN, self.instance_id, f"dok-{number}.pdf",
                                        "application/pdf", io.BytesIO(b"%%PDF %d" % number)).id


@dataclass(frozen=True)
class Completed:
    """A task the driver completed."""
    role: str
    element_id: str
    unit: str | None      # the task's `unit` variable (the units' step 4/5 tasks, complaints)
    data: dict            # the form data submitted
    opened_after: int     # how many completions came before it appeared among the open tasks


def deploy_procedure(ctx, units=UNITS, bpmn_dir: Path = ROOT / "bpmn"):
    diagrams = read_folder(bpmn_dir)[0]
    forms = read_folder(ROOT / "forms")[1]
    usecases.deploy(ctx, ADMIN, diagrams, forms)
    for code in units:
        usecases.create_unit(ctx, ADMIN, code, f"Satuan Kerja {code}")


def start(ctx, key: str, starter_role: str, variables: dict, **answer_options):
    """Start `key` as a user of `starter_role`: (instance id, answers for its tasks)."""
    instance = usecases.start_instance(ctx, actor(f"user-{starter_role}", starter_role), key,
                                       variables)
    answers = CommandAnswers(**answer_options)
    answers.ctx, answers.instance_id = ctx, instance.id
    return instance.id, answers


def start_lkj(ctx, year=2024, **answer_options):
    """The yearly cycle, started by the head of bureau; the units are the registered ones."""
    return start(ctx, "lkj_preparation", "kepala_biro", {"year": year}, **answer_options)


def oldest_first(open_tasks):
    """The task open longest; tasks opened together by role, then element."""
    return min(open_tasks, key=lambda t: (t.created_at, t.role, t.element_id))


def newest_first(open_tasks):
    """The task opened last (the reverse of `oldest_first`): another order a user may take."""
    return max(open_tasks, key=lambda t: (t.created_at, t.role, t.element_id))


def work(ctx, instance_id, answers, stop=lambda task: False, clock_step=None, limit=500,
         pick=oldest_first) -> list[Completed]:
    """Complete the open task `pick` chooses until none is left or `stop(task)` says so for
    the next one; `clock_step(task)` may move the engine's clock before each completion."""
    done: list[Completed] = []
    opened_after: dict[str, int] = {}
    for _ in range(limit):
        open_tasks = usecases.list_tasks(ctx, ADMIN, process_instance_id=instance_id,
                                         sort="created_at", limit=500).items
        for task in open_tasks:
            opened_after.setdefault(task.id, len(done))
        if not open_tasks:
            return done
        task = pick(open_tasks)
        if stop(task):
            return done
        if clock_step:
            clock_step(task)
        worker = actor(f"user-{task.role}", task.role)
        variables = usecases.get_task_variables(ctx, worker, task.id)
        data = answers.for_form(task.form_key, task.element_id, variables)
        usecases.claim_task(ctx, worker, task.id)
        usecases.complete_task(ctx, worker, task.id, data)
        done.append(Completed(task.role, task.element_id, variables.get("unit"), data,
                              opened_after[task.id]))
    raise AssertionError(f"more than {limit} tasks")
