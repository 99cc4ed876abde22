"""An instance's variables: its data as one set of names (engine/workflow/instance_data.py
says how they are read from the data of its tasks), read by those who follow every
instance, set and deleted by admins through the instance transaction, recorded as a
`variables_changed` event that replay applies again."""
from __future__ import annotations

import json

from sqlalchemy import select

from engine.errors import InstanceNotRunning, InvalidInput
from engine.persistence import event_log, state_store
from engine.persistence.tables import ExternalTask, ProcessInstance
from engine.usecases import external_task_rows, policy
from engine.usecases.context import EngineContext
from engine.usecases.shared import _check_json_data, _visible_instance
from engine.usecases.transaction import InstanceCommand, change_instance
from engine.usecases.views import Actor
from engine.workflow import instance_data, runtime

ENDED = ("completed", "terminated")
# An instance in error is corrected with the admin's retry (its `data`): the failed step
# runs again from its parent's data, which a change here would not reach.
CHANGEABLE = ("running", "suspended")


def get_instance_variables(ctx: EngineContext, actor: Actor, instance_id: str) -> dict:
    """The instance's variables: while it has not ended, the data of its open tasks
    (people's, workers', timers' and events' waits, a failed step); once ended, the data
    it ended with."""
    with ctx.db.read() as s:
        waits_for_worker = s.scalar(select(ExternalTask.id).where(
            ExternalTask.process_instance_id == str(instance_id)).limit(1)) is not None
        instance = s.get(ProcessInstance, str(instance_id)) \
            if policy.serves_as_worker(actor, waits_for_worker) \
            else _visible_instance(s, actor, instance_id)
        policy.check_read_instance_data(actor, waits_for_worker)
        wf, _ = state_store.load(s, instance, ctx.executable(instance.definition))
        ended = instance.status in ENDED
    data = instance_data.final_data(wf) if ended else instance_data.current_data(wf)
    return _plain(data)


def set_instance_variables(ctx: EngineContext, actor: Actor, instance_id: str,
                           modifications: dict | None = None,
                           deletions: list[str] | None = None) -> dict:
    """Set `modifications` (name -> JSON value) and then delete `deletions` (names) in the
    data of every open task of a running or suspended instance; returns its variables
    after. Recorded in its history with the names, the values and who changed them."""
    policy.require_variables_changer(actor)
    modifications = {} if modifications is None else modifications
    deletions = [] if deletions is None else deletions
    _check_changes(modifications, deletions)
    return change_instance(ctx, _VariablesChange(
        actor, modifications, list(dict.fromkeys(deletions)),
        ctx.settings.script_max_data_bytes), instance_id)


def _check_changes(modifications, deletions) -> None:
    """Names are non-empty text; values plain JSON (never Decimal, bytes or NaN)."""
    errors = {}
    if not isinstance(modifications, dict):
        errors["modifications"] = ["must be an object of name -> value"]
        modifications = {}
    if not isinstance(deletions, list):
        errors["deletions"] = ["must be a list of names"]
        deletions = []
    for name, value in modifications.items():
        if not isinstance(name, str) or not name.strip():
            errors["modifications"] = ["a variable's name is non-empty text"]
            continue
        try:
            _check_json_data({name: value})
        except InvalidInput as problem:
            errors[f"modifications.{name}"] = problem.errors["data"]
    for index, name in enumerate(deletions):
        if not isinstance(name, str) or not name.strip():
            errors[f"deletions[{index}]"] = ["a variable's name is non-empty text"]
    if errors:
        raise InvalidInput("The variables cannot be changed", errors)


def _plain(data: dict) -> dict:
    """A copy in plain JSON values, as the task data's reader gets it."""
    return json.loads(runtime.canonical_json(data))


class _VariablesChange(InstanceCommand):
    name = "set_instance_variables"

    def __init__(self, actor: Actor, values: dict, deleted: list[str], max_bytes: int):
        self.actor, self.values, self.deleted, self.max_bytes = actor, values, deleted, max_bytes
        self.after: dict = {}

    def check(self, s, instance):
        if instance.status == "error":
            raise InstanceNotRunning(
                "the process instance is in error: correct its data with the retry, which "
                "runs the failed step again with it")
        if instance.status not in CHANGEABLE:
            raise InstanceNotRunning(f"the process instance is {instance.status}; its "
                                     "variables change only while it runs or is suspended")

    def act(self, wf, now, thrown):
        try:
            instance_data.change_open_data(wf, self.values, self.deleted, self.max_bytes)
        except instance_data.DataTooLarge as problem:
            raise InvalidInput(f"The variables are too large: {problem}",
                               {"modifications": [str(problem)]}) from None
        self.after = _plain(instance_data.current_data(wf))

    def writes(self):
        return bool(self.values or self.deleted)  # nothing asked: nothing recorded

    def record(self, s, instance, log, now, wf):
        log.append(event_log.VARIABLES_CHANGED, self.actor.username, now, payload={
            "set": sorted(self.values), "deleted": self.deleted, "values": self.values,
            "state_digest": runtime.state_digest(wf)})
        external_task_rows.refresh_variables(s, instance, wf)

    def result(self, s, instance, new_tasks):
        return self.after
