"""Service tasks run by external workers: the engine does not call anything itself. A
service task the instance reaches waits (SpiffWorkflow's STARTED state) until a worker
that fetched it reports back: completed (its variables join the instance), a BPMN error
(caught by an error boundary event on the task), or a failure.

The topic a worker fetches by is `camunda:topic` (Camunda Modeler, `camunda:type="external"`),
else SpiffWorkflow's service-task operator (spiff-arena's modeler), else the element id.
"""
from __future__ import annotations

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import ServiceTaskParser
from SpiffWorkflow.spiff.specs.mixins.service_task import ServiceTask as SpiffServiceTask
from SpiffWorkflow.util.task import TaskState

from engine.workflow import spec_features

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def _wait_for_a_worker(self, task):
    return None  # None: SpiffWorkflow leaves the task STARTED


class _ServiceTaskParser(ServiceTaskParser):
    """Reads a service task with SpiffWorkflow's operator as before, and one Camunda
    Modeler marks `camunda:type="external"` with its `camunda:topic` as the operator."""

    def create_task(self):
        if self.parse_extensions().get("serviceTaskOperator") is not None \
                or self.node.get(f"{{{CAMUNDA_NS}}}type") != "external":
            return super().create_task()
        return self.spec_class(
            self.spec, self.bpmn_id, operation_name=self.node.get(f"{{{CAMUNDA_NS}}}topic")
            or self.bpmn_id, operation_params={}, result_variable=None,
            **self.bpmn_attributes)


def install() -> None:
    """SpiffWorkflow's own service task calls the script engine's `call_service`; here it
    waits for an external worker instead (the BPMN one already waits). Its parser takes
    Camunda's external service tasks too."""
    SpiffServiceTask._execute = _wait_for_a_worker
    tag = f"{{{BPMN_NS}}}serviceTask"
    SpiffBpmnParser.OVERRIDE_PARSER_CLASSES[tag] = (
        _ServiceTaskParser, SpiffBpmnParser.OVERRIDE_PARSER_CLASSES[tag][1])


def topics_in(xml: bytes) -> dict[str, str]:
    """element id -> camunda:topic of the external service tasks of a diagram."""
    doc = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    topic = f"{{{CAMUNDA_NS}}}topic"
    return {node.get("id"): node.get(topic)
            for node in doc.iter(f"{{{BPMN_NS}}}serviceTask", f"{{{BPMN_NS}}}sendTask",
                                 f"{{{BPMN_NS}}}businessRuleTask")
            if node.get(topic)}


def topic_of(task_spec, topics: dict[str, str]) -> str:
    return (topics.get(task_spec.bpmn_id) or getattr(task_spec, "operation_name", None)
            or task_spec.bpmn_id)


def has_service_tasks(wf) -> bool:
    return spec_features.uses(wf, "service_tasks",
                              lambda task_spec: isinstance(task_spec, ServiceTask))


def waiting(wf) -> list:
    """The service tasks of the instance waiting for a worker, in creation order."""
    return [task for workflow in (wf, *wf.subprocesses.values())
            for task in workflow.tasks.values()
            if task.state == TaskState.STARTED and isinstance(task.task_spec, ServiceTask)]


def failed(wf) -> list:
    """The service tasks whose worker failed with no retries left (an admin's retry runs
    them again)."""
    return [task for workflow in (wf, *wf.subprocesses.values())
            for task in workflow.tasks.values()
            if task.state == TaskState.ERROR and isinstance(task.task_spec, ServiceTask)]


def waiting_task(wf, task_id: str | None = None, element_id: str | None = None):
    """The waiting service task with this id (or, in replay, the first one of this
    element), or None."""
    for task in waiting(wf):
        if str(task.id) == task_id or (task_id is None and task.task_spec.bpmn_id == element_id):
            return task
    return None


def complete(task, variables: dict) -> None:
    task.data.update(variables)
    task.complete()


def throw_error(task, error_code: str, variables: dict) -> str | None:
    """Raise the BPMN error `error_code` on the waiting task: an error boundary event on it
    that catches the code (or any code) takes over; its element id, or None."""
    for catcher in list(task.workflow.top_workflow.event_manager.tasks.values()):
        definition = getattr(catcher.task_spec, "event_definition", None)
        if catcher.state != TaskState.WAITING or catcher.parent is not task.parent \
                or not isinstance(definition, ErrorEventDefinition) \
                or definition.code not in (None, error_code):
            continue
        task.data.update(variables)
        catcher.data.update(variables)
        event = BpmnEvent(definition, payload=dict(variables))
        catcher.task_spec.catch(catcher, event)
        catcher.task_spec._update(catcher)
        return catcher.task_spec.bpmn_id
    return None


def fail(task) -> None:
    """No retries left: the task is in error, and an admin's retry runs it again."""
    task.error()


def incident_message(element_id: str, message: str) -> str:
    """The instance's error after a worker's last failure (replay builds the same)."""
    return f"external task '{element_id}' failed with no retries left: {message}"
