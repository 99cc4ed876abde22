"""The message and signal catches each instance waits at, as rows: rewritten with the
instance's state, so a delivery finds its receivers by name without loading a workflow."""
from __future__ import annotations

from sqlalchemy import select

from engine.persistence.tables import EventSubscription, ProcessInstance
from engine.workflow import events


def sync(s, instance: ProcessInstance, wf) -> None:
    """Make the instance's rows match what its workflow waits for now (nothing once it no
    longer runs)."""
    if not events.has_catches(wf):
        return  # a process without message or signal catches never has rows
    wanted = {(c.task_id, c.kind, c.name, c.element_id)
              for c in (events.waiting_catches(wf) if instance.status == "running" else [])}
    rows = {(r.task_id, r.kind, r.name, r.element_id): r for r in s.scalars(
        select(EventSubscription).where(
            EventSubscription.process_instance_id == instance.id))}
    for key in set(rows) - wanted:
        s.delete(rows[key])
    if set(rows) - wanted:
        s.flush()  # a task may wait for something else now: its old row goes first
    s.add_all(EventSubscription(process_instance_id=instance.id, task_id=task_id, kind=kind,
                                name=name, element_id=element_id)
              for task_id, kind, name, element_id in sorted(wanted - set(rows)))
