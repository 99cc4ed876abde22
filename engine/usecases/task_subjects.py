"""The subject and phase a new task row carries (engine/workflow/progress.py says what they
are): a unit's subject is written as its name with its code, as people know it."""
from __future__ import annotations

from engine.persistence.tables import Unit
from engine.workflow import progress

SUBJECT_LENGTH = 300  # task.subject
PHASE_LENGTH = 255  # task.phase


def subject_and_phase(s, spiff_task) -> tuple[str | None, str | None]:
    subject = progress.task_subject(spiff_task)
    phase = progress.task_phase(spiff_task)
    return (shown_subject(s, subject)[:SUBJECT_LENGTH] if subject else None,
            phase[:PHASE_LENGTH] if phase else None)


def shown_subject(s, subject: progress.Subject) -> str:
    """A subject as shown to people: a unit as its name and code, else the value."""
    if subject.variable == "unit":
        unit = s.get(Unit, subject.value)
        if unit is not None:
            return f"{unit.name} ({unit.code})"
    return subject.value
