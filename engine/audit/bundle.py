"""The audit bundle: one self-contained archive of an instance (the diagram version's XML
byte-for-byte, its forms, the event log, document hashes, the stored state) that
`verify_bundle` checks offline, without the server or the database.
"""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import asdict, dataclass, field

from engine.audit.replay import ReplayReport, StoredState, replay
from engine.errors import DiagramInvalid, InvalidInput
from engine.persistence.event_log import DOCUMENT_EVENTS, EventRecord
from engine.workflow import runtime
from engine.workflow.model import ProcessModel

FORMAT = "lkj-audit-bundle/1"


@dataclass(frozen=True)
class VersionFiles:
    """The deployed files of one version the instance ran on."""
    content_hash: str
    diagrams: dict[str, bytes]
    forms: dict[str, bytes]  # form file name -> bytes


@dataclass(frozen=True)
class BundleContent:
    instance: dict  # id, definition_key, definition_version (current), status
    versions: dict[int, VersionFiles]  # every version the instance ran on
    events: list[EventRecord]
    documents: list[dict]  # id, filename, sha256, size, content_type, uploaded_by, uploaded_at
    stored: StoredState


def build_bundle(content: BundleContent, created_at: str) -> bytes:
    members: dict[str, bytes] = {}
    for number, files in content.versions.items():
        for name, data in files.diagrams.items():
            members[f"versions/{number}/diagrams/{name}"] = data
        for name, data in files.forms.items():
            members[f"versions/{number}/forms/{name}"] = data
    members["events.jsonl"] = "".join(
        runtime.canonical_json(e.to_dict()) + "\n" for e in content.events).encode()
    members["documents.json"] = _json(content.documents)
    members["state.json"] = _json({
        "status": content.stored.status,
        "state": content.stored.state_json,
        "open_tasks": {k: list(v) for k, v in content.stored.open_tasks.items()},
    })
    manifest = {
        "format": FORMAT,
        "created_at": created_at,
        "instance": content.instance,
        "versions": {str(n): files.content_hash for n, files in content.versions.items()},
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(members.items())},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", _json(manifest))
        for name, data in sorted(members.items()):
            archive.writestr(name, data)
    return buffer.getvalue()


def _json(value) -> bytes:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False).encode()


@dataclass
class BundleReport:
    valid: bool
    instance_id: str | None
    problems: list[str] = field(default_factory=list)
    replay: ReplayReport | None = None

    def to_dict(self) -> dict:
        report = asdict(self)
        report["replay"] = self.replay.to_dict() if self.replay else None
        return report


def verify_bundle(data: bytes) -> BundleReport:
    """Check a bundle without server or database: every file against the manifest, the
    diagrams against the deployed version's content hash, the event chain, a replay of the
    history against the stored state, and the documents against their upload events."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        manifest = json.loads(archive.read("manifest.json"))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InvalidInput("not an audit bundle", {"bundle": [str(exc)]}) from None
    if manifest.get("format") != FORMAT:
        raise InvalidInput("not an audit bundle", {"bundle": [f"format is not {FORMAT}"]})
    instance = manifest["instance"]
    report = BundleReport(valid=False, instance_id=instance.get("id"))
    members = _checked_members(archive, manifest, report.problems)
    if report.problems:
        return report

    versions = {}
    for number, content_hash in manifest.get("versions", {}).items():
        model = _version_model(members, number, content_hash, instance["definition_key"],
                               report.problems)
        if model is not None:
            spec, subprocesses = model.spec_and_subprocesses(instance["definition_key"])
            versions[int(number)] = (runtime.ExecutableSpec(spec, subprocesses),
                                     {k: t.__dict__ for k, t in model.user_tasks.items()})
    if report.problems:
        return report

    events = [EventRecord(**json.loads(line)) for line in
              members["events.jsonl"].decode().splitlines() if line]
    state = json.loads(members["state.json"])
    stored = StoredState(status=state["status"], state_json=state["state"],
                         open_tasks={k: tuple(v) for k, v in state["open_tasks"].items()})
    report.replay = replay(events, instance["id"], versions.__getitem__, stored)
    if not report.replay.consistent:
        report.problems.append("the history does not replay to the stored state")
    report.problems.extend(_document_problems(json.loads(members["documents.json"]), events))
    report.valid = not report.problems
    return report


def _version_model(members, number: str, content_hash: str, key: str, problems: list[str]):
    """The model of one bundled version, if its files are exactly the deployed ones."""
    prefix = f"versions/{number}/"
    diagrams = {n.removeprefix(prefix + "diagrams/"): d for n, d in members.items()
                if n.startswith(prefix + "diagrams/")}
    form_files = {n.removeprefix(prefix + "forms/"): d for n, d in members.items()
                  if n.startswith(prefix + "forms/")}
    try:
        model = ProcessModel.from_sources(diagrams, form_files)
    except DiagramInvalid as exc:
        problems.append(f"version {number}: diagrams do not parse: {exc.errors}")
        return None
    meta = model.processes.get(key)
    if meta is None or meta.content_hash != content_hash:
        problems.append(f"version {number}: the diagrams and forms are not the deployed "
                        f"version (content hash differs)")
        return None
    return model


def _checked_members(archive, manifest, problems: list[str]) -> dict[str, bytes]:
    members = {}
    listed = manifest.get("files", {})
    present = set(archive.namelist()) - {"manifest.json"}
    for name in sorted(present - set(listed)):
        problems.append(f"{name}: not listed in the manifest")
    for name, digest in sorted(listed.items()):
        if name not in present:
            problems.append(f"{name}: listed in the manifest but missing")
            continue
        data = archive.read(name)
        if hashlib.sha256(data).hexdigest() != digest:
            problems.append(f"{name}: content does not match its sha256 in the manifest")
        members[name] = data
    return members


def _document_problems(documents: list[dict], events: list[EventRecord]) -> list[str]:
    uploaded = {e.payload.get("document_id"): e.payload.get("sha256")
                for e in events if e.type in DOCUMENT_EVENTS}
    problems = []
    for document in documents:
        recorded = uploaded.get(document["id"])
        if recorded is None:
            problems.append(f"document {document['id']}: no event in the history added it")
        elif recorded != document["sha256"]:
            problems.append(f"document {document['id']}: sha256 differs from its upload event")
    return problems
