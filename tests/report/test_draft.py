"""The draft and the data it is built from, without the engine: the fingerprint, older
submissions, a ministry's own achievement scale, and the draft rendered as a reader sees it
(LibreOffice)."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import pytest

from engine.errors import EngineError
from engine.report.achievement import Scale
from engine.report.data import NO_OBJECTIVE, fingerprint, report_data
from engine.report.draft import build_draft
from engine.settings import Settings
from tests.report import docx_oracle as oracle
from tests.report.figures import UNIT_NAMES, unit_data
from tests.report.render import SOFFICE, render_pdf, sample_draft


def test_the_fingerprint_is_the_datas_whatever_the_units_order():
    data = unit_data()
    assert fingerprint(data) == fingerprint(list(reversed(data)))
    assert fingerprint(data) != fingerprint(unit_data(corrected=True))
    assert re.fullmatch(r"[0-9a-f]{64}", fingerprint(data))


def test_a_version_1_submission_reads_with_the_stated_defaults():
    old = [{"unit": "DEP1", "indicators": [
        {"code": "IKU-1", "name": "Indeks", "target": 80, "realisation": 60,
         "unit_of_measure": "persen"}], "budget_ceiling": 10, "budget_realisation": None}]
    figures = report_data(2023, old, {}, Scale.from_file())
    (row,) = figures.indicators
    assert (row.objective, row.polarity, row.achievement.percent, row.category) == (
        NO_OBJECTIVE, "higher_is_better", 75.0, "Cukup berhasil")
    assert figures.budgets[0].absorption.reason == "no budget realisation"
    build_draft(figures, datetime.now(timezone.utc))  # no crash


def test_a_ministrys_own_scale_names_the_categories(tmp_path, monkeypatch):
    scale_file = tmp_path / "skala.json"
    scale_file.write_text(json.dumps({"categories": [
        {"name": "Memuaskan", "minimum": 90}, {"name": "Belum memuaskan", "minimum": 0}],
        "unknown": "Tidak terukur"}))
    monkeypatch.setenv("LKJ_ACHIEVEMENT_SCALE", str(scale_file))
    settings = Settings.from_env(database_url="sqlite://", data_dir=tmp_path,
                                 secret_key="x" * 32)
    figures = report_data(2024, unit_data(), UNIT_NAMES,
                          Scale.from_file(settings.achievement_scale))
    document = oracle.read_docx(build_draft(figures, datetime.now(timezone.utc)))
    categories = [row[-1] for table in oracle.tables_with_header(document, "No", "Kode")
                  for row in table[1:]]
    assert categories == ["Memuaskan", "Belum memuaskan", "Tidak terukur", "Memuaskan",
                          "Memuaskan"]
    monkeypatch.setenv("LKJ_ACHIEVEMENT_SCALE", str(tmp_path / "missing.json"))
    with pytest.raises(EngineError, match="LKJ_ACHIEVEMENT_SCALE"):
        Settings.from_env(database_url="sqlite://", data_dir=tmp_path, secret_key="x" * 32)


def test_the_draft_renders_as_a_document_of_its_chapters(tmp_path):
    """One LibreOffice render (the slow part): the draft opens outside python-docx too, and
    lays out as pages (cover, summary, chapters, landscape tables, appendix)."""
    if SOFFICE is None:
        pytest.skip("NOT RENDERED: soffice is missing (apt-get install -y "
                    "libreoffice-writer-nogui)")
    docx = tmp_path / "draft.docx"
    docx.write_bytes(sample_draft())
    pdf = render_pdf(docx, tmp_path).read_bytes()
    assert pdf.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 8 <= pages <= 20, pages
