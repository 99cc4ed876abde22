"""Engine commands: one function per use case, each one database transaction.

A command takes the context and the acting user, checks what the actor may do, loads what
it needs, acts, runs the instance to its next wait states, writes the instance state and the
task rows, and returns views. It raises `engine.errors` exceptions; it never half-writes.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import BinaryIO

from sqlalchemy import bindparam, func, literal_column, or_, select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine import (audit, forms, history, migration, notifications, runtime, sla, state_store,
                    user_cache)
from engine.context import EngineContext
from engine.errors import (
    AlreadyExists,
    AuthenticationFailed,
    ConcurrentUpdate,
    DefinitionNotFound,
    DiagramInvalid,
    DocumentNotFound,
    Forbidden,
    InstanceNotFound,
    InstanceNotRunning,
    InvalidInput,
    NotFound,
    TaskAlreadyClaimed,
    TaskNotClaimedByCaller,
    TaskNotFound,
    TaskNotOpen,
    UnitNotFound,
    UserNotFound,
    WorkflowError,
)
from engine.model import UNIT_ROLE_PREFIX, ProcessModel, is_known_role, resolve_role, user_task_key
from engine.passwords import hash_password, needs_rehash, verify_password
from engine.replay import ReplayReport, StoredState, replay
from engine.scripting import ScriptRejected, ScriptTimeout
from engine.store.models import (
    CalendarDay,
    Deployment,
    DeploymentFile,
    Document,
    Event,
    ProcessDefinition,
    ProcessInstance,
    Task,
    Unit,
    User,
    UserRole,
)
from engine.views import (
    SYSTEM,
    Actor,
    CompletionResult,
    DefinitionView,
    DocumentView,
    InstanceView,
    MigrationView,
    Page,
    TaskView,
    UnitView,
    UserView,
)

OPEN_STATES = ("ready", "claimed")
TASK_STATES = ("ready", "claimed", "completed", "cancelled")
INSTANCE_STATUSES = ("running", "completed", "suspended", "terminated", "error")
# Roles that follow every instance of the procedure; others see instances they work in.
INSTANCE_READERS = frozenset({"admin", "auditor", "kepala_biro", "kepala_bagian",
                              "kepala_subbagian", "staf"})
TASK_SORTS = ("due_at", "-due_at", "created_at", "-created_at", "name")
MAX_PAGE = 500


# ---------------------------------------------------------------- users and units

def authenticate(ctx: EngineContext, username: str, password: str) -> UserView:
    """The active user of this name and password; AuthenticationFailed otherwise. The
    Argon2 check (memory-hard, a few at a time per process: engine/passwords.py) runs
    outside any transaction, so a sign-in holds no database lock or connection while it
    waits or hashes. A hash of another cost than the settings' is replaced."""
    with ctx.db.read() as s:
        user = s.scalar(select(User).where(User.username == username))
        view = _user_view(user) if user is not None else None
        stored_hash = user.password_hash if user is not None else None
    if view is None or not view.active \
            or not verify_password(ctx.settings, stored_hash, password):
        raise AuthenticationFailed("unknown user or wrong password")
    if needs_rehash(ctx.settings, stored_hash):
        new_hash = hash_password(ctx.settings, password)
        with ctx.db.write() as s:  # unless the password was changed meanwhile
            s.execute(update(User).where(User.username == username,
                                         User.password_hash == stored_hash)
                      .values(password_hash=new_hash))
    return view


def get_user(ctx: EngineContext, username: str, cached: bool = False) -> UserView | None:
    """The active user of this name, or None (for token checks). With `cached` the answer
    may come from this process's cache of active users (engine/user_cache.py: at most
    LKJ_USER_CACHE_TTL_S old; update_user clears its entry at once)."""
    if cached:
        return user_cache.of(ctx).get(username, lambda name: get_user(ctx, name))
    with ctx.db.read() as s:
        user = s.scalar(select(User).where(User.username == username))
        return _user_view(user) if user is not None and user.active else None


def create_user(ctx: EngineContext, actor: Actor, username: str, password: str,
                roles: list[str], full_name: str | None = None,
                email: str | None = None) -> UserView:
    _require_admin(actor)
    errors = _email_errors(email)
    if not username or len(username) > 80:
        errors["username"] = ["must be 1 to 80 characters"]
    if not password or len(password) < 8:
        errors["password"] = ["must be at least 8 characters"]
    # Hashed before the transaction: no database lock is held while Argon2 waits or runs.
    password_hash = None if errors else hash_password(ctx.settings, password)
    with ctx.db.write() as s:
        bad_roles = [r for r in roles if not _role_exists(s, r)]
        if bad_roles:
            errors["roles"] = [f"unknown role '{r}'" for r in bad_roles]
        if errors:
            raise InvalidInput("The user cannot be created", errors)
        if s.scalar(select(User.id).where(User.username == username)) is not None:
            raise AlreadyExists(f"a user named '{username}' exists already")
        user = User(username=username, password_hash=password_hash,
                    full_name=full_name, email=email, active=True, created_at=ctx.clock.now(),
                    roles=[UserRole(role=r) for r in sorted(set(roles))])
        s.add(user)
        try:
            s.flush()
        except IntegrityError:
            raise AlreadyExists(f"a user named '{username}' exists already") from None
        return _user_view(user)


def update_user(ctx: EngineContext, actor: Actor, username: str, full_name: str | None = None,
                roles: list[str] | None = None, active: bool | None = None,
                password: str | None = None, email: str | None = None) -> UserView:
    """Change a user's name, roles, password or whether it may sign in. A deactivated
    user's tokens stop working, and changed roles apply, at once in this process and within
    LKJ_USER_CACHE_TTL_S in the others (engine/user_cache.py)."""
    _require_admin(actor)
    errors = _email_errors(email)
    if password is not None and len(password) < 8:
        errors["password"] = ["must be at least 8 characters"]
    if full_name is not None and len(full_name) > 200:
        errors["full_name"] = ["must be at most 200 characters"]
    # Hashed before the transaction: no database lock is held while Argon2 waits or runs.
    password_hash = hash_password(ctx.settings, password) \
        if password is not None and not errors else None
    with ctx.db.write() as s:
        user = s.scalar(select(User).where(User.username == username))
        if user is None:
            raise UserNotFound(f"no user '{username}'")
        if roles is not None:
            bad_roles = [r for r in roles if not _role_exists(s, r)]
            if bad_roles:
                errors["roles"] = [f"unknown role '{r}'" for r in bad_roles]
        if errors:
            raise InvalidInput("The user cannot be changed", errors)
        if full_name is not None:
            user.full_name = full_name
        if roles is not None:
            user.roles = [UserRole(role=r) for r in sorted(set(roles))]
        if active is not None:
            user.active = active
        if email is not None:
            user.email = email or None  # an empty string removes the address
        if password_hash is not None:
            user.password_hash = password_hash
        s.flush()
        view = _user_view(user)
    user_cache.of(ctx).forget(username)  # after the commit: a read racing it keeps nothing
    return view


def _email_errors(email: str | None) -> dict:
    """A plain shape check: one @, something on both sides, no spaces, at most 254."""
    if not email:
        return {}
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email or len(email) > 254:
        return {"email": ["is not an e-mail address"]}
    return {}


def list_users(ctx: EngineContext, actor: Actor) -> list[UserView]:
    _require_admin(actor)
    with ctx.db.read() as s:
        return [_user_view(u) for u in s.scalars(select(User).order_by(User.username))]


def ensure_admin(ctx: EngineContext, password: str, username: str = "admin") -> bool:
    """Create the admin user on first start; True if it was created."""
    with ctx.db.read() as s:
        if s.scalar(select(User.id).where(User.username == username)) is not None:
            return False
    password_hash = hash_password(ctx.settings, password)  # outside the write transaction
    with ctx.db.write() as s:
        if s.scalar(select(User.id).where(User.username == username)) is not None:
            return False
        s.add(User(username=username, password_hash=password_hash, active=True,
                   full_name="Administrator", created_at=ctx.clock.now(),
                   roles=[UserRole(role="admin")]))
        return True


def create_unit(ctx: EngineContext, actor: Actor, code: str, name: str) -> UnitView:
    _require_admin(actor)
    errors = {}
    if not code or len(code) > 40 or not all(c.isalnum() or c in "-_." for c in code):
        errors["code"] = ["must be 1 to 40 letters, digits, '-', '_' or '.'"]
    if not name or len(name) > 200:
        errors["name"] = ["must be 1 to 200 characters"]
    if errors:
        raise InvalidInput("The unit cannot be created", errors)
    with ctx.db.write() as s:
        if s.get(Unit, code) is not None:
            raise AlreadyExists(f"a unit with code '{code}' exists already")
        unit = Unit(code=code, name=name, active=True, created_at=ctx.clock.now())
        s.add(unit)
        return _unit_view(unit)


def update_unit(ctx: EngineContext, actor: Actor, code: str, name: str | None = None,
                active: bool | None = None) -> UnitView:
    _require_admin(actor)
    if name is not None and not 1 <= len(name) <= 200:
        raise InvalidInput("The unit cannot be changed", {"name": ["must be 1 to 200 characters"]})
    with ctx.db.write() as s:
        unit = s.get(Unit, code)
        if unit is None:
            raise UnitNotFound(f"no unit with code '{code}'")
        if name is not None:
            unit.name = name
        if active is not None:
            unit.active = active
        return _unit_view(unit)


def list_units(ctx: EngineContext, active_only: bool = False) -> list[UnitView]:
    with ctx.db.read() as s:
        query = select(Unit).order_by(Unit.code)
        if active_only:
            query = query.where(Unit.active.is_(True))
        return [_unit_view(u) for u in s.scalars(query)]


# ---------------------------------------------------------------- deployment

def deploy(ctx: EngineContext, actor: Actor, diagrams: dict[str, bytes],
           form_files: dict[str, bytes], on_top_of_latest: bool = False) -> list[DefinitionView]:
    """Deploy diagrams (file name -> XML bytes) with form schemas (file name -> JSON bytes).

    Every process whose content (its diagrams, the processes it calls, its forms) changed
    becomes a new version; unchanged ones keep their version. Nothing is stored unless the
    whole deployment is valid. `on_top_of_latest`: the files replace their namesakes in the
    latest deployment and the rest are kept, so a process owner can upload one edited phase
    and the processes calling it get new versions too.
    """
    _require_admin(actor)
    if on_top_of_latest:
        kept_diagrams, kept_forms = _latest_files(ctx)
        diagrams = {**kept_diagrams, **diagrams}
        form_files = {**kept_forms, **form_files}
    model = check_deployment(diagrams, form_files)
    form_schemas = model.forms
    now = ctx.clock.now()
    views = []
    with ctx.db.write() as s:
        deployment = None
        for meta in model.processes.values():
            latest = _latest_definition(s, meta.process_id)
            if latest is not None and latest.content_hash == meta.content_hash:
                views.append(_definition_view(latest))
                continue
            if deployment is None:
                deployment = _store_deployment(s, actor, now, diagrams, form_files)
            spec, subprocesses = model.spec_and_subprocesses(meta.process_id)
            definition = ProcessDefinition(
                key=meta.process_id,
                version=(latest.version + 1) if latest else 1,
                name=meta.name,
                deployment_id=deployment.id,
                content_hash=meta.content_hash,
                spec_json=runtime.dump_spec(spec, subprocesses),
                user_tasks={key: task.__dict__ for key, task in model.user_tasks.items()
                            if key.split("#", 1)[0] in meta.files},
                forms={key: form_schemas[key] for key in meta.form_keys},
                files=list(meta.files),
                startable_by=list(meta.startable_by),
                start_rules=dict(meta.start_rules),
                deployed_at=now,
            )
            s.add(definition)
            try:
                s.flush()
            except IntegrityError:
                raise ConcurrentUpdate("another deployment of this process ran at the same "
                                       "time; deploy again") from None
            views.append(_definition_view(definition, created=True))
    return sorted(views, key=lambda v: v.key)


def _latest_files(ctx) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The files of every process's latest version (newer deployments win a shared name)."""
    with ctx.db.read() as s:
        deployments = sorted({d.deployment_id for d in s.scalars(_latest_definitions())})
        diagrams, form_files = {}, {}
        for deployment_id in deployments:
            for f in s.scalars(select(DeploymentFile).where(
                    DeploymentFile.deployment_id == deployment_id)):
                (diagrams if f.kind == "bpmn" else form_files)[f.filename] = f.content
    return diagrams, form_files


def check_deployment(diagrams: dict[str, bytes], form_files: dict[str, bytes]) -> ProcessModel:
    """Validate a deployment without storing anything; raises DiagramInvalid with every
    problem found."""
    return ProcessModel.from_files(diagrams, _parse_forms(form_files))


def _parse_forms(form_files: dict[str, bytes]) -> dict[str, dict]:
    schemas, errors = {}, []
    for filename, content in sorted(form_files.items()):
        key = filename.rsplit("/", 1)[-1].removesuffix(".json")
        try:
            schema = json.loads(content)
        except (ValueError, UnicodeDecodeError) as exc:
            errors.append({"file": filename, "line": getattr(exc, "lineno", None),
                           "column": getattr(exc, "colno", None), "element_id": None,
                           "message": f"not valid JSON: {exc}"})
            continue
        problem = forms.schema_problem(schema)
        if problem:
            errors.append({"file": filename, "line": None, "column": None,
                           "element_id": None, "message": problem})
        schemas[key] = schema
    if errors:
        raise DiagramInvalid(f"{len(errors)} problem(s) in the form schemas", errors)
    return schemas


def _store_deployment(s, actor, now, diagrams, form_files) -> Deployment:
    deployment = Deployment(deployed_at=now, deployed_by=actor.username)
    s.add(deployment)
    s.flush()
    for kind, files in (("bpmn", diagrams), ("form", form_files)):
        for filename, content in files.items():
            s.add(DeploymentFile(deployment_id=deployment.id, filename=filename, kind=kind,
                                 content=content, sha256=hashlib.sha256(content).hexdigest()))
    return deployment


def definition_versions(ctx: EngineContext, key: str) -> list[DefinitionView]:
    with ctx.db.read() as s:
        rows = list(s.scalars(select(ProcessDefinition).where(ProcessDefinition.key == key)
                              .order_by(ProcessDefinition.version)))
        if not rows:
            raise DefinitionNotFound(f"no process definition '{key}'")
        return [_definition_view(d) for d in rows]


def definition_xml(ctx: EngineContext, key: str, version: int) -> tuple[str, bytes]:
    """The diagram file holding the process, exactly as it was deployed."""
    with ctx.db.read() as s:
        definition = _definition(s, key, version)
        filename = json.loads(definition.spec_json)["spec"]["file"]
        content = s.scalar(select(DeploymentFile.content).where(
            DeploymentFile.deployment_id == definition.deployment_id,
            DeploymentFile.filename == filename))
        return filename, content


def list_definitions(ctx: EngineContext) -> list[DefinitionView]:
    """The latest version of each process."""
    with ctx.db.read() as s:
        rows = s.scalars(_latest_definitions().order_by(ProcessDefinition.key))
        return [_definition_view(d) for d in rows]


def _latest_definitions():
    newest = (select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("v"))
              .group_by(ProcessDefinition.key).subquery())
    return select(ProcessDefinition).join(newest, (ProcessDefinition.key == newest.c.key)
                                          & (ProcessDefinition.version == newest.c.v))


# ---------------------------------------------------------------- instances

def start_instance(ctx: EngineContext, actor: Actor, key: str, variables: dict,
                   version: int | None = None) -> InstanceView:
    if not isinstance(variables, dict):
        raise InvalidInput("variables must be an object", {"variables": ["must be an object"]})
    with ctx.db.write() as s:
        definition = _definition(s, key, version)
        if not _may_start(actor, definition):
            raise Forbidden(f"starting '{key}' needs one of the roles "
                            f"{', '.join(definition.startable_by) or 'admin'}")
        variables = _prepared_variables(s, actor, definition, variables)
        now = ctx.clock.now()
        wf = runtime.new_workflow(ctx.executable(definition), variables)
        thrown = _Thrown()
        try:
            runtime.run_to_wait_states(wf, now, thrown)
        except (SpiffWorkflowException, ScriptRejected, ScriptTimeout) as exc:
            raise WorkflowError(f"the process failed to start: {exc}") from None
        instance = ProcessInstance(
            id=str(uuid.uuid4()), definition_id=definition.id, definition=definition,
            status="running", state_json="{}", state_format=runtime.STATE_FORMAT,
            started_at=now, started_by=actor.username)
        s.add(instance)
        s.flush()
        log = history.EventLog(s, instance.id, new_instance=True)
        log.append(history.INSTANCE_STARTED, actor.username, now, payload={
            "definition_key": definition.key, "definition_version": definition.version,
            "content_hash": definition.content_hash, "variables": variables,
            "state_digest": runtime.state_digest(wf)})
        _sync_tasks(ctx, s, instance, wf, now, log, actor, thrown)
        stored = ctx.save_workflow(s, instance, wf, None)
        s.flush()
        view = _instance_view(s, instance)
    ctx.keep_workflow(instance.id, instance.version, wf, stored)
    return view


def get_instance(ctx: EngineContext, actor: Actor, instance_id: str) -> InstanceView:
    with ctx.db.read() as s:
        instance = _visible_instance(s, actor, instance_id)
        return _instance_view(s, instance)


def list_instances(ctx: EngineContext, actor: Actor, status: str | None = None,
                   definition_key: str | None = None, limit: int = 50,
                   offset: int = 0) -> Page:
    errors = {}
    if status is not None and status not in INSTANCE_STATUSES:
        errors["status"] = [f"must be one of {', '.join(INSTANCE_STATUSES)}"]
    _check_paging(limit, offset, errors)
    if errors:
        raise InvalidInput("Invalid query", errors)
    with ctx.db.read() as s:
        query = select(ProcessInstance).join(ProcessInstance.definition)
        if not (actor.roles & INSTANCE_READERS):
            query = query.where(select(Task.id).where(
                Task.process_instance_id == ProcessInstance.id, _task_visible(actor)).exists())
        if status:
            query = query.where(ProcessInstance.status == status)
        if definition_key:
            query = query.where(ProcessDefinition.key == definition_key)
        total = s.scalar(select(func.count()).select_from(query.subquery()))
        rows = s.scalars(query.order_by(ProcessInstance.started_at.desc(), ProcessInstance.id)
                         .limit(limit).offset(offset))
        return Page(items=[_instance_view(s, i, with_tasks=False) for i in rows], total=total)


# ---------------------------------------------------------------- tasks

# A queue's `total` counts at most this many tasks unless the caller asks for an exact
# count: the page costs the same for any queue length, an exact count grows with it.
TASK_COUNT_CAP = 1000
TASK_COUNTS = ("capped", "exact")


def list_tasks(ctx: EngineContext, actor: Actor, state: str | None = None,
               role: str | None = None, assignee: str | None = None,
               process_instance_id: str | None = None, due_before: datetime | None = None,
               sort: str | None = None, limit: int = 50, offset: int = 0,
               count: str = "capped") -> Page:
    """The tasks the actor may see; by default the open ones (ready and claimed).

    `total` counts at most TASK_COUNT_CAP tasks: beyond, it is the cap and `total_exact`
    is false. `count="exact"` counts every matching task."""
    errors = {}
    if state is not None and state not in (*TASK_STATES, "open", "all"):
        errors["state"] = [f"must be one of {', '.join((*TASK_STATES, 'open', 'all'))}"]
    if sort is not None and sort not in TASK_SORTS:
        errors["sort"] = [f"must be one of {', '.join(TASK_SORTS)}"]
    if count not in TASK_COUNTS:
        errors["count"] = [f"must be one of {', '.join(TASK_COUNTS)}"]
    if due_before is not None and due_before.tzinfo is None:
        errors["due_before"] = ["must carry a time zone offset"]
    _check_paging(limit, offset, errors)
    if errors:
        raise InvalidInput("Invalid query", errors)
    states = OPEN_STATES if state in (None, "open") else \
        TASK_STATES if state == "all" else (state,)
    everyone = actor.is_admin or actor.has("auditor")
    roles = [] if everyone else sorted(actor.roles)
    role = role or None  # an empty filter filters nothing
    # A role filter leaves that role's branches only; the actor's claims outside its roles
    # have a branch unless the filter names one of its roles.
    branch_roles = [r for r in roles if role in (None, r)]
    outside = not everyone and role not in actor.roles
    filters = {"role": role, "assignee": actor.username if assignee == "me" else assignee,
               "process_instance_id": process_instance_id, "due_before": due_before}
    filters = {name: value for name, value in filters.items() if value}
    order = sort or "due_at"
    page_query, count_query = _queue_queries(
        everyone, len(branch_roles), len(roles) if outside else None, len(states),
        tuple(filters), order, count == "exact")
    params = {**filters, **{f"state_{j}": st for j, st in enumerate(states)},
              **{f"role_{i}": r for i, r in enumerate(branch_roles)},
              **{f"not_role_{i}": r for i, r in enumerate(roles)}, "me": actor.username,
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
    None: no such branch). Each branch reads only its first rows in order (ids and sort keys);
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
    conditions = {"role": task.role == bindparam("role"),
                  "assignee": task.assignee == bindparam("assignee"),
                  "process_instance_id": task.process_instance_id
                  == bindparam("process_instance_id"),
                  "due_before": task.due_at < bindparam("due_before")}
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


def get_task_form(ctx: EngineContext, actor: Actor, task_id: str) -> tuple[str, dict]:
    with ctx.db.read() as s:
        task = _visible_task(s, actor, task_id)
        definition = s.get(ProcessInstance, task.process_instance_id).definition
        return task.form_key, definition.forms.get(task.form_key, {})


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
        if task.role not in actor.roles:
            raise Forbidden(f"the task belongs to the role '{task.role}'")
        _require_running(_lock_instance_status(ctx, s, task.process_instance_id))
        now = ctx.clock.now()
        claimed = s.execute(
            update(Task).where(Task.id == task.id, Task.state == "ready")
            .values(state="claimed", assignee=actor.username, claimed_at=now,
                    version=Task.version + 1)
            .execution_options(synchronize_session=False))
        if claimed.rowcount == 1:
            history.EventLog(s, task.process_instance_id).append(
                history.TASK_CLAIMED, actor.username, now,
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
        if task.assignee != actor.username and not actor.is_admin:
            raise Forbidden("only the assignee or an admin may unclaim the task")
        _lock_instance_status(ctx, s, task.process_instance_id)
        released = s.execute(
            update(Task).where(Task.id == task.id, Task.state == "claimed",
                               Task.assignee == task.assignee)
            .values(state="ready", assignee=None, claimed_at=None, version=Task.version + 1)
            .execution_options(synchronize_session=False))
        if released.rowcount != 1:
            raise ConcurrentUpdate("the task changed meanwhile; reload it")
        history.EventLog(s, task.process_instance_id).append(
            history.TASK_UNCLAIMED, actor.username, ctx.clock.now(), element_id=task.element_id,
            task_id=task.id, payload={"assignee": task.assignee})
        s.refresh(task)
        return _task_view(task)


def complete_task(ctx: EngineContext, actor: Actor, task_id: str, data: dict) -> CompletionResult:
    """Complete a claimed task with form data and run the instance to its next wait states."""
    if not isinstance(data, dict):
        raise InvalidInput("data must be an object", {"data": ["must be an object"]})
    _check_json_data(data)
    try:
        with ctx.db.write() as s:
            # Lock the instance first, then read the task: a completion that waited for
            # the lock sees what the one before it wrote.
            instance = _lock_instance(ctx, s, select(Task.process_instance_id)
                                      .where(Task.id == str(task_id)).scalar_subquery(),
                                      missing=TaskNotFound(f"no task '{task_id}'"))
            task = _visible_task(s, actor, task_id)
            if task.state not in OPEN_STATES:
                raise TaskNotOpen(f"the task is {task.state}")
            if task.state != "claimed" or task.assignee != actor.username:
                raise TaskNotClaimedByCaller("claim the task before completing it"
                                             if task.state == "ready" else
                                             f"the task is claimed by '{task.assignee}'")
            _require_running(instance.status)
            schema = instance.definition.forms.get(task.form_key, {})
            forms.validate(schema, data, _document_checker(s, instance.id))
            wf, stored = ctx.take_workflow(s, instance)
            spiff_task = runtime.task_by_id(wf, task.id)
            if spiff_task is None or not runtime.is_ready_user_task(spiff_task):
                raise ConcurrentUpdate("the task is no longer ready in its process instance")
            now = ctx.clock.now()
            task.state, task.completed_at, task.completed_by = "completed", now, actor.username
            error, thrown = None, _Thrown()
            try:
                runtime.complete_user_task(wf, spiff_task, data, now, thrown)
            except (SpiffWorkflowException, ScriptRejected, ScriptTimeout) as exc:
                # The submission stands; the instance waits in `error` for an admin.
                error = str(exc)
            log = history.EventLog(s, instance.id)
            log.append(history.TASK_COMPLETED, actor.username, now, element_id=task.element_id,
                       task_id=task.id, payload={"data": data,
                                                 "state_digest": runtime.state_digest(wf)})
            if error is not None:
                instance.status, instance.error = "error", error
                log.append(history.INSTANCE_ERROR, "system", now, element_id=task.element_id,
                           payload={"message": error})
            new_tasks = _sync_tasks(ctx, s, instance, wf, now, log, actor, thrown,
                                    returned=data.get("decision") == "revise")
            stored = ctx.save_workflow(s, instance, wf, stored)
            s.flush()  # the version columns refuse a lost update here
            result = CompletionResult(task=_task_view(task),
                                      next_tasks=[_task_view(t) for t in new_tasks])
    except StaleDataError:
        raise ConcurrentUpdate("the process instance changed meanwhile; retry") from None
    ctx.keep_workflow(instance.id, instance.version, wf, stored)
    return result


# ---------------------------------------------------------------- documents

def upload_document(ctx: EngineContext, actor: Actor, instance_id: str, filename: str,
                    content_type: str | None, stream: BinaryIO) -> DocumentView:
    with ctx.db.read() as s:
        _visible_instance(s, actor, instance_id)
    filename = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not filename:
        raise InvalidInput("The file needs a name", {"file": ["has no file name"]})
    sha, size = ctx.documents.save(stream, ctx.settings.max_document_bytes)
    with ctx.db.write() as s:
        _lock_instance(ctx, s, instance_id)
        document = Document(id=str(uuid.uuid4()), process_instance_id=instance_id,
                            filename=filename[:255],
                            content_type=content_type or "application/octet-stream",
                            size=size, sha256=sha, uploaded_by=actor.username,
                            uploaded_at=ctx.clock.now())
        s.add(document)
        history.EventLog(s, instance_id).append(
            history.DOCUMENT_UPLOADED, actor.username, document.uploaded_at, payload={
                "document_id": document.id, "filename": document.filename, "sha256": sha,
                "size": size, "content_type": document.content_type})
        return _document_view(document)


def get_document(ctx: EngineContext, actor: Actor, document_id: str) -> DocumentView:
    with ctx.db.read() as s:
        document = s.get(Document, document_id)
        if document is None:
            raise DocumentNotFound(f"no document '{document_id}'")
        try:
            _visible_instance(s, actor, document.process_instance_id)
        except InstanceNotFound:
            raise DocumentNotFound(f"no document '{document_id}'") from None
        return _document_view(document)


def document_path(ctx: EngineContext, actor: Actor, document_id: str):
    document = get_document(ctx, actor, document_id)
    return document, ctx.documents.path_for(document.sha256)


# ---------------------------------------------------------------- instance administration

def suspend_instance(ctx: EngineContext, actor: Actor, instance_id: str) -> InstanceView:
    """Hold a running instance: its tasks stay queued but cannot be claimed or completed."""
    return _change_status(ctx, actor, instance_id, ("running",), "suspended",
                          history.INSTANCE_SUSPENDED)


def resume_instance(ctx: EngineContext, actor: Actor, instance_id: str) -> InstanceView:
    return _change_status(ctx, actor, instance_id, ("suspended",), "running",
                          history.INSTANCE_RESUMED)


def terminate_instance(ctx: EngineContext, actor: Actor, instance_id: str,
                       reason: str | None = None) -> InstanceView:
    """End an instance for good; its open tasks are cancelled."""
    def cancel_workflow(s, instance, wf, now, log, thrown):
        runtime.cancel(wf)
    return _change_status(ctx, actor, instance_id, ("running", "suspended", "error"),
                          "terminated", history.INSTANCE_TERMINATED, cancel_workflow,
                          {"reason": reason})


def retry_instance(ctx: EngineContext, actor: Actor, instance_id: str,
                   data: dict | None = None) -> InstanceView:
    """Run the failed step of an instance in `error` again, after a fix: `data` (optional)
    corrects the variables the failed step reads."""
    data = data or {}
    if not isinstance(data, dict):
        raise InvalidInput("data must be an object", {"data": ["must be an object"]})
    _check_json_data(data)

    def rerun(s, instance, wf, now, log, thrown):
        error = None
        try:
            runtime.retry_failed_tasks(wf, data, now, thrown)
        except (SpiffWorkflowException, ScriptRejected, ScriptTimeout) as exc:
            error = str(exc)
        return error
    return _change_status(ctx, actor, instance_id, ("error",), "running",
                          history.INSTANCE_RETRIED, rerun, {"data": data})


def _change_status(ctx, actor, instance_id, allowed_from, to_status, event_type,
                   act=None, payload=None) -> InstanceView:
    _require_admin(actor)
    try:
        with ctx.db.write() as s:
            instance = _lock_instance(ctx, s, instance_id)
            before = instance.status
            if before not in allowed_from:
                raise InstanceNotRunning(f"the process instance is {before}; this needs "
                                         f"{' or '.join(allowed_from)}")
            now = ctx.clock.now()
            log = history.EventLog(s, instance.id)
            wf, stored = ctx.take_workflow(s, instance) if act else (None, None)
            thrown = _Thrown()
            error = act(s, instance, wf, now, log, thrown) if act else None
            instance.status = to_status
            instance.error = None if to_status != "error" else instance.error
            if to_status == "terminated":
                instance.ended_at = now
            event_payload = {**(payload or {}), "status_before": before, "status_after": to_status}
            if wf is not None:
                event_payload["state_digest"] = runtime.state_digest(wf)
            log.append(event_type, actor.username, now, payload=event_payload)
            if error is not None:
                instance.status, instance.error = "error", error
                log.append(history.INSTANCE_ERROR, "system", now, payload={"message": error})
            if wf is not None:
                _sync_tasks(ctx, s, instance, wf, now, log, actor, thrown)
                stored = ctx.save_workflow(s, instance, wf, stored)
            s.flush()
            view = _instance_view(s, instance)
    except StaleDataError:
        raise ConcurrentUpdate("the process instance changed meanwhile; retry") from None
    if wf is not None:
        ctx.keep_workflow(instance.id, instance.version, wf, stored)
    return view


# ---------------------------------------------------------------- migration between versions

def migrate_instance(ctx: EngineContext, actor: Actor, instance_id: str, to_version: int,
                     dry_run: bool = False) -> MigrationView:
    """Move a running (or suspended) instance to another version of its process when its
    position exists there; refused with the reasons otherwise. A dry run stores nothing."""
    _require_admin(actor)
    try:
        with ctx.db.write() as s:
            instance = _lock_instance(ctx, s, instance_id)
            if instance.status not in ("running", "suspended"):
                raise InstanceNotRunning(f"the process instance is {instance.status}")
            source = instance.definition
            target = _definition(s, source.key, to_version)
            view = MigrationView(process_instance_id=instance.id, from_version=source.version,
                                 to_version=target.version, allowed=False, reasons=[],
                                 dry_run=dry_run)
            if target.id == source.id:
                return replace(view, reasons=["the instance runs this version already"])
            outcome = migration.migrate(state_store.state_json(s, instance), ctx.executable(source),
                                        ctx.executable(target))
            if not outcome.allowed or dry_run:
                return replace(view, allowed=outcome.allowed, reasons=outcome.reasons)
            now = ctx.clock.now()
            wf, thrown = outcome.workflow, _Thrown()
            runtime.run_to_wait_states(wf, now, thrown)
            instance.definition_id, instance.definition = target.id, target
            log = history.EventLog(s, instance.id)
            log.append(history.INSTANCE_MIGRATED, actor.username, now, payload={
                "from_version": source.version, "to_version": target.version,
                "content_hash": target.content_hash, "state_digest": runtime.state_digest(wf)})
            _refresh_kept_tasks(s, instance, wf, now, log)
            _sync_tasks(ctx, s, instance, wf, now, log, actor, thrown)
            ctx.save_workflow(s, instance, wf, None)  # every task's spec may have changed
            s.flush()
            view = replace(view, allowed=True, open_tasks=_instance_view(s, instance).open_tasks)
    except StaleDataError:
        raise ConcurrentUpdate("the process instance changed meanwhile; retry") from None
    ctx.forget_workflow(instance_id)  # a cached workflow would belong to the old version
    return view


def migrate_version(ctx: EngineContext, actor: Actor, key: str, from_version: int,
                    to_version: int, dry_run: bool = False) -> list[MigrationView]:
    """Migrate every running or suspended instance of one version, each on its own."""
    _require_admin(actor)
    with ctx.db.read() as s:
        source = _definition(s, key, from_version)
        _definition(s, key, to_version)
        ids = list(s.scalars(select(ProcessInstance.id).where(
            ProcessInstance.definition_id == source.id,
            ProcessInstance.status.in_(("running", "suspended"))).order_by(ProcessInstance.id)))
    return [migrate_instance(ctx, actor, instance_id, to_version, dry_run) for instance_id in ids]


def _refresh_kept_tasks(s, instance: ProcessInstance, wf, now, log: history.EventLog) -> None:
    """Open tasks that survive a migration take their element id, name, form and role from
    the new version; a claim on a task whose role changed is released."""
    ready = {str(t.id): t for t in runtime.ready_user_tasks(wf)}
    for row in s.scalars(select(Task).where(Task.process_instance_id == instance.id,
                                            Task.state.in_(OPEN_STATES))):
        spiff_task = ready.get(row.id)
        if spiff_task is None:
            continue  # _sync_tasks cancels it
        meta = instance.definition.user_tasks[user_task_key(spiff_task.task_spec)]
        role = resolve_role(meta["role_template"], spiff_task.data)
        changes = {k: v for k, v in (("element_id", meta["element_id"]), ("name", meta["name"]),
                                     ("form_key", meta["form_key"]), ("role", role))
                   if getattr(row, k) != v}
        if not changes:
            continue
        for attribute, value in changes.items():
            setattr(row, attribute, value)
        if "role" in changes and row.state == "claimed":
            row.state, row.assignee, row.claimed_at = "ready", None, None
        log.append(history.TASK_UPDATED, "system", now, element_id=row.element_id,
                   task_id=row.id, payload=changes)


# ---------------------------------------------------------------- timers (workers)

def lease_due_timers(ctx: EngineContext, owner: str, limit: int = 20,
                     lease_s: int = 60) -> list[str]:
    """Lease running instances whose next timer is due to this worker until `lease_s` from
    now. Several workers skip each other's rows; an expired lease (a dead worker) is taken
    over."""
    now = ctx.clock.now()
    with ctx.db.write() as s:
        query = (select(ProcessInstance.id).where(
            ProcessInstance.status == "running", ProcessInstance.next_timer_at <= now,
            or_(ProcessInstance.timer_lease_until.is_(None),
                ProcessInstance.timer_lease_until < now))
            .order_by(ProcessInstance.next_timer_at).limit(limit))
        if ctx.db.dialect != "sqlite":
            query = query.with_for_update(skip_locked=True)
        ids = list(s.scalars(query))
        if ids:  # a lease is not a change of state: the version stays
            s.execute(update(ProcessInstance).where(ProcessInstance.id.in_(ids))
                      .values(timer_lease_owner=owner,
                              timer_lease_until=now + timedelta(seconds=lease_s))
                      .execution_options(synchronize_session=False))
        return ids


def fire_timers(ctx: EngineContext, instance_id: str, owner: str) -> list[str]:
    """Fire the due timers of a leased instance; returns the timer elements that fired.
    Does nothing if the lease went to another worker meanwhile."""
    try:
        with ctx.db.write() as s:
            instance = _lock_instance(ctx, s, instance_id)
            if instance.timer_lease_owner != owner:
                return []
            now = ctx.clock.now()
            instance.timer_lease_owner, instance.timer_lease_until = None, None
            if instance.status != "running" or instance.next_timer_at is None \
                    or instance.next_timer_at > now:
                return []
            wf, stored = ctx.take_workflow(s, instance)
            waiting = runtime.waiting_timer_ids(wf)
            thrown, error = _Thrown(), None
            try:
                runtime.run_to_wait_states(wf, now, thrown)
            except (SpiffWorkflowException, ScriptRejected, ScriptTimeout) as exc:
                error = str(exc)
            still = runtime.waiting_timer_ids(wf)
            fired = sorted(element for task_id, element in waiting.items() if task_id not in still)
            log = history.EventLog(s, instance.id)
            log.append(history.TIMERS_FIRED, "system", now, payload={
                "elements": fired, "state_digest": runtime.state_digest(wf)})
            if error is not None:
                instance.status, instance.error = "error", error
                log.append(history.INSTANCE_ERROR, "system", now, payload={"message": error})
            _sync_tasks(ctx, s, instance, wf, now, log, SYSTEM, thrown)
            stored = ctx.save_workflow(s, instance, wf, stored)
            s.flush()
            version = instance.version
    except StaleDataError:
        raise ConcurrentUpdate("the process instance changed meanwhile; retry") from None
    ctx.keep_workflow(instance_id, version, wf, stored)
    return fired


# ---------------------------------------------------------------- history (auditors)

AUDIT_ROLES = frozenset({"auditor", "admin"})


def instance_history(ctx: EngineContext, actor: Actor, instance_id: str,
                     type_: str | None = None, limit: int = 100, offset: int = 0) -> Page:
    """The instance's events in order, read-only."""
    _require_auditor(actor)
    errors = {}
    if type_ is not None and type_ not in history.EVENT_TYPES:
        errors["type"] = [f"must be one of {', '.join(history.EVENT_TYPES)}"]
    _check_paging(limit, offset, errors, maximum=10_000)
    if errors:
        raise InvalidInput("Invalid query", errors)
    with ctx.db.read() as s:
        if s.get(ProcessInstance, instance_id) is None:
            raise InstanceNotFound(f"no process instance '{instance_id}'")
        query = select(Event).where(Event.process_instance_id == instance_id)
        if type_:
            query = query.where(Event.type == type_)
        total = s.scalar(select(func.count()).select_from(query.subquery()))
        rows = s.scalars(query.order_by(Event.seq).limit(limit).offset(offset))
        return Page(items=[history.record_of(e) for e in rows], total=total)


def replay_instance(ctx: EngineContext, actor: Actor, instance_id: str) -> ReplayReport:
    """Re-execute the instance from its history and compare with what is stored."""
    _require_auditor(actor)
    with ctx.db.read() as s:
        instance, records, stored = _audit_material(s, instance_id)
        key = instance.definition.key
        definitions = {d.version: d for d in s.scalars(
            select(ProcessDefinition).where(ProcessDefinition.key == key))}

        def version(number: int):
            definition = definitions[number]
            return ctx.executable(definition), definition.user_tasks
        return replay(records, instance.id, version, stored)


def audit_bundle(ctx: EngineContext, actor: Actor, instance_id: str) -> bytes:
    """A self-contained archive an auditor verifies offline (`lkj audit verify`)."""
    _require_auditor(actor)
    with ctx.db.read() as s:
        instance, records, stored = _audit_material(s, instance_id)
        definition = instance.definition
        ran_on = {r.payload["definition_version"] for r in records
                  if r.type == history.INSTANCE_STARTED}
        ran_on |= {r.payload["to_version"] for r in records if r.type == history.INSTANCE_MIGRATED}
        versions = {d.version: _version_files(s, d) for d in s.scalars(
            select(ProcessDefinition).where(ProcessDefinition.key == definition.key,
                                            ProcessDefinition.version.in_(ran_on)))}
        documents = [_document_view(d) for d in s.scalars(select(Document).where(
            Document.process_instance_id == instance.id).order_by(Document.uploaded_at))]
        content = audit.BundleContent(
            instance={"id": instance.id, "definition_key": definition.key,
                      "definition_version": definition.version, "status": instance.status},
            versions=versions, events=records,
            documents=[{**d.__dict__, "uploaded_at": history.iso(d.uploaded_at)}
                       for d in documents],
            stored=stored)
    return audit.build_bundle(content, history.iso(ctx.clock.now()))


def completed_tasks(ctx: EngineContext, actor: Actor, role: str | None = None,
                    user: str | None = None, completed_from: datetime | None = None,
                    completed_to: datetime | None = None, limit: int = 100,
                    offset: int = 0) -> Page:
    """Completed tasks across instances, by role, by user and by time range."""
    _require_auditor(actor)
    errors = {}
    for name, value in (("from", completed_from), ("to", completed_to)):
        if value is not None and value.tzinfo is None:
            errors[name] = ["must carry a time zone offset"]
    _check_paging(limit, offset, errors)
    if errors:
        raise InvalidInput("Invalid query", errors)
    query = select(Task).where(Task.state == "completed")
    if role:
        query = query.where(Task.role == role)
    if user:
        query = query.where(Task.completed_by == user)
    if completed_from:
        query = query.where(Task.completed_at >= completed_from)
    if completed_to:
        query = query.where(Task.completed_at < completed_to)
    with ctx.db.read() as s:
        total = s.scalar(select(func.count()).select_from(query.subquery()))
        rows = s.scalars(query.order_by(Task.completed_at, Task.id).limit(limit).offset(offset))
        return Page(items=[_task_view(t) for t in rows], total=total)


def _version_files(s, definition: ProcessDefinition) -> audit.VersionFiles:
    """A version's diagrams byte-for-byte, and its forms (the deployed files where kept)."""
    files = {f.filename: f.content for f in s.scalars(select(DeploymentFile).where(
        DeploymentFile.deployment_id == definition.deployment_id))}
    return audit.VersionFiles(
        content_hash=definition.content_hash,
        diagrams={name: files[name] for name in definition.files},
        forms={f"{key}.json": files.get(f"{key}.json") or json.dumps(schema).encode()
               for key, schema in definition.forms.items()})


def _audit_material(s, instance_id: str):
    instance = s.get(ProcessInstance, instance_id)
    if instance is None:
        raise InstanceNotFound(f"no process instance '{instance_id}'")
    records = [history.record_of(e) for e in s.scalars(
        select(Event).where(Event.process_instance_id == instance_id).order_by(Event.id))]
    open_rows = s.scalars(select(Task).where(Task.process_instance_id == instance_id,
                                             Task.state.in_(OPEN_STATES)))
    stored = StoredState(status=instance.status, state_json=state_store.state_json(s, instance),
                         open_tasks={t.id: (t.element_id, t.role) for t in open_rows})
    return instance, records, stored


def _require_auditor(actor: Actor):
    if not actor.roles & AUDIT_ROLES:
        raise Forbidden("this needs the role 'auditor' or 'admin'")


# ---------------------------------------------------------------- working calendar

CALENDAR_KINDS = ("national", "collective_leave", "office")


def calendar_year(ctx: EngineContext, year: int) -> dict:
    """The working calendar of a year: hours, weekdays, and every closed day with its name,
    kind and source (the committed file, or an admin's change)."""
    if not 1900 <= year <= 2200:
        raise InvalidInput("Invalid year", {"year": ["must be a year between 1900 and 2200"]})
    ctx.refresh_calendar()
    calendar = ctx.calendar
    with ctx.db.read() as s:
        changed = {d.day for d in s.scalars(select(CalendarDay))}
    return {
        "year": year, "timezone": calendar.zone.key,
        "working_hours": {"start": calendar.start.isoformat("minutes"),
                          "end": calendar.end.isoformat("minutes")},
        "working_days": sorted(calendar.working_days),
        "from_file": calendar.covers(year),
        "closed_days": [{"date": day.isoformat(), **calendar.holiday_names.get(day, {}),
                         "source": "admin" if day in changed else "file"}
                        for day in sorted(calendar.holidays) if day.year == year],
        "reopened_days": sorted(d.isoformat() for d in changed
                                if d.year == year and d not in calendar.holidays),
    }


def set_calendar_day(ctx: EngineContext, actor: Actor, day, closed: bool,
                     name: str | None = None, kind: str = "office") -> dict:
    """Close a day (a holiday or collective leave the files lack) or open one again (a file's
    holiday that moved). Due dates computed from now on count it."""
    _require_admin(actor)
    errors = {}
    if closed and not (name or "").strip():
        errors["name"] = ["a closed day needs a name"]
    if kind not in CALENDAR_KINDS:
        errors["kind"] = [f"must be one of {', '.join(CALENDAR_KINDS)}"]
    if errors:
        raise InvalidInput("The day cannot be changed", errors)
    with ctx.db.write() as s:
        row = s.get(CalendarDay, day) or CalendarDay(day=day)
        row.closed, row.name, row.kind = closed, (name or "").strip(), kind
        row.changed_by, row.changed_at = actor.username, ctx.clock.now()
        s.add(row)
    ctx.refresh_calendar()
    return calendar_year(ctx, day.year)


def reset_calendar_day(ctx: EngineContext, actor: Actor, day) -> dict:
    """Drop the admin's change of a day: the committed file decides again."""
    _require_admin(actor)
    with ctx.db.write() as s:
        row = s.get(CalendarDay, day)
        if row is None:
            raise NotFound(f"no change recorded for {day.isoformat()}")
        s.delete(row)
    ctx.refresh_calendar()
    return calendar_year(ctx, day.year)


# ---------------------------------------------------------------- evaluation (section L)

SLA_READERS = frozenset({"auditor", "admin", "kepala_biro"})


def sla_report(ctx: EngineContext, actor: Actor, period_start: datetime, period_end: datetime,
               definition_key: str | None = None) -> sla.SlaReport:
    """Each step's actual working-time duration against its limit, per role, for a period."""
    if not actor.roles & SLA_READERS:
        raise Forbidden("this needs the role 'auditor', 'admin' or 'kepala_biro'")
    errors = {}
    for name, value in (("from", period_start), ("to", period_end)):
        if value is None or value.tzinfo is None:
            errors[name] = ["needs a date and time with a time zone offset"]
    if not errors and not period_start < period_end:
        errors["to"] = ["must be after 'from'"]
    if errors:
        raise InvalidInput("Invalid report period", errors)
    with ctx.db.read() as s:
        return sla.sla_report(s, ctx.calendar, period_start, period_end, definition_key)


# ---------------------------------------------------------------- helpers

def _require_admin(actor: Actor):
    if not actor.is_admin:
        raise Forbidden("this needs the role 'admin'")


def _require_running(status: str):
    if status != "running":
        raise InstanceNotRunning(f"the process instance is {status}")


def _check_paging(limit: int, offset: int, errors: dict, maximum: int = MAX_PAGE):
    if not 1 <= limit <= maximum:
        errors["limit"] = [f"must be between 1 and {maximum}"]
    if offset < 0:
        errors["offset"] = ["must not be negative"]


def _check_json_data(data: dict):
    try:
        json.dumps(data, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("data must be plain JSON", {"data": [str(exc)]}) from None


def _role_exists(s, role: str) -> bool:
    if role.startswith(UNIT_ROLE_PREFIX):
        return s.get(Unit, role[len(UNIT_ROLE_PREFIX):]) is not None
    return is_known_role(role)


def _may_start(actor: Actor, definition: ProcessDefinition) -> bool:
    if actor.is_admin:
        return True
    for allowed in definition.startable_by:
        if allowed.endswith("*"):
            if any(r.startswith(allowed[:-1]) for r in actor.roles):
                return True
        elif allowed in actor.roles:
            return True
    return False


def _prepared_variables(s, actor: Actor, definition: ProcessDefinition,
                        variables: dict) -> dict:
    """Start variables by the process's start rules: `unitsVariable` defaults to every active
    unit and must name active units; `starterUnitVariable` is the starter's own unit; the
    `startForm` schema validates the result."""
    variables = dict(variables)
    _check_json_data(variables)
    rules = definition.start_rules or {}
    if rules.get("startForm"):
        forms.validate(definition.forms.get(rules["startForm"], {}), variables,
                       lambda _id: False, prefix="variables")
    active = set(s.scalars(select(Unit.code).where(Unit.active.is_(True))))
    if rules.get("unitsVariable"):
        name = rules["unitsVariable"]
        field = f"variables.{name}"
        if name not in variables:
            if not active:
                raise InvalidInput("No active unit is registered",
                                   {field: ["register units first or list them"]})
            variables[name] = sorted(active)
        units = variables[name]
        if not isinstance(units, list) or not units or not all(isinstance(u, str) for u in units):
            raise InvalidInput(f"{name} must be a non-empty list of unit codes",
                               {field: ["must be a non-empty list of unit codes"]})
        unknown = [u for u in units if u not in active]
        if unknown:
            raise InvalidInput("Unknown or inactive units",
                               {field: [f"'{u}' is not an active unit" for u in unknown]})
        if len(set(units)) != len(units):
            raise InvalidInput("Duplicate units", {field: ["lists a unit twice"]})
    if rules.get("starterUnitVariable"):
        variables[rules["starterUnitVariable"]] = _starter_unit(
            actor, variables.get(rules["starterUnitVariable"]), active,
            f"variables.{rules['starterUnitVariable']}")
    return variables


def _starter_unit(actor: Actor, requested, active: set[str], field: str) -> str:
    """The unit an instance is started for: the starter's own (one of them, if several)."""
    own = sorted(r[len(UNIT_ROLE_PREFIX):] for r in actor.roles if r.startswith(UNIT_ROLE_PREFIX))
    if requested is None:
        if len(own) != 1:
            raise InvalidInput("Name the unit", {field: [
                "the starter belongs to several units: name one" if own else
                "the starter belongs to no unit: name one"]})
        requested = own[0]
    if not isinstance(requested, str) or requested not in active:
        raise InvalidInput("Unknown or inactive unit", {field: [f"{requested!r} is not an active unit"]})
    if own and requested not in own:
        raise Forbidden(f"the starter may act only for their own unit(s): {', '.join(own)}")
    return requested


def _definition(s, key: str, version: int | None) -> ProcessDefinition:
    if version is None:
        definition = _latest_definition(s, key)
    else:
        definition = s.scalar(select(ProcessDefinition).where(
            ProcessDefinition.key == key, ProcessDefinition.version == version))
    if definition is None:
        raise DefinitionNotFound(f"no process definition '{key}'"
                                 + (f" version {version}" if version else ""))
    return definition


def _latest_definition(s, key: str) -> ProcessDefinition | None:
    return s.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key)
                    .order_by(ProcessDefinition.version.desc()).limit(1))


def _task_visible(actor: Actor):
    return or_(Task.role.in_(actor.roles), Task.assignee == actor.username)


def _visible_task(s, actor: Actor, task_id: str) -> Task:
    task = s.get(Task, str(task_id))
    if task is None or not (actor.is_admin or actor.has("auditor") or task.role in actor.roles
                            or task.assignee == actor.username
                            or task.completed_by == actor.username):
        raise TaskNotFound(f"no task '{task_id}'")
    return task


def _visible_instance(s, actor: Actor, instance_id: str) -> ProcessInstance:
    instance = s.get(ProcessInstance, str(instance_id))
    if instance is None:
        raise InstanceNotFound(f"no process instance '{instance_id}'")
    if actor.roles & INSTANCE_READERS:
        return instance
    mine = s.scalar(select(Task.id).where(Task.process_instance_id == instance.id,
                                          _task_visible(actor)).limit(1))
    if mine is None:
        raise InstanceNotFound(f"no process instance '{instance_id}'")
    return instance


def _document_checker(s, instance_id: str):
    def exists(document_id: str) -> bool:
        return s.scalar(select(Document.id).where(
            Document.id == document_id, Document.process_instance_id == instance_id)) is not None
    return exists


def _lock_instance(ctx, s, instance_id, missing: Exception | None = None) -> ProcessInstance:
    """The instance (by id, or a subquery giving it), locked for this transaction: its
    writers (and its event chain) go one at a time. A writer that waited reads what the one
    before it wrote."""
    instance = s.scalars(ctx.db.lock_clause(
        select(ProcessInstance).where(ProcessInstance.id == instance_id), of=ProcessInstance)
        .execution_options(populate_existing=True)).one_or_none()
    if instance is None:
        raise missing or InstanceNotFound(f"no process instance '{instance_id}'")
    return instance


def _lock_instance_status(ctx, s, instance_id: str) -> str:
    """The instance's status, with the instance locked as `_lock_instance` does, for
    commands that change task rows and the event chain but not the workflow."""
    status = s.scalar(ctx.db.lock_clause(
        select(ProcessInstance.status).where(ProcessInstance.id == instance_id)))
    if status is None:
        raise InstanceNotFound(f"no process instance '{instance_id}'")
    return status


class _Thrown:
    """Collects the diagram's notification events (a `notify` property) the engine passed."""

    def __init__(self):
        self.tasks = []

    def __call__(self, task):
        extensions = getattr(task.task_spec, "extensions", None) or {}
        if "notify" in extensions.get("properties", {}):
            self.tasks.append(task)


def _sync_tasks(ctx, s, instance: ProcessInstance, wf, now, log: history.EventLog,
                actor: Actor, thrown: _Thrown | None = None, returned: bool = False) -> list[Task]:
    """Make the task rows match the workflow: a row for every new ready user task, open
    rows whose task is gone are cancelled, and the instance status follows the workflow.
    Each change is also appended to the instance's event log; the notifications it causes
    go to the outbox, and the instance's next timer is noted for the workers."""
    definition = instance.definition
    open_rows = {t.id: t for t in s.scalars(select(Task).where(
        Task.process_instance_id == instance.id, Task.state.in_(OPEN_STATES)))}
    created, notices = [], []
    ready_ids = set()
    for spiff_task in runtime.ready_user_tasks(wf):
        task_id = str(spiff_task.id)
        ready_ids.add(task_id)
        if task_id in open_rows:
            continue
        meta = definition.user_tasks.get(user_task_key(spiff_task.task_spec))
        if meta is None:
            raise WorkflowError(f"user task '{spiff_task.task_spec.bpmn_id}' has no metadata")
        try:
            role = resolve_role(meta["role_template"], spiff_task.data)
        except KeyError as exc:
            raise WorkflowError(f"task '{meta['element_id']}': {exc.args[0]}") from None
        if not is_known_role(role):
            raise WorkflowError(f"task '{meta['element_id']}' resolved to unknown role '{role}'")
        row = Task(id=task_id, process_instance_id=instance.id, definition_key=definition.key,
                   process_id=runtime.process_id_of(spiff_task), element_id=meta["element_id"],
                   name=meta["name"], role=role, state="ready", form_key=meta["form_key"],
                   created_at=now, due_at=ctx.calendar.add(now, meta["due_duration"])
                   if meta["due_duration"] else None)
        s.add(row)
        created.append(row)
        kind = meta.get("notification", "task_assigned")
        if returned and kind == "task_assigned":
            kind = "returned_for_revision"
        notices.append(notifications.Notice(
            kind=kind, role=role, name=row.name, process_instance_id=instance.id,
            definition_key=definition.key, task_id=row.id, due_at=row.due_at))
        log.append(history.TASK_READY, "system", now, element_id=row.element_id, task_id=row.id,
                   payload={"role": role, "name": row.name, "process_id": row.process_id,
                            "form_key": row.form_key,
                            "due_at": history.iso(row.due_at) if row.due_at else None})
    for task_id, row in open_rows.items():
        if task_id not in ready_ids and row.state in OPEN_STATES:
            row.state, row.completed_at = "cancelled", now
            log.append(history.TASK_CANCELLED, "system", now, element_id=row.element_id,
                       task_id=row.id)
    if runtime.is_completed(wf) and instance.status == "running":
        instance.status, instance.ended_at = "completed", now
        log.append(history.INSTANCE_COMPLETED, actor.username, now)
    instance.next_timer_at = runtime.next_timer_at(wf) if instance.status == "running" else None
    notifications.queue(s, ctx.settings, notices + _thrown_notices(instance, thrown), now)
    return created


def _thrown_notices(instance, thrown: _Thrown | None) -> list[notifications.Notice]:
    notices = []
    for task in (thrown.tasks if thrown else []):
        properties = task.task_spec.extensions["properties"]
        notices.append(notifications.Notice(
            kind=properties["notify"],
            role=resolve_role(properties.get("notifyRole", ""), task.data),
            name=task.task_spec.bpmn_name or task.task_spec.bpmn_id,
            process_instance_id=instance.id, definition_key=instance.definition.key))
    return notices


def _user_view(user: User) -> UserView:
    return UserView(username=user.username, full_name=user.full_name, email=user.email,
                    roles=sorted(r.role for r in user.roles), active=user.active)


def _unit_view(unit: Unit) -> UnitView:
    return UnitView(code=unit.code, name=unit.name, active=unit.active)


def _definition_view(d: ProcessDefinition, created: bool = False) -> DefinitionView:
    return DefinitionView(key=d.key, version=d.version, name=d.name, deployed_at=d.deployed_at,
                          startable_by=list(d.startable_by), created=created)


def _task_view(t: Task) -> TaskView:
    return TaskView(id=t.id, name=t.name, element_id=t.element_id,
                    process_instance_id=t.process_instance_id, definition_key=t.definition_key,
                    role=t.role, assignee=t.assignee, state=t.state, created_at=t.created_at,
                    due_at=t.due_at, completed_at=t.completed_at, completed_by=t.completed_by,
                    form_key=t.form_key)


def _instance_view(s, i: ProcessInstance, with_tasks: bool = True) -> InstanceView:
    tasks = []
    if with_tasks:
        tasks = [_task_view(t) for t in s.scalars(
            select(Task).where(Task.process_instance_id == i.id, Task.state.in_(OPEN_STATES))
            .order_by(Task.created_at, Task.id))]
    return InstanceView(id=i.id, definition_key=i.definition.key,
                        definition_version=i.definition.version, status=i.status,
                        started_at=i.started_at, started_by=i.started_by, ended_at=i.ended_at,
                        error=i.error, open_tasks=tasks)


def _document_view(d: Document) -> DocumentView:
    return DocumentView(id=d.id, process_instance_id=d.process_instance_id, filename=d.filename,
                        sha256=d.sha256, size=d.size, content_type=d.content_type,
                        uploaded_by=d.uploaded_by, uploaded_at=d.uploaded_at)
