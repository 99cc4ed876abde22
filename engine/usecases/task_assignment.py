"""An admin gives an open task to someone who may work it: its holder is away, or the task
waits in the queue of someone who is. Who may receive it is the policy's rule."""
from __future__ import annotations

from sqlalchemy import update

from engine.errors import ConcurrentUpdate, InvalidInput, TaskNotOpen
from engine.messaging import outbox
from engine.persistence import event_log
from engine.persistence.tables import Task
from engine.usecases import policy
from engine.usecases.context import EngineContext
from engine.usecases.shared import OPEN_STATES, _require_running, _task_view, _visible_task
from engine.usecases.transaction import lock_instance_status, set_task_queues
from engine.usecases.users import get_user
from engine.usecases.views import Actor, TaskView


def reassign_task(ctx: EngineContext, actor: Actor, task_id: str, username: str,
                  reason: str | None = None) -> TaskView:
    """The task, claimed by `username` from now on (whoever held it before), recorded in
    its instance's history with who gave it, to whom and why; the new holder is told."""
    policy.require_task_assigner(actor)
    user = get_user(ctx, username) if isinstance(username, str) else None
    if user is None:
        raise InvalidInput(f"no active user '{username}'",
                           {"username": ["must name an active user"]})
    with ctx.db.write() as s:
        task = _visible_task(s, actor, task_id)
        if task.state not in OPEN_STATES:
            raise TaskNotOpen(f"the task is {task.state}")
        role = policy.role_when_given_to(task, user.username, user.roles)
        if role is None:
            raise InvalidInput(
                f"'{user.username}' may not work this task: it belongs to '{task.role}'",
                {"username": [f"must hold one of the task's queues ({task.role})"]})
        _require_running(lock_instance_status(ctx, s, task.process_instance_id))
        if task.state == "claimed" and task.assignee == user.username:
            return _task_view(task)  # already theirs
        now = ctx.clock.now()
        given = s.execute(
            update(Task).where(Task.id == task.id, Task.version == task.version)
            .values(state="claimed", assignee=user.username, claimed_at=now, role=role,
                    version=Task.version + 1)
            .execution_options(synchronize_session=False))
        if given.rowcount != 1:
            raise ConcurrentUpdate("the task changed meanwhile; reload it")
        if role != task.role:
            set_task_queues(s, task.id, role)
        event_log.EventLog(s, task.process_instance_id).append(
            event_log.TASK_REASSIGNED, actor.username, now, element_id=task.element_id,
            task_id=task.id, payload={
                "assignee": user.username, "previous": task.assignee,
                **({"role": role} if role != task.role else {}),
                **({"reason": reason} if reason else {})})
        outbox.queue(s, ctx.settings, [outbox.Notice(
            kind="task_assigned", role=role, name=task.name,
            process_instance_id=task.process_instance_id, definition_key=task.definition_key,
            task_id=task.id, due_at=task.due_at, groups=(), users=(user.username,))], now)
        s.refresh(task)
        return _task_view(task)
