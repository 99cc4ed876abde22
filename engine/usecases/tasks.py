"""The role queues and a task's life: claim, unclaim, complete."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

from sqlalchemy import bindparam, func, literal_column, or_, select, union_all, update

from engine.errors import (
    ConcurrentUpdate,
    InvalidInput,
    TaskAlreadyClaimed,
    TaskNotClaimedByCaller,
    TaskNotFound,
    TaskNotOpen,
)
from engine.metrics import metrics
from engine.persistence import event_log, state_store
from engine.persistence.tables import ProcessInstance, Task, TaskQueue
from engine.usecases import policy
from engine.usecases.context import EngineContext
from engine.usecases.shared import (
    OPEN_STATES,
    TASK_SORTS,
    TASK_STATES,
    _check_choice,
    _check_json_data,
    _check_paging,
    _document_checker,
    _require_running,
    _task_view,
    _visible_task,
)
from engine.usecases.transaction import (
    InstanceCommand,
    change_instance,
    lock_instance_status,
)
from engine.usecases.views import Actor, CompletionResult, Page, TaskView
from engine.workflow import forms, runtime

# ---------------------------------------------------------------- tasks

# A queue's `total` counts at most this many tasks unless the caller asks for an exact
# count: the page costs the same for any queue length, an exact count grows with it.
TASK_COUNT_CAP = 1000
TASK_COUNTS = ("capped", "exact")
MAX_SEARCH = 100  # characters of a queue search


def list_tasks(ctx: EngineContext, actor: Actor, state: str | None = None,
               role: str | None = None, assignee: str | None = None,
               process_instance_id: str | None = None, due_before: datetime | None = None,
               sort: str | None = None, limit: int = 50, offset: int = 0,
               count: str = "capped", definition_key: str | None = None,
               search: str | None = None) -> Page:
    """The tasks the actor may see; by default the open ones (ready and claimed).
    `definition_key` keeps one process's tasks; `search` those whose name, subject or phase
    contains it (any case).

    `total` counts at most TASK_COUNT_CAP tasks: beyond, it is the cap and `total_exact`
    is false. `count="exact"` counts every matching task."""
    errors = {}
    _check_choice(errors, "state", state, (*TASK_STATES, "open", "all"), optional=True)
    _check_choice(errors, "sort", sort, TASK_SORTS, optional=True)
    _check_choice(errors, "count", count, TASK_COUNTS)
    if due_before is not None and due_before.tzinfo is None:
        errors["due_before"] = ["must carry a time zone offset"]
    _check_paging(limit, offset, errors)
    if search is not None and len(search) > MAX_SEARCH:
        errors["search"] = [f"at most {MAX_SEARCH} characters"]
    if errors:
        raise InvalidInput("Invalid query", errors)
    states = OPEN_STATES if state in (None, "open") else \
        TASK_STATES if state == "all" else (state,)
    everyone = policy.sees_every_task(actor)
    roles = [] if everyone else policy.actor_queues(actor)
    role = role or None  # an empty filter filters nothing
    # A role filter leaves that role's branches only; the actor's claims outside its roles
    # have a branch unless the filter names one of its roles.
    branch_roles = [r for r in roles if role in (None, r)]
    outside = not everyone and role not in roles
    filters = {"role": role, "assignee": actor.username if assignee == "me" else assignee,
               "process_instance_id": process_instance_id, "due_before": due_before,
               "definition_key": definition_key,
               "search": _like_pattern(search.strip()) if search and search.strip() else None}
    filters = {name: value for name, value in filters.items() if value}
    order = sort or "due_at"
    page_query, count_query = _queue_queries(
        everyone, len(branch_roles), len(roles) if outside else None, len(states),
        tuple(filters), order, count == "exact")
    params = {**filters, **{f"state_{j}": st for j, st in enumerate(states)},
              **{f"role_{i}": r for i, r in enumerate(branch_roles)},
              **{f"not_role_{i}": r for i, r in enumerate(roles)}, "me": actor.username,
              "queues": roles,
              "first": offset + limit, "limit": limit, "offset": offset}
    with ctx.db.read() as s:
        total = s.execute(count_query, params).scalar_one()
        rows = s.execute(page_query, params).all()
    exact = count == "exact" or total <= TASK_COUNT_CAP
    return Page(items=[_task_view(row) for row in rows],
                total=total if exact else TASK_COUNT_CAP, total_exact=exact)


_QUEUE_QUERIES: dict[tuple, tuple] = {}


def _queue_queries(everyone: bool, roles: int, outside: int | None, states: int,
                   filters: tuple[str, ...], order: str, exact: bool):
    """The page and count statements of a queue query of this shape, built once (building
    them costs more than running them); the roles, states and filters are parameters.

    The queue is cut into disjoint branches, each one equality range of an index: (role,
    state) for each of the actor's roles (every state for admins and auditors), and
    (assignee, state) for its claims outside them (`outside`: how many roles to exclude;
    None: no such branch), and the tasks of several queues one of which is the actor's
    (`task_queue`) that it has not claimed itself. Each branch reads only its first rows in order (ids and sort keys);
    the page is the first of them all, and only its rows are read in full. The count
    stops after TASK_COUNT_CAP + 1 rows unless `exact`."""
    shape = (everyone, roles, outside, states, filters, order, exact)
    if shape in _QUEUE_QUERIES:
        return _QUEUE_QUERIES[shape]
    table = Task.__table__
    task = table.c
    in_state = [task.state == bindparam(f"state_{j}") for j in range(states)]
    if everyone:
        scopes = [[st] for st in in_state]
    else:
        scopes = [[task.role == bindparam(f"role_{i}"), st] for i in range(roles)
                  for st in in_state]
        if outside is not None:
            not_mine = [task.role != bindparam(f"not_role_{i}") for i in range(outside)]
            scopes += [[task.assignee == bindparam("me"), st, *not_mine] for st in in_state]
        # The tasks of several queues one of which is the actor's.
        if roles:
            shared = task.id.in_(select(TaskQueue.task_id).where(
                TaskQueue.queue.in_(bindparam("queues", expanding=True))))
            not_claimed_by_me = or_(task.assignee.is_(None), task.assignee != bindparam("me"))
            scopes += [[shared, st, not_claimed_by_me] for st in in_state]
    # A task of several queues has them all in its `role` and one `task_queue` row each.
    of_role = or_(task.role == bindparam("role"), task.id.in_(
        select(TaskQueue.task_id).where(TaskQueue.queue == bindparam("role"))))
    conditions = {"role": of_role,
                  "assignee": task.assignee == bindparam("assignee"),
                  "process_instance_id": task.process_instance_id
                  == bindparam("process_instance_id"),
                  "due_before": task.due_at < bindparam("due_before"),
                  "definition_key": task.definition_key == bindparam("definition_key"),
                  "search": or_(*(task[name].ilike(bindparam("search"), escape="\\")
                                  for name in ("name", "subject", "phase")))}
    branches = [[*scope, *(conditions[name] for name in filters)] for scope in scopes]
    keys = [task[name] for name in _TASK_SORT_KEYS[order.lstrip("-")]]
    heads = union_all(*(select(select(*keys).where(*where).order_by(*_task_order(order))
                               .limit(bindparam("first")).subquery())
                        for where in branches)).subquery()
    page = (select(heads).order_by(*_task_order(order, heads.c))
            .limit(bindparam("limit")).offset(bindparam("offset")).subquery())
    page_query = (select(table).join(page, task.id == page.c.id)
                  .order_by(*_task_order(order, page.c)))
    matches = union_all(*(select(literal_column("1")).select_from(table).where(*where)
                          for where in branches))
    if not exact:
        matches = matches.limit(TASK_COUNT_CAP + 1)
    count_query = select(func.count()).select_from(matches.subquery())
    _QUEUE_QUERIES[shape] = page_query, count_query
    return page_query, count_query


def _like_pattern(text: str) -> str:
    """`text` anywhere, its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_TASK_SORT_KEYS = {"due_at": ("due_at", "created_at", "id"), "created_at": ("created_at", "id"),
                   "name": ("name", "created_at", "id")}


def _task_order(sort: str, columns=Task.__table__.c):
    """SQL order of a queue, on the task table's columns or a subquery's; tasks without a
    due date come last either way."""
    descending = sort.startswith("-")
    column = sort.lstrip("-")
    ordered = [columns[k].desc() if descending else columns[k].asc()
               for k in _TASK_SORT_KEYS[column]]
    if column == "due_at":
        ordered[0] = ordered[0].nulls_last()
    return ordered


def get_task(ctx: EngineContext, actor: Actor, task_id: str) -> TaskView:
    with ctx.db.read() as s:
        return _task_view(_visible_task(s, actor, task_id))


def get_task_form(ctx: EngineContext, actor: Actor, task_id: str) -> tuple[str, dict, str]:
    """(form key, JSON Schema, kind): `json-schema`, `form-js` (the schema translated from
    the Camunda form, which it carries under `x-form-js`) or `none` (any variables)."""
    with ctx.db.read() as s:
        task = _visible_task(s, actor, task_id)
        definition = s.get(ProcessInstance, task.process_instance_id).definition
        schema = definition.forms.get(task.form_key, {})
        return task.form_key, schema, forms.kind_of(task.form_key, schema)


def get_task_variables(ctx: EngineContext, actor: Actor, task_id: str) -> dict:
    """The data the task sees (open) or saw when it was completed: what the form's user
    needs to decide, e.g. the unit's submission a checker reviews."""
    with ctx.db.read() as s:
        task = _visible_task(s, actor, task_id)
        instance = s.get(ProcessInstance, task.process_instance_id)
        wf, _ = state_store.load(s, instance, ctx.executable(instance.definition))
    spiff_task = runtime.task_by_id(wf, task.id)
    if spiff_task is None:
        return {}
    return json.loads(runtime.canonical_json(spiff_task.data))


def claim_task(ctx: EngineContext, actor: Actor, task_id: str) -> TaskView:
    with ctx.db.write() as s:
        task = _visible_task(s, actor, task_id)
        policy.check_claim(actor, task)
        _require_running(lock_instance_status(ctx, s, task.process_instance_id))
        now = ctx.clock.now()
        claimed = s.execute(
            update(Task).where(Task.id == task.id, Task.state == "ready")
            .values(state="claimed", assignee=actor.username, claimed_at=now,
                    version=Task.version + 1)
            .execution_options(synchronize_session=False))
        if claimed.rowcount == 1:
            event_log.EventLog(s, task.process_instance_id).append(
                event_log.TASK_CLAIMED, actor.username, now,
                element_id=task.element_id, task_id=task.id)
            return replace(_task_view(task), state="claimed", assignee=actor.username)
        s.refresh(task)  # someone else's claim or completion came first
        if task.state == "claimed" and task.assignee == actor.username:
            return _task_view(task)
        if task.state == "claimed":
            raise TaskAlreadyClaimed(f"the task is claimed by '{task.assignee}'")
        raise TaskNotOpen(f"the task is {task.state}")


def unclaim_task(ctx: EngineContext, actor: Actor, task_id: str) -> TaskView:
    with ctx.db.write() as s:
        task = _visible_task(s, actor, task_id)
        if task.state != "claimed":
            raise TaskNotOpen(f"the task is {task.state}, not claimed")
        policy.check_unclaim(actor, task)
        if not release_claim(ctx, s, task, actor.username):
            raise ConcurrentUpdate("the task changed meanwhile; reload it")
        s.refresh(task)
        return _task_view(task)


def release_claim(ctx: EngineContext, s, task: Task, by: str, reason: str | None = None) -> bool:
    """Put a claimed task back in its role's queue, under its instance's lock, recorded in
    the instance's history as done `by` someone (with the `reason`, when it was not the
    assignee's or an admin's choice). False when the claim had changed meanwhile."""
    lock_instance_status(ctx, s, task.process_instance_id)
    released = s.execute(
        update(Task).where(Task.id == task.id, Task.state == "claimed",
                           Task.assignee == task.assignee)
        .values(state="ready", assignee=None, claimed_at=None, version=Task.version + 1)
        .execution_options(synchronize_session=False))
    if released.rowcount != 1:
        return False
    payload = {"assignee": task.assignee, **({"reason": reason} if reason else {})}
    event_log.EventLog(s, task.process_instance_id).append(
        event_log.TASK_UNCLAIMED, by, ctx.clock.now(), element_id=task.element_id,
        task_id=task.id, payload=payload)
    return True


def complete_task(ctx: EngineContext, actor: Actor, task_id: str, data: dict,
                  claim: bool = False) -> CompletionResult:
    """Complete a claimed task with form data and run the instance to its next wait states.
    Only the fields the task's form declares reach the instance's data. With `claim`, a
    ready task is claimed and completed at once (one request instead of two); a task
    someone else holds is still refused."""
    if not isinstance(data, dict):
        raise InvalidInput("data must be an object", {"data": ["must be an object"]})
    _check_json_data(data)
    result = change_instance(
        ctx, _Completion(ctx, actor, str(task_id), data, claim),
        select(Task.process_instance_id).where(Task.id == str(task_id)).scalar_subquery(),
        missing=TaskNotFound(f"no task '{task_id}'"))
    metrics().completions.labels(result.task.definition_key).inc()
    return result


class _Completion(InstanceCommand):
    name = "complete_task"

    def __init__(self, ctx: EngineContext, actor: Actor, task_id: str, data: dict, claim: bool):
        self.ctx, self.actor, self.task_id = ctx, actor, task_id
        self.submitted, self.claim = data, claim
        self.returned = data.get("decision") == "revise"

    def check(self, s, instance):
        task = _visible_task(s, self.actor, self.task_id)
        if task.state not in OPEN_STATES:
            raise TaskNotOpen(f"the task is {task.state}")
        if task.state == "ready" and self.claim:
            policy.check_claim(self.actor, task)
        elif task.state == "claimed" and task.assignee != self.actor.username:
            raise (TaskAlreadyClaimed if self.claim else TaskNotClaimedByCaller)(
                f"the task is claimed by '{task.assignee}'")
        elif task.state == "ready":
            raise TaskNotClaimedByCaller("claim the task before completing it, or complete "
                                         "with claim: true")
        policy.check_complete(self.actor, task)
        _require_running(instance.status)
        self.task = task

    def prepare(self, s, instance):
        schema = self.ctx.definition(s, instance.definition_id).forms.get(self.task.form_key, {})
        forms.validate(schema, self.submitted, _document_checker(s, instance.id))
        self.data = forms.completion_data(self.task.form_key, schema, self.submitted)

    def act(self, wf, now, thrown):
        spiff_task = runtime.task_by_id(wf, self.task_id)
        if spiff_task is None or not runtime.is_ready_user_task(spiff_task):
            raise ConcurrentUpdate("the task is no longer ready in its process instance")
        runtime.complete_user_task(wf, spiff_task, self.data, now, thrown)

    def record(self, s, instance, log, now, wf):
        task = self.task
        if task.state == "ready":  # claimed and completed in one go
            task.assignee, task.claimed_at = self.actor.username, now
            log.append(event_log.TASK_CLAIMED, self.actor.username, now,
                       element_id=task.element_id, task_id=task.id)
        task.state, task.completed_at, task.completed_by = "completed", now, self.actor.username
        s.add(task)
        log.append(event_log.TASK_COMPLETED, self.actor.username, now,
                   element_id=task.element_id, task_id=task.id,
                   payload={"data": self.data, "state_digest": runtime.state_digest(wf)})

    def result(self, s, instance, new_tasks):
        return CompletionResult(task=_task_view(self.task),
                                next_tasks=[_task_view(t) for t in new_tasks])
