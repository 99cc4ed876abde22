"""Who may do what: every authorization rule of the engine, in one place. Every command asks
here; nothing else decides.

Roles are groups (engine/usecases/groups.py): the standard's (`kepala_biro`, `staf`,
`satuan_kerja:<UNIT>`, ...), those an admin adds, plus `admin` (process owner and operator)
and `auditor` (reads everything, changes nothing).

- **Tasks.** A task is seen by the holders of its role (or of one of its queues: candidate
  groups, candidate users, the user named as assignee), its assignee and whoever completed
  it; admins and auditors see every task. Claiming needs the task's role. Keeping a claim
  and completing the task need the role *now*: a user who lost the role cannot complete
  what they had claimed (and `update_user` releases such claims). Unclaiming: the assignee
  or an admin. An admin may give an open task to an active user who holds one of its
  queues (someone else is away); a task that was one user's alone moves to the new user's
  own queue.
- **Instances.** The roles that follow every instance of the procedure (`INSTANCE_READERS`)
  read every instance; anyone else reads the instances in which they see a task.
- **An instance's variables** (the data of all its open tasks at once, or what it ended
  with): read by the roles that follow every instance, who read the instance. Whoever reads
  an instance only through its tasks reads those tasks' data, not the whole (a unit never
  sees another unit's submission). A `worker` account reads them while one of the
  instance's service tasks waits for a worker (fetching it gives that data anyway).
  Changed by admins only (instance administration).
- **Following an instance** (its documents, its diagram with each element's state and the
  open tasks, its timeline of who did what and when without the data entered): read with
  the instance.
- **Documents.** Read with their instance. Uploaded by an admin, or by a user who holds or
  may claim an open task of the instance, only while it runs (the quota is in
  `documents.py`).
- **Starting.** The process's `startableBy` roles (`satuan_kerja:*`: any unit); admins
  always.
- **Definitions, units, the calendar.** Read by every signed-in user; changed by admins.
- **Users and groups** (groups, their members). Admins; each user changes their own
  password.
- **History, replay, audit bundles, completed tasks, the cockpit's overviews** (instances
  searched with their counts, where a version's instances stand, an event chain's check).
  Auditors and admins.
- **The SLA report.** Auditors, admins and `kepala_biro` (the owner of the service).
- **The LKj drafts the engine assembles** are documents of their instance: read with it
  (listed on a task by those who see the task).
- **The year's LKj archive.** Auditors, admins and `kepala_biro` (`ARCHIVE_READERS`).
- **Public (no sign-in):** the signed LKj of a year, and the list of published years, once
  Biro TI completed its website upload step (standard §J.3). Nothing else is public.
- **The notification outbox** (its messages by state, a failed one sent again): admins.
- **Messages and signals** (delivered to waiting instances, starting processes) and
  **external tasks** (fetching and locking service tasks, reporting their outcome): admins
  and `worker` accounts (the systems around the engine, `WORKERS`).
- **Deployments** (deploying, listing deployments, deleting a version, suspending and
  resuming a process) **and instance administration** (suspend, resume, terminate, retry,
  version moves, changing an instance's variables): admins.
"""
from __future__ import annotations

from sqlalchemy import and_, or_, select

from engine.errors import Forbidden
from engine.persistence.tables import Task, TaskQueue
from engine.usecases.views import Actor
from engine.workflow.dialects import USER_QUEUE_PREFIX
from engine.workflow.model import UNIT_ROLE_PREFIX, queues_of

ADMIN = "admin"
AUDITOR = "auditor"
# Roles that follow every instance of the procedure; others see instances they work in.
INSTANCE_READERS = frozenset({ADMIN, AUDITOR, "kepala_biro", "kepala_bagian",
                              "kepala_subbagian", "staf"})
AUDIT_READERS = frozenset({AUDITOR, ADMIN})
SLA_READERS = frozenset({AUDITOR, ADMIN, "kepala_biro"})
ARCHIVE_READERS = frozenset({AUDITOR, ADMIN, "kepala_biro"})
WORKER = "worker"  # accounts of systems: messages, signals, service tasks
WORKERS = frozenset({ADMIN, WORKER})


def _needs(actor: Actor, roles: frozenset[str]) -> None:
    if not actor.roles & roles:
        names = " or ".join(f"'{r}'" for r in sorted(roles))
        raise Forbidden(f"this needs the role {names}")


# ---------------------------------------------------------------- powers by role

def require_admin(actor: Actor) -> None:
    _needs(actor, frozenset({ADMIN}))


def require_auditor(actor: Actor) -> None:
    """History, replay, audit bundles, completed tasks across instances, the cockpit's
    overviews."""
    _needs(actor, AUDIT_READERS)


def require_sla_reader(actor: Actor) -> None:
    _needs(actor, SLA_READERS)


def require_archive_reader(actor: Actor) -> None:
    """The year's LKj archive: everything the cycle produced, its history included."""
    _needs(actor, ARCHIVE_READERS)


def require_worker(actor: Actor) -> None:
    """Messages, signals and external tasks: they start processes and move instances on,
    for everyone."""
    _needs(actor, WORKERS)


def require_self_or_admin(actor: Actor, username: str) -> None:
    if actor.username != username and ADMIN not in actor.roles:
        raise Forbidden("only the user themself or an admin may do this")


# ---------------------------------------------------------------- tasks

def sees_every_task(actor: Actor) -> bool:
    return bool(actor.roles & AUDIT_READERS)


def actor_queues(actor: Actor) -> list[str]:
    """The queues the actor works: its roles (groups) and its own `user:<username>`."""
    return queues_of_user(actor.username, actor.roles)


def queues_of_user(username: str, roles) -> list[str]:
    return sorted({*roles, USER_QUEUE_PREFIX + username})


def holds_queue_of(actor: Actor, task: Task) -> bool:
    return holds_queue(actor.username, actor.roles, task)


def holds_queue(username: str, roles, task: Task) -> bool:
    return not set(queues_of(task.role)).isdisjoint(queues_of_user(username, roles))


def in_queues(actor: Actor):
    """SQL condition: a task of one of the actor's queues (its only queue, or one of
    several: `task_queue`)."""
    queues = actor_queues(actor)
    return or_(Task.role.in_(queues), Task.id.in_(
        select(TaskQueue.task_id).where(TaskQueue.queue.in_(queues))))


def may_see_task(actor: Actor, task: Task) -> bool:
    return (sees_every_task(actor) or holds_queue_of(actor, task)
            or task.assignee == actor.username or task.completed_by == actor.username)


def visible_tasks(actor: Actor):
    """SQL condition: the tasks of the actor's queues and its claims. Tasks it
    completed stay readable one by one (`may_see_task`) but leave the queues."""
    return or_(in_queues(actor), Task.assignee == actor.username)


def check_claim(actor: Actor, task: Task) -> None:
    if not holds_queue_of(actor, task):
        raise Forbidden(f"the task belongs to the role '{task.role}'")


def check_complete(actor: Actor, task: Task) -> None:
    """The caller's claim stands only while the caller holds the task's role."""
    if not holds_queue_of(actor, task):
        raise Forbidden(f"the task belongs to the role '{task.role}', which "
                        f"'{actor.username}' no longer holds")


def require_task_assigner(actor: Actor) -> None:
    """Giving a task to someone else is task administration."""
    require_admin(actor)


def role_when_given_to(task: Task, username: str, roles) -> str | None:
    """The task's role once given to this user: unchanged when the user holds one of its
    queues, the user's own queue when the task was one other user's alone; None when the
    user may not work it."""
    if holds_queue(username, roles, task):
        return task.role
    queues = queues_of(task.role)
    if len(queues) == 1 and queues[0].startswith(USER_QUEUE_PREFIX):
        return USER_QUEUE_PREFIX + username
    return None


def check_unclaim(actor: Actor, task: Task) -> None:
    if task.assignee != actor.username and ADMIN not in actor.roles:
        raise Forbidden("only the assignee or an admin may unclaim the task")


# ---------------------------------------------------------------- instances and documents

def reads_every_instance(actor: Actor) -> bool:
    return bool(actor.roles & INSTANCE_READERS)


def works_in(actor: Actor, instance_id):
    """SQL condition: an open task of the instance the actor may work on now (one it has
    claimed, or a ready one of its roles), both needing the task's role."""
    return select(Task.id).where(
        Task.process_instance_id == instance_id, in_queues(actor),
        or_(Task.state == "ready",
            and_(Task.state == "claimed", Task.assignee == actor.username))).exists()


def serves_as_worker(actor: Actor, waits_for_worker: bool) -> bool:
    """A worker account serving an instance: one of its service tasks waits for a worker."""
    return waits_for_worker and WORKER in actor.roles


def check_read_instance_data(actor: Actor, waits_for_worker: bool) -> None:
    """An instance's variables merge the data of all its tasks: the roles that follow
    every instance read them (the caller already reads the instance), and a worker while
    it serves the instance."""
    if not serves_as_worker(actor, waits_for_worker):
        _needs(actor, INSTANCE_READERS)


def require_variables_changer(actor: Actor) -> None:
    """Setting and deleting an instance's variables is instance administration."""
    _needs(actor, frozenset({ADMIN}))


def check_upload(actor: Actor, works_in_instance: bool) -> None:
    if ADMIN not in actor.roles and not works_in_instance:
        raise Forbidden("documents are added by whoever works on an open task of the "
                        "instance (or an admin)")


# ---------------------------------------------------------------- starting processes

def may_start(actor: Actor, startable_by) -> bool:
    if ADMIN in actor.roles:
        return True
    for allowed in startable_by:
        if allowed.endswith("*"):
            if any(r.startswith(allowed[:-1]) for r in actor.roles):
                return True
        elif allowed in actor.roles:
            return True
    return False


def units_of(actor: Actor) -> list[str]:
    """The codes of the units the actor works for (its `satuan_kerja:<UNIT>` roles)."""
    return sorted(r[len(UNIT_ROLE_PREFIX):] for r in actor.roles
                  if r.startswith(UNIT_ROLE_PREFIX))


def check_acts_for_unit(actor: Actor, unit: str) -> None:
    """A unit's officer starts processes (a complaint) for their own unit only; staff of
    the bureau (no unit role) name any unit."""
    own = units_of(actor)
    if own and unit not in own:
        raise Forbidden(f"the starter may act only for their own unit(s): {', '.join(own)}")


def check_start(actor: Actor, key: str, startable_by) -> None:
    if not may_start(actor, startable_by):
        raise Forbidden(f"starting '{key}' needs one of the roles "
                        f"{', '.join(startable_by) or ADMIN}")
