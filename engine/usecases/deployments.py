"""Deploying diagrams and forms as process versions, and reading them back.

A deployment is a set of resources (diagrams, forms) with a name and a source (`api`,
`folder` for what `lkj serve` deploys from its procedure folder, `cli` for `lkj deploy`).
A process's identity is its process id, never the name of the file it came in: the same
process id from any file makes its next version.

A process gets a new version only when what it means changed: the semantic digest of its
diagram files (engine/workflow/fingerprint.py: no diagram interchange, no tool attributes,
no indentation) and the forms it uses. A resource is stored once: a version built from a
file that is already deployed byte for byte links to the stored one.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import PurePosixPath

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from engine.errors import (
    ConcurrentUpdate,
    DefinitionInUse,
    DefinitionNotFound,
    DeploymentNotFound,
    DiagramInvalid,
    InvalidInput,
)
from engine.persistence.tables import (
    DefinitionResource,
    DeletedDefinition,
    Deployment,
    DeploymentFile,
    ProcessDefinition,
    ProcessInstance,
    ProcessSuspension,
)
from engine.usecases import policy
from engine.usecases.constraints import (
    DEPLOYABLE_SUFFIXES,
    DIAGRAM_SUFFIXES,
    FILE_NAME_MAX_LENGTH,
)
from engine.usecases.context import EngineContext
from engine.usecases.shared import (
    _check_paging,
    _definition,
    _definition_view,
    _latest_definition,
    _stored_files,
    _suspended_keys,
)
from engine.usecases.views import (
    Actor,
    DefinitionView,
    DeploymentRecordView,
    DeploymentView,
    FormFileView,
    ResourceView,
)
from engine.workflow import fingerprint, formjs, forms, runtime
from engine.usecases.groups import known_groups
from engine.workflow.dialects import FILLED
from engine.workflow.model import UNIT_ROLE_PREFIX, ProcessModel

DEPLOYMENT_SOURCES = ("api", "folder", "cli")
DEPLOYMENT_NAME_MAX_LENGTH = 200
# A resource's kind by its file name's ending; any other ending is its own kind.
RESOURCE_KINDS = {".bpmn": "bpmn", ".dmn": "dmn", ".json": "form", ".form": "form"}
DIAGRAM_KINDS = ("bpmn", "dmn")  # the kinds deployed as diagrams, the rest as form files


def deployable_files(uploads, field: str) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """(diagrams, form files), each file name -> bytes, of uploaded (name, content) pairs;
    every problem with the names is reported at once under `field`."""
    files, problems = {}, []
    for sent_name, content in uploads:
        name = sent_name.replace("\\", "/").rsplit("/", 1)[-1]
        if "\x00" in name:
            problems.append(f"{name!r}: a file name must not contain the NUL character")
        elif len(name) > FILE_NAME_MAX_LENGTH:
            problems.append(f"'{name[:40]}...': a file name has at most "
                            f"{FILE_NAME_MAX_LENGTH} characters")
        # Case matters: the engine takes the form key as the name without ".json".
        elif not name.endswith(DEPLOYABLE_SUFFIXES):
            problems.append(f"'{name}': only .bpmn diagrams, .dmn decision tables, .json "
                            "form schemas and .form Camunda forms")
        elif name in files:
            problems.append(f"'{name}': sent twice")
        else:
            files[name] = content
    if problems:
        raise InvalidInput("Some files cannot be deployed", {field: problems})
    if not files:
        raise InvalidInput("No file was sent", {field: ["at least one file is required"]})
    diagrams = {n: c for n, c in files.items() if n.endswith(DIAGRAM_SUFFIXES)}
    return diagrams, {n: c for n, c in files.items() if n not in diagrams}


def resource_kind(filename: str) -> str:
    suffix = PurePosixPath(filename).suffix.lower()
    return RESOURCE_KINDS.get(suffix, suffix.lstrip(".") or "file")


# ---------------------------------------------------------------- deployment

def deploy(ctx: EngineContext, actor: Actor, diagrams: dict[str, bytes],
           form_files: dict[str, bytes], on_top_of_latest: bool = False,
           name: str | None = None, source: str = "api",
           manifest: dict[str, str] | None = None) -> DeploymentView:
    """Deploy diagrams (file name -> XML bytes) with form files (file name -> bytes).

    Every process whose meaning (its diagrams, the processes it calls, its forms) changed
    becomes a new version; unchanged ones keep their version. Nothing is stored unless the
    whole deployment is valid, and no deployment is recorded when no version is made.
    `on_top_of_latest`: the files sent replace, among the files of every process's latest
    version, the ones of the same name and the ones defining a process id they define; the
    rest are kept, so a process owner can upload one edited phase (under any file name) and
    the processes calling it get new versions too. The answer carries the deployed versions
    and warnings about the files sent (deployed anyway). `manifest`: of a folder deployment,
    the folder's files (name -> sha256) at this deployment."""
    policy.require_admin(actor)
    _check_deployment_fields(name, source)
    diagrams_sent, form_files_sent = set(diagrams), set(form_files)
    name = name or _default_name(diagrams, form_files)  # the files sent, not those kept
    if on_top_of_latest:
        diagrams, form_files = _on_top_of_latest(ctx, diagrams, form_files)
    model = check_deployment(diagrams, form_files, groups_for_diagrams(ctx))
    warnings = _about_files_sent(model.warnings, diagrams_sent, form_files_sent)
    form_file_of = {key: forms.file_of(key, schema) for key, schema in model.forms.items()
                    if forms.file_of(key, schema) in form_files}
    now = ctx.clock.now()
    views = []
    with ctx.db.write() as s:
        deployment = None
        for meta in model.processes.values():
            digest = _fingerprint([model.files[f] for f in meta.files],
                                  {k: model.forms.get(k) for k in meta.form_keys})
            latest = _latest_definition(s, meta.process_id)
            if latest is not None and _means_the_same(s, latest, meta.content_hash, digest):
                views.append(_definition_view(latest))
                continue
            if deployment is None:
                deployment = Deployment(deployed_at=now, deployed_by=actor.username,
                                        name=name,
                                        source=source, manifest=manifest)
                s.add(deployment)
                s.flush()
            spec, subprocesses = model.spec_and_subprocesses(meta.process_id)
            definition = ProcessDefinition(
                id=_next_definition_id(s),
                key=meta.process_id,
                version=(latest.version + 1) if latest else 1,
                name=meta.name,
                deployment_id=deployment.id,
                # what audit bundles check the files against (engine/audit/bundle.py)
                content_hash=meta.content_hash,
                spec_json=runtime.dump_spec(spec, subprocesses),
                user_tasks={key: task.__dict__ for key, task in model.user_tasks.items()
                            if key.split("#", 1)[0] in meta.files},
                forms={key: model.forms[key] for key in meta.form_keys},
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
            used = [*meta.files, *(form_file_of[k] for k in meta.form_keys if k in form_file_of)]
            for filename in used:
                content = model.files.get(filename, form_files.get(filename))
                resource = _stored_resource(s, deployment, filename, content)
                s.add(DefinitionResource(definition_id=definition.id, file_id=resource.id))
            views.append(_definition_view(definition, created=True))
        suspended = _suspended_keys(s)
    views = [_with_suspension(v, suspended) for v in views]
    return DeploymentView(definitions=sorted(views, key=lambda v: v.key), warnings=warnings,
                          deployment_id=deployment.id if deployment else None)


def _next_definition_id(s) -> int | None:
    """Above every id a version has had: a deleted version's id is never given again (the
    engine caches versions by id). PostgreSQL's sequence never gives one twice (None: take
    its next); SQLite would give the highest again once deleted. Two deployments taking the
    same id at once: the second fails on the key and is told to deploy again."""
    if s.get_bind().dialect.name != "sqlite":
        return None
    return 1 + max(s.scalar(select(func.max(ProcessDefinition.id))) or 0,
                   s.scalar(select(func.max(DeletedDefinition.id))) or 0)


def _check_deployment_fields(name: str | None, source: str) -> None:
    errors = {}
    if name is not None and not 1 <= len(name) <= DEPLOYMENT_NAME_MAX_LENGTH:
        errors["name"] = [f"must be 1 to {DEPLOYMENT_NAME_MAX_LENGTH} characters"]
    if source not in DEPLOYMENT_SOURCES:
        errors["source"] = [f"must be one of {', '.join(DEPLOYMENT_SOURCES)}"]
    if errors:
        raise InvalidInput("The deployment cannot be made", errors)


def _default_name(diagrams: dict, form_files: dict) -> str:
    names = ", ".join(sorted(diagrams) + sorted(form_files))
    return names if len(names) <= DEPLOYMENT_NAME_MAX_LENGTH else names[:197] + "..."


def _fingerprint(diagram_contents: list[bytes], form_schemas: dict[str, dict]) -> str:
    """What a version means: its diagrams' semantic digests (in no particular order: file
    names do not count) and its forms' content (key order and spacing do not count)."""
    digest = hashlib.sha256()
    for part in sorted(fingerprint.semantic_digest(c) for c in diagram_contents):
        digest.update(part.encode() + b"\0")
    for key in sorted(form_schemas):
        digest.update(key.encode() + b"\0" +
                      json.dumps(form_schemas[key], sort_keys=True).encode() + b"\0")
    return digest.hexdigest()


def _means_the_same(s, latest: ProcessDefinition, content_hash: str, digest: str) -> bool:
    """Whether the latest version means what the files sent mean: the same bytes under the
    same names, or the same semantic digest of its stored files."""
    if latest.content_hash == content_hash:
        return True
    stored = _stored_files(s, latest)
    diagrams = [stored[name] for name in latest.files if name in stored]
    return len(diagrams) == len(latest.files) and _fingerprint(diagrams, latest.forms) == digest


def _stored_resource(s, deployment: Deployment, filename: str, content: bytes
                     ) -> DeploymentFile:
    """The stored file with this name and these bytes, or a new one in `deployment`."""
    sha = hashlib.sha256(content).hexdigest()
    found = s.scalar(select(DeploymentFile).where(
        DeploymentFile.filename == filename, DeploymentFile.sha256 == sha)
        .order_by(DeploymentFile.id.desc()).limit(1))
    if found is None:
        found = DeploymentFile(deployment_id=deployment.id, filename=filename,
                               kind=resource_kind(filename), content=content, sha256=sha)
        s.add(found)
        s.flush()
    return found


def _about_files_sent(warnings: list[dict], *sent: set[str]) -> list[dict]:
    """The warnings about the files sent (the kept files were warned about before)."""
    names = set().union(*sent)
    return [w for w in warnings if w["file"] in names]


def validation_report(ctx: EngineContext, actor: Actor, diagrams: dict[str, bytes],
                      form_files: dict[str, bytes]) -> dict:
    """Every problem and warning of these files as a deployment on top of the latest would
    find them, storing nothing: {"problems": [...], "warnings": [...]}, each
    {file, line, column, element_id, message}."""
    policy.require_admin(actor)
    try:
        model = check_deployment(*_on_top_of_latest(ctx, diagrams, form_files),
                                 groups_for_diagrams(ctx))
    except DiagramInvalid as exc:
        problems, warnings = exc.errors, exc.warnings
    else:
        problems, warnings = [], model.warnings
    return {"problems": problems,
            "warnings": _about_files_sent(warnings, set(diagrams), set(form_files))}


def _on_top_of_latest(ctx, diagrams: dict[str, bytes], form_files: dict[str, bytes]
                      ) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The files sent over the kept ones: a kept diagram goes when a file sent has its name
    or defines one of its process or decision ids (a file defining several goes whole)."""
    kept_diagrams, kept_forms = latest_files(ctx)
    incoming = set().union(*(fingerprint.defined_ids(c) for c in diagrams.values()))
    kept_diagrams = {n: c for n, c in kept_diagrams.items()
                     if n not in diagrams and not fingerprint.defined_ids(c) & incoming}
    return {**kept_diagrams, **diagrams}, {**kept_forms, **form_files}


def latest_files(ctx) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """(diagrams, form files) every process's latest version was built from; where two
    share a name, the one stored last."""
    with ctx.db.read() as s:
        latest = select(_latest_definitions().subquery().c.id)
        rows = s.execute(select(DeploymentFile.filename, DeploymentFile.kind,
                                DeploymentFile.content)
                         .join(DefinitionResource, DefinitionResource.file_id == DeploymentFile.id)
                         .where(DefinitionResource.definition_id.in_(latest))
                         .order_by(DeploymentFile.id)).all()
    diagrams, form_files = {}, {}
    for filename, kind, content in rows:
        (diagrams if kind in DIAGRAM_KINDS else form_files)[filename] = content
    return diagrams, form_files


def check_deployment(diagrams: dict[str, bytes], form_files: dict[str, bytes],
                     known_groups: set[str] | None = None) -> ProcessModel:
    """Validate a deployment without storing anything; raises DiagramInvalid with every
    problem found (diagrams and forms together). `known_groups`: the groups a task may name
    without a warning (default: the standard's roles)."""
    return ProcessModel.from_sources(diagrams, form_files, known_groups)


def groups_for_diagrams(ctx: EngineContext) -> set[str]:
    """The groups of the database, and any unit's group by its placeholder: a diagram names
    a unit's queue as `satuan_kerja:{unit}`, whichever units exist when it is deployed."""
    return known_groups(ctx) | {UNIT_ROLE_PREFIX + FILLED}


# ---------------------------------------------------------------- reading deployments

def list_deployments(ctx: EngineContext, actor: Actor, limit: int = 50,
                     offset: int = 0) -> list[DeploymentRecordView]:
    """Deployments, newest first, each with its resources."""
    policy.require_admin(actor)
    errors = {}
    _check_paging(limit, offset, errors)
    if errors:
        raise InvalidInput("Invalid paging", errors)
    with ctx.db.read() as s:
        rows = s.scalars(select(Deployment).order_by(Deployment.id.desc())
                         .limit(limit).offset(offset)).all()
        return [_deployment_view(s, d) for d in rows]


def get_deployment(ctx: EngineContext, actor: Actor, deployment_id: int) -> DeploymentRecordView:
    policy.require_admin(actor)
    with ctx.db.read() as s:
        deployment = s.get(Deployment, deployment_id)
        if deployment is None:
            raise DeploymentNotFound(f"no deployment {deployment_id}")
        return _deployment_view(s, deployment)


def _deployment_view(s, d: Deployment) -> DeploymentRecordView:
    files = s.execute(select(DeploymentFile.id, DeploymentFile.filename, DeploymentFile.kind,
                             DeploymentFile.sha256,
                             func.length(DeploymentFile.content).label("size"))
                      .where(DeploymentFile.deployment_id == d.id)
                      .order_by(DeploymentFile.filename)).all()
    built = {}
    for file_id, key, version in s.execute(
            select(DefinitionResource.file_id, ProcessDefinition.key, ProcessDefinition.version)
            .join(ProcessDefinition, ProcessDefinition.id == DefinitionResource.definition_id)
            .where(DefinitionResource.file_id.in_([f.id for f in files]))
            .order_by(ProcessDefinition.key, ProcessDefinition.version)):
        built.setdefault(file_id, []).append({"key": key, "version": version})
    definitions = s.execute(select(ProcessDefinition.key, ProcessDefinition.version).where(
        ProcessDefinition.deployment_id == d.id).order_by(ProcessDefinition.key)).all()
    return DeploymentRecordView(
        id=d.id, name=d.name, source=d.source, deployed_at=d.deployed_at,
        deployed_by=d.deployed_by,
        definitions=[{"key": k, "version": v} for k, v in definitions],
        resources=[ResourceView(name=f.filename, kind=f.kind, size=f.size, sha256=f.sha256,
                                definitions=built.get(f.id, [])) for f in files])


# ---------------------------------------------------------------- versions

def definition_versions(ctx: EngineContext, key: str) -> list[DefinitionView]:
    with ctx.db.read() as s:
        rows = list(s.scalars(select(ProcessDefinition).where(ProcessDefinition.key == key)
                              .order_by(ProcessDefinition.version)))
        if not rows:
            raise DefinitionNotFound(f"no process definition '{key}'")
        suspended = _suspended_keys(s)
        return [_with_suspension(_definition_view(d), suspended) for d in rows]


def definition_xml(ctx: EngineContext, key: str, version: int) -> tuple[str, bytes]:
    """The diagram file holding the process, exactly as it was deployed."""
    with ctx.db.read() as s:
        definition = _definition(s, key, version)
        filename = json.loads(definition.spec_json)["spec"]["file"]
        return filename, _stored_files(s, definition)[filename]


def definition_forms(ctx: EngineContext, key: str, version: int) -> list[FormFileView]:
    """The form files a version was built from, by name, with the schema each gives."""
    with ctx.db.read() as s:
        files = _stored_files(s, _definition(s, key, version))
    return [_form_file(name, content) for name, content in sorted(files.items())
            if resource_kind(name) == "form"]


def _form_file(name: str, content: bytes) -> FormFileView:
    schemas, problems, _ = forms.read_form_files({name: content})
    form_key, schema = next(iter(schemas.items())) if schemas else (None, None)
    if problems:
        schema = None
    kind = formjs.KIND if name.endswith(forms.FORM_JS_SUFFIX) else "json-schema"
    return FormFileView(name=name, form_key=form_key, kind=kind,
                        content=content.decode("utf-8", "replace"), schema=schema)


def list_definitions(ctx: EngineContext) -> list[DefinitionView]:
    """The latest version of each process."""
    with ctx.db.read() as s:
        rows = s.scalars(_latest_definitions().order_by(ProcessDefinition.key))
        suspended = _suspended_keys(s)
        return [_with_suspension(_definition_view(d), suspended) for d in rows]


def _latest_definitions():
    newest = (select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("v"))
              .group_by(ProcessDefinition.key).subquery())
    return select(ProcessDefinition).join(newest, (ProcessDefinition.key == newest.c.key)
                                          & (ProcessDefinition.version == newest.c.v))


def _with_suspension(view: DefinitionView, suspended: set[str]) -> DefinitionView:
    return replace(view, suspended=view.key in suspended)


def delete_version(ctx: EngineContext, actor: Actor, key: str, version: int) -> None:
    """Delete a version no instance uses (409 naming how many do). Files no other version
    was built from go with it, and a deployment left with nothing goes too. The version's
    number may be given again by a later deployment."""
    policy.require_admin(actor)
    with ctx.db.write() as s:
        _delete_definition(ctx, s, actor, _definition(s, key, version))
        _delete_empty_deployments(s)


def delete_deployment(ctx: EngineContext, actor: Actor, deployment_id: int) -> None:
    """Delete every version a deployment made, all or none: refused (409) while an instance
    uses one of them. The deployment goes once nothing is left in it; a file of it that a
    later version was also built from stays (a file is stored once), and so does the
    deployment holding it."""
    policy.require_admin(actor)
    with ctx.db.write() as s:
        if s.get(Deployment, deployment_id) is None:
            raise DeploymentNotFound(f"no deployment {deployment_id}")
        for definition in s.scalars(select(ProcessDefinition).where(
                ProcessDefinition.deployment_id == deployment_id)).all():
            _delete_definition(ctx, s, actor, definition)
        _delete_empty_deployments(s)


def _delete_definition(ctx, s, actor: Actor, definition: ProcessDefinition) -> None:
    key, version = definition.key, definition.version
    used = s.scalar(select(func.count()).select_from(ProcessInstance).where(
        ProcessInstance.definition_id == definition.id))
    if used:
        raise DefinitionInUse(f"version {version} of '{key}' is used by {used} "
                              "instance(s): move them to another version first "
                              "(POST .../versions/{version}/migrate) or keep it")
    file_ids = list(s.scalars(select(DefinitionResource.file_id).where(
        DefinitionResource.definition_id == definition.id)))
    s.execute(delete(DefinitionResource).where(
        DefinitionResource.definition_id == definition.id))
    s.add(DeletedDefinition(id=definition.id, key=key, version=version,
                            deleted_at=ctx.clock.now(), deleted_by=actor.username))
    s.delete(definition)
    s.flush()
    still_used = set(s.scalars(select(DefinitionResource.file_id).where(
        DefinitionResource.file_id.in_(file_ids))))
    orphans = [i for i in file_ids if i not in still_used]
    if orphans:
        s.execute(delete(DeploymentFile).where(DeploymentFile.id.in_(orphans)))


def _delete_empty_deployments(s) -> None:
    has_files = select(DeploymentFile.id).where(DeploymentFile.deployment_id == Deployment.id)
    has_versions = select(ProcessDefinition.id).where(
        ProcessDefinition.deployment_id == Deployment.id)
    s.execute(delete(Deployment).where(~has_files.exists(), ~has_versions.exists())
              .execution_options(synchronize_session=False))


def suspend_definition(ctx: EngineContext, actor: Actor, key: str) -> DefinitionView:
    """No new instance of the process (any version) starts until it is resumed: starting
    answers DefinitionSuspended. Running instances go on. Suspending twice changes
    nothing."""
    policy.require_admin(actor)
    with ctx.db.write() as s:
        definition = _definition(s, key, None)
        if s.get(ProcessSuspension, key) is None:
            s.add(ProcessSuspension(key=key, suspended_at=ctx.clock.now(),
                                    suspended_by=actor.username))
        return _with_suspension(_definition_view(definition), {key})


def resume_definition(ctx: EngineContext, actor: Actor, key: str) -> DefinitionView:
    policy.require_admin(actor)
    with ctx.db.write() as s:
        definition = _definition(s, key, None)
        s.execute(delete(ProcessSuspension).where(ProcessSuspension.key == key))
        return _definition_view(definition)
