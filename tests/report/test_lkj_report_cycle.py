"""The LKj document over a driven cycle on the engine (use cases, test database): three units
with known figures (tests/report/figures.py: a lower-is-better indicator, a target range, a
target of 0), DEP2's data sent back once at step 5, DEP3's data found wrong when the draft is
discussed (6.4) and corrected. What a drafter opens in Word, what the auditor downloads and
what the public reads are checked cell by cell, file by file."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile

import pytest

from engine import usecases
from engine.errors import PublicationNotFound
from tests.conftest import ADMIN, ROOT, actor, read_folder
from tests.engine.lkj_flow import CommandAnswers, work
from tests.report import docx_oracle as oracle
from tests.report.figures import (
    ACCOUNTABILITY,
    CORRECTED,
    SERVICE,
    SUBMISSIONS,
    UNIT_NAMES,
    UNITS,
)

AUDITOR = actor("aud", "auditor")
STAF = actor("staf-1", "staf")
KEPALA_BAGIAN = actor("kabag", "kepala_bagian")
YEAR = 2024


class ReportAnswers(CommandAnswers):
    """The sample answers, with each unit's known figures; DEP3's corrected figures once the
    draft's discussion asked for them."""

    def _performance_data(self, element_id, data):
        unit = data["unit"]
        corrected = unit in CORRECTED and "draft_discussion" in self._revised
        return json.loads(json.dumps((CORRECTED if corrected else SUBMISSIONS)[unit]))


def fingerprint(unit_data: list[dict]) -> str:
    ordered = sorted(unit_data, key=lambda result: result["unit"])
    return hashlib.sha256(json.dumps(ordered, sort_keys=True, separators=(",", ":"),
                                     ensure_ascii=False).encode()).hexdigest()


def complete(ctx, task, answers):
    worker = actor(f"user-{task.role}", task.role)
    data = answers.for_form(task.form_key, task.element_id,
                            usecases.get_task_variables(ctx, worker, task.id))
    usecases.complete_task(ctx, worker, task.id, data, claim=True)


def open_task(ctx, instance_id, element_id):
    tasks = usecases.list_tasks(ctx, ADMIN, process_instance_id=instance_id, limit=500).items
    return next(t for t in tasks if t.element_id == element_id)


def content(ctx, document_id: str) -> bytes:
    _, path = usecases.document_path(ctx, ADMIN, document_id)
    return path.read_bytes()


def check_draft(docx: bytes, submissions: dict[str, dict], data_sha256: str):
    """Every cell of the draft's tables against the submitted figures and the formulas."""
    document = oracle.read_docx(docx)
    text = "\n".join(p.text for p in document.paragraphs)
    assert "LAPORAN KINERJA" in text and f"TAHUN {YEAR}" in text and "DRAF AWAL" in text
    assert data_sha256 in text  # the cover says which data it was built from
    for chapter in ("IKHTISAR EKSEKUTIF", "BAB I PENDAHULUAN", "BAB II PERENCANAAN KINERJA",
                    "BAB III AKUNTABILITAS KINERJA", "BAB IV PENUTUP", "LAMPIRAN"):
        assert chapter in text, chapter
    rows = [(unit, item) for unit in UNITS for item in submissions[unit]["indicators"]]
    objectives = [SERVICE, ACCOUNTABILITY]  # in the order they first appear (unit order)

    # Bab III: per objective, one table of its indicators
    tables = oracle.tables_with_header(document, "No", "Kode")
    assert len(tables) == len(objectives)
    for objective, table in zip(objectives, tables):
        assert table[0] == ["No", "Kode", "Indikator Kinerja", "Satuan Kerja", "Satuan",
                            f"Realisasi {YEAR - 1}", f"Target {YEAR}", f"Realisasi {YEAR}",
                            "Capaian (%)", "Kategori"]
        expected = [oracle.indicator_row(n, item, UNIT_NAMES[unit]) for n, (unit, item)
                    in enumerate(((u, i) for u, i in rows if i["objective"] == objective), 1)]
        assert table[1:] == expected
        assert f"Sasaran Strategis {objectives.index(objective) + 1}: {objective}" in text
    # one chart per objective, a PNG
    images = oracle.png_images(document)
    assert len(images) == len(objectives)
    assert all(image.startswith(b"\x89PNG\r\n\x1a\n") and len(image) > 5000 for image in images)

    # Bab II: every indicator with its target
    (plan,) = oracle.tables_with_header(document, "No", "Sasaran Strategis")
    ordered = [(u, i) for objective in objectives for u, i in rows if i["objective"] == objective]
    assert plan[1:] == [[str(n), item["objective"], item["code"],
                         oracle.indicator_row(n, item, "")[2], UNIT_NAMES[unit],
                         oracle.target(item), item["unit_of_measure"]]
                        for n, (unit, item) in enumerate(ordered, 1)]

    # the budget per unit, and the total
    (budget,) = oracle.tables_with_header(document, "No", "Satuan Kerja")
    ceilings = [submissions[u]["budget_ceiling"] for u in UNITS]
    spent = [submissions[u]["budget_realisation"] for u in UNITS]
    assert budget[1:] == [
        *([str(n), UNIT_NAMES[u], oracle.number(c), oracle.number(r),
           oracle.percent(round(100 * r / c, 2))]
          for n, (u, c, r) in enumerate(zip(UNITS, ceilings, spent), 1)),
        ["", "Jumlah", oracle.number(sum(ceilings)), oracle.number(sum(spent)),
         oracle.percent(round(100 * sum(spent) / sum(ceilings), 2))]]

    # the appendix: every unit's raw figures
    raw = oracle.tables_with_header(document, "Kode", "Indikator Kinerja")
    assert len(raw) == len(UNITS)
    for unit, table in zip(UNITS, raw):
        assert [r[:8] for r in table[1:]] == [
            [i["code"], i["name"], i["objective"],
             "makin rendah makin baik" if i["polarity"] == "lower_is_better"
             else "makin tinggi makin baik", oracle.target(i), oracle.number(i["realisation"]),
             oracle.number(i.get("last_year_realisation")), i["unit_of_measure"]]
            for i in submissions[unit]["indicators"]]
        assert [r[8] for r in table[1:]] == [i.get("explanation", "")
                                              for i in submissions[unit]["indicators"]]

    # the executive summary's headline figures
    (summary,) = oracle.tables_with_header(document, "Uraian", f"Tahun {YEAR}")
    achieved = [oracle.capaian(item) for _, item in rows]
    known = [a for a in achieved if a is not None]
    headline = dict(summary[1:])
    assert headline["Indikator kinerja"] == str(len(rows))
    assert headline["Rata-rata capaian indikator (%)"] == oracle.percent(
        round(sum(known) / len(known), 2))
    assert headline["Indikator dengan kategori \u201cTidak dapat diukur\u201d"] == "1"
    assert headline["Penyerapan anggaran (%)"] == oracle.percent(
        round(100 * sum(spent) / sum(ceilings), 2))
    # an achievement that cannot be computed says why, in the explanations
    assert "IKU-3.2 (Sekretariat Kementerian): Semua keluhan tertangani. Capaian tidak dapat " \
           "dihitung: target bernilai 0, capaian tidak dapat dihitung." in \
           [p.text for p in document.paragraphs]
    return document


def test_the_draft_archive_and_publication_of_a_driven_cycle(ctx):
    diagrams, form_files = read_folder(ROOT / "bpmn")[0], read_folder(ROOT / "forms")[1]
    usecases.deploy(ctx, ADMIN, diagrams, form_files)
    for code in UNITS:
        usecases.create_unit(ctx, ADMIN, code, UNIT_NAMES[code])
    instance = usecases.start_instance(ctx, actor("kabiro", "kepala_biro"), "lkj_preparation",
                                       {"year": YEAR})
    answers = ReportAnswers(incomplete_unit="DEP2", correct_unit="DEP3")
    answers.ctx, answers.instance_id = ctx, instance.id

    # ---- step 6 becomes ready: a draft is queued (not built in the completion's request)
    work(ctx, instance.id, answers, stop=lambda t: t.element_id == "study_regulations")
    study = open_task(ctx, instance.id, "study_regulations")
    assert usecases.list_drafts(ctx, STAF, study.id) == []
    assert usecases.run_report_jobs(ctx) == {"done": 1}
    (first,) = usecases.list_drafts(ctx, STAF, study.id)
    seen = usecases.get_task_variables(ctx, STAF, study.id)["unit_data"]
    assert first.data_sha256 == fingerprint(seen) and first.latest
    assert first.document.filename == f"Draf awal LKj {YEAR}.docx"
    assert first.document.uploaded_by == "system" and first.task_id == study.id
    check_draft(content(ctx, first.document.id), SUBMISSIONS, first.data_sha256)
    assert usecases.run_report_jobs(ctx) == {}  # nothing left to build
    # the worked examples, as a reader checks them: lower is better 8 of 10 -> 120 %,
    # range 70-80 exceeded at 88 -> 90 %, DEP3's wrong 6 of 12 -> 50 %
    rows = {r[1]: r for t in oracle.tables_with_header(
        oracle.read_docx(content(ctx, first.document.id)), "No", "Kode") for r in t[1:]}
    assert [rows[code][8:] for code in ("IKU-1.2", "IKU-2.1", "IKU-3.1", "IKU-3.2")] == [
        ["120,00", "Sangat berhasil"], ["90,00", "Berhasil"], ["50,00", "Tidak berhasil"],
        ["-", "Tidak dapat diukur"]]

    # ---- 6.2 and 6.3 see the same data: no new draft; 6.4 asks DEP3 to correct its data
    work(ctx, instance.id, answers, stop=lambda t: t.element_id == "discuss_initial_draft"
         and "draft_discussion" in answers._revised)
    discuss = open_task(ctx, instance.id, "discuss_initial_draft")
    assert usecases.run_report_jobs(ctx) == {"done": 1}
    latest, superseded = usecases.list_drafts(ctx, KEPALA_BAGIAN, discuss.id)
    assert superseded.document.id == first.document.id and not superseded.latest
    corrected = usecases.get_task_variables(ctx, KEPALA_BAGIAN, discuss.id)["unit_data"]
    assert latest.latest and latest.data_sha256 == fingerprint(corrected) != first.data_sha256
    assert latest.task_id == discuss.id and latest.document.sha256 != first.document.sha256
    check_draft(content(ctx, latest.document.id), {**SUBMISSIONS, **CORRECTED},
                latest.data_sha256)

    # ---- the signed LKj is public only after Biro TI's upload step
    work(ctx, instance.id, answers, stop=lambda t: t.element_id == "upload_lkj")
    with pytest.raises(PublicationNotFound):
        usecases.published_lkj(ctx, YEAR)
    assert usecases.published_years(ctx) == []
    complete(ctx, open_task(ctx, instance.id, "upload_lkj"), answers)
    published, path = usecases.published_lkj(ctx, YEAR)
    signed = [c for c in usecases.instance_history(ctx, AUDITOR, instance.id,
                                                   type_="task_completed", limit=1000).items
              if c.element_id == "sign_lkj"][-1].payload["data"]["signed_document"]
    assert path.read_bytes() == content(ctx, signed)
    assert published.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert published.url == "https://www.setneg.go.id/lkj/2024"
    assert [p.year for p in usecases.published_years(ctx)] == [YEAR]

    # ---- the end of the publication phase: the year's archive
    work(ctx, instance.id, answers)
    assert usecases.get_instance(ctx, ADMIN, instance.id).status == "completed"
    assert usecases.run_report_jobs(ctx) == {"done": 1}
    archive, path = usecases.get_archive(ctx, AUDITOR, YEAR)
    data = path.read_bytes()
    assert archive.sha256 == hashlib.sha256(data).hexdigest() and archive.size == len(data)
    report = usecases.verify_lkj_archive(data)
    assert report.valid, report.problems
    assert report.bundle.replay.consistent
    with zipfile.ZipFile(io.BytesIO(data)) as files:
        names = files.namelist()
        manifest = json.loads(files.read("manifest.json"))
        assert files.read(manifest["final"]) == content(ctx, signed)
        drafts = sorted(n for n in names if n.startswith("drafts/"))
        assert [files.read(n) for n in drafts] == [content(ctx, first.document.id),
                                                    content(ctx, latest.document.id)]
        indicators = list(csv.DictReader(io.StringIO(files.read("data/indicators.csv")
                                                     .decode())))
        assert [(r["unit"], r["code"], r["realisation"], r["achievement_percent"])
                for r in indicators] == [
            ("DEP1", "IKU-1.1", "3.6", "102.86"), ("DEP1", "IKU-1.2", "8", "120.0"),
            ("DEP2", "IKU-2.1", "88", "90.0"), ("DEP3", "IKU-3.1", "11", "91.67"),
            ("DEP3", "IKU-3.2", "0", "")]
        steps = list(csv.DictReader(io.StringIO(files.read("sla/steps.csv").decode())))
        assert {r["element_id"] for r in steps} >= {"submit_performance_data", "sign_lkj",
                                                    "upload_lkj", "distribute_lkj"}
        bundle = files.read("audit-bundle.zip")
    # the bundle holds the whole history up to the archive (whose own event comes after)
    bundled = [json.loads(line)["hash"] for line in zipfile.ZipFile(io.BytesIO(bundle))
               .read("events.jsonl").decode().splitlines()]
    assert bundled == [e.hash for e in usecases.instance_history(
        ctx, AUDITOR, instance.id, limit=10000).items][:-1]
    uploads = [e for e in usecases.instance_history(ctx, AUDITOR, instance.id,
                                                    type_="document_uploaded", limit=1000).items]
    assert len([n for n in names if n.startswith("documents/")]) == len(uploads) - 1
    assert {"data/budgets.csv", "sla/breaches.csv", "audit-bundle.zip"} <= set(names)

    # a file changed in the archive is named
    tampered = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(tampered, "w") as target:
        for item in source.infolist():
            body = source.read(item.filename)
            target.writestr(item, body + b"x" if item.filename == drafts[1] else body)
    problems = usecases.verify_lkj_archive(tampered.getvalue()).problems
    assert problems == [f"{drafts[1]}: content does not match its sha256 in the manifest"]
    # ... and so is one swapped together with its line in the manifest: the history knows
    forged = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(forged, "w") as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "manifest.json":
                entry = next(e for e in manifest["files"] if e["path"] == drafts[0])
                body = body.replace(entry["sha256"].encode(),
                                    hashlib.sha256(b"another draft").hexdigest().encode())
            target.writestr(item, b"another draft" if item.filename == drafts[0] else body)
    assert usecases.verify_lkj_archive(forged.getvalue()).problems == [
        f"{drafts[0]}: not the document the history recorded (sha256 differs)"]

    # everything recorded is in the instance's history, and it replays
    history = usecases.instance_history(ctx, AUDITOR, instance.id, limit=10000).items
    types = [e.type for e in history]
    assert types.count("draft_built") == 2 and types.count("lkj_published") == 1
    assert types[-1] == "archive_built"
    replay = usecases.replay_instance(ctx, AUDITOR, instance.id)
    assert replay.consistent and replay.events_replayed == len(history)
