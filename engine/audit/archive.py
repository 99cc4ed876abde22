"""The archive of a year's LKj (standard §K.4): one zip holding everything the year's cycle
produced, with a manifest of sha256 fingerprints, that `verify_archive` checks offline
(no server, no database):

    manifest.json              format, year, instance, the kind of every file, its sha256
    final/<file>               the LKj the minister signed (step 13)
    drafts/<n>-<file>          every draft the engine assembled, oldest first
    documents/<n>-<file>       the memos, decrees and other documents uploaded along the way
    data/indicators.csv, data/budgets.csv     the units' data and achievements
    sla/steps.csv, sla/breaches.csv           the SLA report of the instance's steps
    audit-bundle.zip           the instance's audit bundle (engine/audit/bundle.py)

The check: every file against the manifest (a changed, missing or unlisted file is named),
the audit bundle by its own check (hash chain, replay), and each document of the archive
against the history in the bundle (the document, and for drafts the fingerprint of the data,
the history recorded).
"""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import BinaryIO

from engine.audit.bundle import BundleReport, verify_bundle
from engine.errors import InvalidInput
from engine.persistence.event_log import DOCUMENT_EVENTS, DRAFT_BUILT

FORMAT = "lkj-archive/1"
BUNDLE = "audit-bundle.zip"
KINDS = ("final", "draft", "document", "data", "sla", "audit_bundle")
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ArchiveFile:
    """One file of the archive: its bytes, or a file on disk whose sha256 is known."""
    path: str
    kind: str
    data: bytes | None = None
    source: Path | None = None
    sha256: str | None = None  # of `source` (the document store names files by it)
    document_id: str | None = None
    data_sha256: str | None = None  # drafts: the fingerprint of the data they were built from

    def digest(self) -> str:
        return self.sha256 if self.data is None else hashlib.sha256(self.data).hexdigest()


def safe_name(name: str) -> str:
    """A file name without folders or characters archivers trip over."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "dokumen"
    return "".join(c if c.isprintable() and c not in '<>:"|?*' else "_" for c in name)[:200]


def build_archive(out: BinaryIO, year: int, instance_id: str, built_at: str,
                  files: list[ArchiveFile]) -> None:
    """Write the archive to `out`: the manifest first, then the files (documents as they
    are, streamed from disk; what the engine generated, compressed)."""
    if len({f.path for f in files}) != len(files):
        raise ValueError("two archive files share a path")
    entries = [{"path": f.path, "kind": f.kind, "sha256": f.digest(),
                **({"document_id": f.document_id} if f.document_id else {}),
                **({"data_sha256": f.data_sha256} if f.data_sha256 else {})} for f in files]
    final = next((f.path for f in files if f.kind == "final"), None)
    manifest = {"format": FORMAT, "year": year, "instance_id": instance_id,
                "built_at": built_at, "final": final, "files": entries}
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
        for f in files:
            if f.data is not None:
                archive.writestr(f.path, f.data)
            else:
                archive.write(f.source, f.path, compress_type=zipfile.ZIP_STORED)


@dataclass
class ArchiveReport:
    valid: bool
    year: int | None
    instance_id: str | None
    files: int = 0
    problems: list[str] = field(default_factory=list)
    bundle: BundleReport | None = None

    def to_dict(self) -> dict:
        report = asdict(self)
        report["bundle"] = self.bundle.to_dict() if self.bundle else None
        return report


def verify_archive(data: bytes) -> ArchiveReport:
    """Check an archive offline (see the module docstring); every problem is named."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        manifest = json.loads(archive.read("manifest.json"))
        entries = {e["path"]: e for e in manifest["files"]}
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
        raise InvalidInput("not an LKj archive", {"archive": [str(exc)]}) from None
    if manifest.get("format") != FORMAT:
        raise InvalidInput("not an LKj archive", {"archive": [f"format is not {FORMAT}"]})
    report = ArchiveReport(valid=False, year=manifest.get("year"),
                           instance_id=manifest.get("instance_id"), files=len(entries))
    present = set(archive.namelist()) - {"manifest.json"}
    for name in sorted(present - set(entries)):
        report.problems.append(f"{name}: not listed in the manifest")
    for name, entry in sorted(entries.items()):
        if name not in present:
            report.problems.append(f"{name}: listed in the manifest but missing")
        elif _sha256(archive, name) != entry.get("sha256"):
            report.problems.append(f"{name}: content does not match its sha256 in the manifest")
    if BUNDLE not in present or entries.get(BUNDLE, {}).get("kind") != "audit_bundle":
        report.problems.append(f"{BUNDLE}: the instance's audit bundle is missing")
    else:
        bundle_bytes = archive.read(BUNDLE)
        try:
            report.bundle = verify_bundle(bundle_bytes)
        except InvalidInput as exc:
            report.problems.append(f"{BUNDLE}: {exc}")
        else:
            report.problems.extend(f"{BUNDLE}: {p}" for p in report.bundle.problems)
            if report.bundle.instance_id != report.instance_id:
                report.problems.append(f"{BUNDLE}: of instance {report.bundle.instance_id}, "
                                       f"not {report.instance_id}")
            report.problems.extend(_against_history(entries, bundle_bytes))
    report.valid = not report.problems
    return report


def _sha256(archive: zipfile.ZipFile, name: str) -> str:
    digest = hashlib.sha256()
    with archive.open(name) as member:
        while chunk := member.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _against_history(entries: dict, bundle_bytes: bytes) -> list[str]:
    """Each document of the archive is one the instance's history added, with that sha256;
    each draft, with the fingerprint of the data the history says it was built from."""
    with zipfile.ZipFile(io.BytesIO(bundle_bytes)) as bundle:
        events = [json.loads(line) for line in
                  bundle.read("events.jsonl").decode().splitlines() if line]
    added = {e["payload"].get("document_id"): e for e in events if e["type"] in DOCUMENT_EVENTS}
    problems = []
    for name, entry in sorted(entries.items()):
        if entry.get("kind") not in ("final", "draft", "document"):
            continue
        event = added.get(entry.get("document_id"))
        if event is None:
            problems.append(f"{name}: no event of the instance's history added this document")
        elif event["payload"].get("sha256") != entry.get("sha256"):
            problems.append(f"{name}: not the document the history recorded (sha256 differs)")
        elif entry["kind"] == "draft" and (event["type"] != DRAFT_BUILT or event["payload"].get(
                "data_sha256") != entry.get("data_sha256")):
            problems.append(f"{name}: the history does not record this draft built from that "
                            "data")
    return problems
