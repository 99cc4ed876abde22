"""The service tasks each instance waits at, as rows workers fetch and lock: written with
the instance's state (a row for a new waiting task, none for a task that stopped waiting;
a task out of retries keeps its row with retries 0 while the instance waits in `error`),
so fetching never loads a workflow."""
from __future__ import annotations

import threading

from sqlalchemy import select

from engine.persistence.tables import DeploymentFile, ExternalTask, ProcessDefinition
from engine.workflow import external_tasks

_topics: dict[tuple[int, str], dict[str, str]] = {}  # (definition id, file) -> topics
_topics_lock = threading.Lock()


def sync(s, instance, wf, now) -> None:
    if not external_tasks.has_service_tasks(wf):
        return  # a process without service tasks never has rows
    # kept while the instance is suspended or in error: a worker's lock outlives those
    waiting = {str(t.id): t for t in external_tasks.waiting(wf)}
    # a task out of retries keeps its row (retries 0, its error) until a retry or the end
    failed = {str(t.id) for t in external_tasks.failed(wf)}
    rows = {r.id: r for r in s.scalars(select(ExternalTask).where(
        ExternalTask.process_instance_id == instance.id))}
    for task_id in set(rows) - set(waiting) - failed:
        s.delete(rows[task_id])
    for task_id in set(rows) & set(waiting):
        if rows[task_id].retries == 0:  # retried by an admin: fetchable again
            rows[task_id].retries = None
    for task_id in sorted(set(waiting) - set(rows)):
        task = waiting[task_id]
        s.add(ExternalTask(id=task_id, process_instance_id=instance.id,
                           element_id=task.task_spec.bpmn_id,
                           topic=external_tasks.topic_of(task.task_spec, _topics_of(
                               s, instance.definition_id, task.task_spec._wf_spec.file)),
                           variables=dict(task.data), created_at=now))


def refresh_variables(s, instance, wf) -> None:
    """The rows of the waiting service tasks take their task's data as it is now (an admin
    changed the instance's variables): a worker fetches the new values."""
    if not external_tasks.has_service_tasks(wf):
        return
    waiting = {str(t.id): t for t in external_tasks.waiting(wf)}
    for row in s.scalars(select(ExternalTask).where(
            ExternalTask.process_instance_id == instance.id)):
        if row.id in waiting:
            row.variables = dict(waiting[row.id].data)


def _topics_of(s, definition_id: int, filename: str) -> dict[str, str]:
    """The camunda:topic of each service task of a deployed diagram file (the deployed
    files never change, so once read they are kept)."""
    key = (definition_id, filename)
    with _topics_lock:
        if key in _topics:
            return _topics[key]
    content = s.scalar(select(DeploymentFile.content).join(
        ProcessDefinition, ProcessDefinition.deployment_id == DeploymentFile.deployment_id)
        .where(ProcessDefinition.id == definition_id, DeploymentFile.filename == filename))
    topics = external_tasks.topics_in(content) if content else {}
    with _topics_lock:
        _topics[key] = topics
    return topics
