"""Deploying diagrams and forms as process versions, and reading them back."""
from __future__ import annotations

import hashlib
import json

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from engine.errors import ConcurrentUpdate, DefinitionNotFound, DiagramInvalid
from engine.persistence.tables import Deployment, DeploymentFile, ProcessDefinition
from engine.usecases import policy
from engine.usecases.context import EngineContext
from engine.usecases.shared import (
    _definition,
    _definition_view,
    _latest_definition,
)
from engine.usecases.views import Actor, DefinitionView, DeploymentView
from engine.workflow import runtime
from engine.workflow.model import ProcessModel

# ---------------------------------------------------------------- deployment

def deploy(ctx: EngineContext, actor: Actor, diagrams: dict[str, bytes],
           form_files: dict[str, bytes], on_top_of_latest: bool = False) -> DeploymentView:
    """Deploy diagrams (file name -> XML bytes) with form schemas (file name -> JSON bytes).

    Every process whose content (its diagrams, the processes it calls, its forms) changed
    becomes a new version; unchanged ones keep their version. Nothing is stored unless the
    whole deployment is valid. `on_top_of_latest`: the files replace their namesakes in the
    latest deployment and the rest are kept, so a process owner can upload one edited phase
    and the processes calling it get new versions too. The answer carries the deployed
    versions and warnings about the files sent (deployed anyway).
    """
    policy.require_admin(actor)
    diagrams_sent, form_files_sent = set(diagrams), set(form_files)
    if on_top_of_latest:
        kept_diagrams, kept_forms = _latest_files(ctx)
        diagrams = {**kept_diagrams, **diagrams}
        form_files = {**kept_forms, **form_files}
    model = check_deployment(diagrams, form_files)
    warnings = _about_files_sent(model.warnings, diagrams_sent, form_files_sent)
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
    return DeploymentView(definitions=sorted(views, key=lambda v: v.key), warnings=warnings)


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
    kept_diagrams, kept_forms = _latest_files(ctx)
    try:
        model = check_deployment({**kept_diagrams, **diagrams}, {**kept_forms, **form_files})
    except DiagramInvalid as exc:
        problems, warnings = exc.errors, exc.warnings
    else:
        problems, warnings = [], model.warnings
    return {"problems": problems,
            "warnings": _about_files_sent(warnings, set(diagrams), set(form_files))}


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
    problem found (diagrams and forms together)."""
    return ProcessModel.from_sources(diagrams, form_files)


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
