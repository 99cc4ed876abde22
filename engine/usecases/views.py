"""What commands return: plain, immutable values, never ORM objects or workflows."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Actor:
    """Who calls a command."""
    username: str
    roles: frozenset[str]

    def has(self, role: str) -> bool:
        return role in self.roles

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


SYSTEM = Actor("system", frozenset({"admin"}))


@dataclass(frozen=True)
class UserView:
    username: str
    full_name: str | None
    roles: list[str]
    active: bool
    email: str | None = None


@dataclass(frozen=True)
class UnitView:
    code: str
    name: str
    active: bool


@dataclass(frozen=True)
class DefinitionView:
    key: str
    version: int
    name: str
    deployed_at: datetime
    startable_by: list[str]
    created: bool = False  # by the deployment that returned it


@dataclass(frozen=True)
class DeploymentView:
    """What a deployment did: every process's version (new or kept) and warnings about the
    files sent, each {file, line, column, element_id, message}."""
    definitions: list[DefinitionView]
    warnings: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class TaskView:
    id: str
    name: str
    element_id: str
    process_instance_id: str
    definition_key: str
    role: str
    assignee: str | None
    state: str
    created_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    completed_by: str | None
    form_key: str

    def is_overdue(self, now: datetime) -> bool:
        """Past its due date: still open after it, or completed after it."""
        if self.due_at is None or self.state == "cancelled":
            return False
        return (self.completed_at or now) > self.due_at


@dataclass(frozen=True)
class InstanceView:
    id: str
    definition_key: str
    definition_version: int
    status: str
    started_at: datetime
    started_by: str | None
    ended_at: datetime | None
    error: str | None
    open_tasks: list[TaskView] = field(default_factory=list)


@dataclass(frozen=True)
class CompletionResult:
    task: TaskView
    next_tasks: list[TaskView]


@dataclass(frozen=True)
class DocumentView:
    id: str
    process_instance_id: str
    filename: str
    sha256: str
    size: int
    content_type: str
    uploaded_by: str
    uploaded_at: datetime


@dataclass(frozen=True)
class Page:
    items: list
    total: int
    # False when `total` is a cap (the matches were counted only up to it): there are more.
    total_exact: bool = True


@dataclass(frozen=True)
class MigrationView:
    process_instance_id: str
    from_version: int
    to_version: int
    allowed: bool
    reasons: list[str]
    dry_run: bool
    open_tasks: list[TaskView] = field(default_factory=list)  # after the move (when allowed)
