"""Engine errors: every failure a caller can act on is one of these, defined once.

The API maps each class to an HTTP status and a problem+json body in one place
(`api/errors.py`); the CLI prints `str(error)`.
"""
from __future__ import annotations


class EngineError(Exception):
    """Base class. `title` is a short, stable summary; the message is the detail."""

    title = "Engine error"

    def __init__(self, detail: str, **extra):
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(EngineError):
    title = "Not found"


class TaskNotFound(NotFound):
    title = "Task not found"


class InstanceNotFound(NotFound):
    title = "Process instance not found"


class DefinitionNotFound(NotFound):
    title = "Process definition not found"


class DocumentNotFound(NotFound):
    title = "Document not found"


class UnitNotFound(NotFound):
    title = "Unit not found"


class UserNotFound(NotFound):
    title = "User not found"


class DeploymentNotFound(NotFound):
    title = "Deployment not found"


class GroupNotFound(NotFound):
    title = "Group not found"
class EventNotReceived(NotFound):
    """A message (or a thrown event) that no waiting catch and no start event receives."""
    title = "Nobody waits for this message"


class ExternalTaskNotFound(NotFound):
    pass


class PendingStepNotFound(NotFound):
    """No failed step or timer by that id (engine/usecases/pending_steps.py)."""
    title = "Job not found"


class ArchiveNotFound(NotFound):
    title = "Archive not found"


class PublicationNotFound(NotFound):
    """No LKj of that year has been made public (Biro TI's upload step not done yet)."""
    title = "LKj not published"


class Conflict(EngineError):
    title = "Conflict"


class TaskAlreadyClaimed(Conflict):
    title = "Task already claimed"


class TaskNotOpen(Conflict):
    title = "Task is not open"


class TaskNotClaimedByCaller(Conflict):
    title = "Task is not claimed by the caller"


class InstanceNotRunning(Conflict):
    title = "Process instance is not running"


class ConcurrentUpdate(Conflict):
    title = "Concurrent update"


class DefinitionSuspended(Conflict):
    """An admin suspended the process: no new instance starts until it is resumed."""
    title = "Process suspended"


class DefinitionInUse(Conflict):
    title = "Process version in use"
class ExternalTaskNotLocked(Conflict):
    """The worker does not hold the external task's lock (any more)."""
    title = "The worker does not hold this task's lock"


class AlreadyExists(Conflict):
    title = "Already exists"


class DocumentQuotaExceeded(Conflict):
    """The instance holds as many documents (or bytes) as it may."""
    title = "Document quota exceeded"


class Forbidden(EngineError):
    title = "Forbidden"


class AuthenticationFailed(EngineError):
    title = "Authentication failed"


class TooManyAttempts(EngineError):
    """Sign-ins refused for a while after repeated failures; `retry_after_s` says how long
    (whole seconds, at least 1)."""

    title = "Too many failed sign-ins"

    def __init__(self, detail: str, retry_after_s: int):
        super().__init__(detail)
        self.retry_after_s = retry_after_s


class InvalidInput(EngineError):
    """Input that does not fit; `errors` maps a field (dotted path) to messages."""

    title = "Invalid input"

    def __init__(self, detail: str, errors: dict[str, list[str]] | None = None):
        super().__init__(detail)
        self.errors = errors or {}


class FormInvalid(InvalidInput):
    title = "Form data invalid"


class DocumentTooLarge(EngineError):
    title = "Document too large"


class DiagramInvalid(EngineError):
    """A deployment that cannot be executed. `errors` is a list of dicts with
    file, line, column, element_id and message: every problem at once; `warnings` in the
    same shape, what would deserve a look even once the problems are fixed."""

    title = "Diagram invalid"

    def __init__(self, detail: str, errors: list[dict], warnings: list[dict] | None = None):
        super().__init__(detail)
        self.errors = errors
        self.warnings = warnings or []


class WorkflowError(EngineError):
    """A script, condition or gateway failed while the engine ran the instance."""

    title = "Workflow error"
