"""What `lkj serve` deploys from its procedure folder at start, so that a restart never
replaces a process owner's work.

- Into a database with no process yet: every diagram and form of the folder.
- Later: only the folder's files that changed since the folder's last deployment (each
  folder deployment records the folder's files and their sha256), on top of the latest
  versions.
- Never over a version that came through the API (or `lkj deploy`): a process whose latest
  version did not come from the folder keeps it; its folder file is not deployed, and a
  notice names both versions (the CLI logs it at WARNING). A form such a version uses is
  not replaced from the folder either. The skipped file stays "changed" for the next start.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sqlalchemy import select

from engine.persistence.tables import (
    DefinitionResource,
    Deployment,
    DeploymentFile,
    ProcessDefinition,
)
from engine.usecases.context import EngineContext
from engine.usecases.deployments import _latest_definitions, deploy
from engine.usecases.views import SYSTEM, DefinitionView
from engine.workflow import fingerprint

FOLDER = "folder"
SOURCE_WORDS = {"api": "the API", "cli": "`lkj deploy`"}


@dataclass
class FolderDeployment:
    definitions: list[DefinitionView] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # files changed since the last time
    kept: list[str] = field(default_factory=list)  # notices: API versions kept (WARNING)


@dataclass(frozen=True)
class _Latest:
    key: str
    version: int
    source: str
    deployed_by: str | None
    deployed_at: object
    file_names: frozenset[str]
    file_shas: frozenset[str]


def deploy_procedure_folder(ctx: EngineContext, name: str, diagrams: dict[str, bytes],
                            form_files: dict[str, bytes]) -> FolderDeployment:
    """Deploy what changed in the folder `name` (its diagrams and forms, file name -> bytes)
    as described in this module's docstring."""
    files = {**diagrams, **form_files}
    manifest = {n: hashlib.sha256(c).hexdigest() for n, c in sorted(files.items())}
    latest, last_manifest, folder_versions = _state(ctx)
    if not latest:
        result = deploy(ctx, SYSTEM, diagrams, form_files, name=name, source=FOLDER,
                        manifest=manifest)
        return FolderDeployment(result.definitions, changed=sorted(files))
    outcome = FolderDeployment(changed=sorted(n for n, sha in manifest.items()
                                              if last_manifest.get(n) != sha))
    kept_over = {key: v for key, v in latest.items() if v.source != FOLDER}
    skipped = set()
    for filename, content in sorted(diagrams.items()):
        for key in sorted(fingerprint.process_ids(content) & kept_over.keys()):
            version = kept_over[key]
            if manifest[filename] in version.file_shas:
                continue  # the API version was made from this very file
            if filename in outcome.changed:
                skipped.add(filename)
            outcome.kept.append(_notice(name, filename, version, folder_versions.get(key),
                                        filename in outcome.changed))
    api_forms = set().union(*(v.file_names for v in kept_over.values()))
    for filename in sorted(set(form_files) & set(outcome.changed) & api_forms):
        skipped.add(filename)
        outcome.kept.append(f"form {filename} changed in the folder {name}, but a version "
                            "deployed through the API uses its own copy: not deployed from "
                            "the folder")
    deploy_now = [n for n in outcome.changed if n not in skipped]
    if not deploy_now:
        return outcome
    # A skipped file keeps its earlier sha: still changed at the next start.
    recorded = {n: sha for n, sha in manifest.items() if n not in skipped}
    recorded.update({n: last_manifest[n] for n in skipped if n in last_manifest})
    result = deploy(ctx, SYSTEM, {n: diagrams[n] for n in deploy_now if n in diagrams},
                    {n: form_files[n] for n in deploy_now if n in form_files},
                    on_top_of_latest=True, name=name, source=FOLDER, manifest=recorded)
    outcome.definitions = result.definitions
    return outcome


def _notice(folder: str, filename: str, version: _Latest, folder_version: int | None,
            changed: bool) -> str:
    ours = (f"version {folder_version} came from the folder" if folder_version
            else "no version came from the folder")
    return (f"process '{version.key}': keeping version {version.version}, deployed through "
            f"{SOURCE_WORDS.get(version.source, version.source)} by "
            f"{version.deployed_by or 'someone'} at "
            f"{version.deployed_at.isoformat(timespec='seconds')} ({ours}); the folder's "
            f"{folder}/{filename} {'changed but ' if changed else ''}is not deployed over it. "
            "Deploy that file over the API to make it the next version, or update the folder "
            f"from GET /api/v1/process-definitions/{version.key}/versions/{version.version}/xml")


def _state(ctx) -> tuple[dict[str, _Latest], dict[str, str], dict[str, int]]:
    """(each process's latest version, the folder's manifest at its last deployment, each
    process's newest version that came from the folder)."""
    with ctx.db.read() as s:
        latest_rows = s.execute(_latest_definitions().add_columns(
            Deployment.source, Deployment.deployed_by, Deployment.deployed_at)
            .join(Deployment, Deployment.id == ProcessDefinition.deployment_id)).all()
        resources = {}
        for definition_id, filename, sha in s.execute(
                select(DefinitionResource.definition_id, DeploymentFile.filename,
                       DeploymentFile.sha256)
                .join(DeploymentFile, DeploymentFile.id == DefinitionResource.file_id)
                .where(DefinitionResource.definition_id.in_([r[0].id for r in latest_rows]))):
            resources.setdefault(definition_id, []).append((filename, sha))
        latest = {d.key: _Latest(d.key, d.version, source, by, at,
                                 frozenset(n for n, _ in resources.get(d.id, [])),
                                 frozenset(h for _, h in resources.get(d.id, [])))
                  for d, source, by, at in latest_rows}
        last = s.scalar(select(Deployment.manifest).where(Deployment.source == FOLDER)
                        .order_by(Deployment.id.desc()).limit(1))
        folder_versions = {}
        for key, version in s.execute(
                select(ProcessDefinition.key, ProcessDefinition.version)
                .join(Deployment, Deployment.id == ProcessDefinition.deployment_id)
                .where(Deployment.source == FOLDER)):
            folder_versions[key] = max(version, folder_versions.get(key, 0))
    return latest, last or {}, folder_versions
