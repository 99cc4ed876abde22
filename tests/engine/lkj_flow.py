"""Drive the real LKj diagrams through the engine's commands (no HTTP), as the role clients
would: the oldest open task first, answered with the procedure's sample data."""
from __future__ import annotations

import io
import itertools

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


def deploy_procedure(ctx, units=UNITS):
    diagrams = read_folder(ROOT / "bpmn")[0]
    forms = read_folder(ROOT / "forms")[1]
    usecases.deploy(ctx, ADMIN, diagrams, forms)
    for code in units:
        usecases.create_unit(ctx, ADMIN, code, f"Satuan Kerja {code}")


def start_lkj(ctx, year=2024, **answer_options):
    instance = usecases.start_instance(ctx, actor("kb", "kepala_biro"), "lkj_preparation",
                                       {"year": year})
    answers = CommandAnswers(**answer_options)
    answers.ctx, answers.instance_id = ctx, instance.id
    return instance.id, answers


def work(ctx, instance_id, answers, stop=lambda task: False, clock_step=None, limit=500):
    """Complete open tasks oldest first until none is left or `stop(task)` says so for the
    next one; `clock_step(task)` may move the engine's clock before each completion.
    Returns the completed tasks' (role, element_id)."""
    done = []
    for _ in range(limit):
        open_tasks = usecases.list_tasks(ctx, ADMIN, process_instance_id=instance_id,
                                         sort="created_at", limit=500).items
        if not open_tasks:
            return done
        task = min(open_tasks, key=lambda t: (t.created_at, t.role, t.element_id))
        if stop(task):
            return done
        if clock_step:
            clock_step(task)
        worker = actor(f"user-{task.role}", task.role)
        variables = usecases.get_task_variables(ctx, ADMIN, task.id)
        data = answers.for_form(task.form_key, task.element_id, variables)
        usecases.claim_task(ctx, worker, task.id)
        usecases.complete_task(ctx, worker, task.id, data)
        done.append((task.role, task.element_id))
    raise AssertionError(f"more than {limit} tasks")
