"""The engine's process-wide context: settings, database, clock, document store and the
caches of deserialized specs and workflows. One per process (API worker, CLI, worker)."""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import select

from engine.clock import Clock
from engine.persistence import state_store
from engine.persistence.db import Database
from engine.persistence.documents import DocumentStore
from engine.persistence.tables import CalendarDay, ProcessDefinition
from engine.security.credential_cache import CredentialCache
from engine.security.user_cache import UserCache
from engine.settings import Settings
from engine.workflow import runtime
from engine.worktime.calendar import DEFAULT_CALENDAR_DIR, WorkingCalendar

CALENDAR_TTL_S = 60


class _LRU:
    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def pop(self, key):
        with self._lock:
            return self._items.pop(key, None)

    def put(self, key, value):
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


@dataclass(frozen=True)
class DeployedVersion:
    """What the commands read of a deployed version (its row never changes)."""
    id: int
    key: str
    version: int
    name: str
    content_hash: str
    user_tasks: dict
    forms: dict
    start_rules: dict
    startable_by: tuple[str, ...]


class EngineContext:
    def __init__(self, settings: Settings, clock: Clock | None = None,
                 workflow_cache_size: int = 256):
        self.settings = settings
        runtime.configure_scripts(settings)  # the script jail's limits (process-wide)
        self.db = Database(settings.database_url)
        self.clock = clock or Clock()
        self.documents = DocumentStore(settings.document_dir)
        # Due dates count working time: office hours, weekdays, holidays and collective leave,
        # from the committed files plus the admin's changes (calendar_day).
        self.file_calendar = WorkingCalendar.from_files(settings.calendar_dir or DEFAULT_CALENDAR_DIR)
        self._calendar: WorkingCalendar | None = None
        self._calendar_read_at = 0.0
        self._specs = _LRU(64)  # definition id -> ExecutableSpec (immutable, shared)
        self._definitions = _LRU(256)  # definition id -> DeployedVersion (immutable)
        self.users = UserCache(settings.user_cache_ttl_s)  # active users, for token checks
        self.credentials = CredentialCache(settings.secret_key, settings.basic_auth_cache_ttl_s)
        # instance id -> (version, workflow, Stored). A command takes the workflow out while
        # it works and puts it back only after its transaction committed, so no half-applied
        # workflow is ever reused; a version mismatch means another process changed it.
        self._workflows = _LRU(workflow_cache_size)

    @property
    def calendar(self) -> WorkingCalendar:
        """The working calendar; the admin's changes are read again after CALENDAR_TTL_S, so
        other processes see a change within that time (this one at once)."""
        if self._calendar is None or time.monotonic() - self._calendar_read_at > CALENDAR_TTL_S:
            self.refresh_calendar()
        return self._calendar

    def refresh_calendar(self) -> None:
        with self.db.read() as s:
            days = list(s.scalars(select(CalendarDay)))
        self._calendar = self.file_calendar.with_changes(
            {d.day: {"name": d.name, "kind": d.kind} for d in days if d.closed},
            [d.day for d in days if not d.closed])
        self._calendar_read_at = time.monotonic()

    def executable(self, definition) -> runtime.ExecutableSpec:
        spec = self._specs.get(definition.id)
        if spec is None:
            spec = runtime.load_spec(definition.spec_json)
            self._specs.put(definition.id, spec)
        return spec

    def executable_of(self, s, definition_id: int) -> runtime.ExecutableSpec:
        spec = self._specs.get(definition_id)
        if spec is None:
            spec = runtime.load_spec(s.scalar(select(ProcessDefinition.spec_json).where(
                ProcessDefinition.id == definition_id)))
            self._specs.put(definition_id, spec)
        return spec

    def definition(self, s, definition_id: int) -> "DeployedVersion":
        """A deployed version's fields that never change (all but its spec), read once per
        process: the hot path needs its user tasks and forms on every command."""
        version = self._definitions.get(definition_id)
        if version is None:
            row = s.get(ProcessDefinition, definition_id)
            version = DeployedVersion(
                id=row.id, key=row.key, version=row.version, name=row.name,
                content_hash=row.content_hash, user_tasks=row.user_tasks, forms=row.forms,
                start_rules=row.start_rules, startable_by=tuple(row.startable_by))
            self._definitions.put(definition_id, version)
        return version

    def take_workflow(self, s, instance):
        """(workflow, what its rows hold) of the instance at its stored version, from the
        cache or the database (session `s`)."""
        cached = self._workflows.pop(instance.id)
        if cached is not None and cached[0] == instance.version:
            return cached[1], cached[2]
        return state_store.load(s, instance, self.executable_of(s, instance.definition_id))

    def keep_workflow(self, instance_id: str, version: int, workflow, stored) -> None:
        self._workflows.put(instance_id, (version, workflow, stored))

    def save_workflow(self, s, instance, workflow, stored):
        """Write the workflow's state (what changed since `stored`); returns the new Stored."""
        return state_store.save(s, instance, workflow, stored,
                                check=self.settings.check_state_writes)

    def forget_workflow(self, instance_id: str) -> None:
        self._workflows.pop(instance_id)

    def close(self):
        self.db.dispose()
