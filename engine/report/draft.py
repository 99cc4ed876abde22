"""The initial draft of the LKj (*draf awal*, step 6) as a Word document, assembled from the
units' verified data, for the drafters who finish it (the staff work in Microsoft Office,
standard §A.9.e).

The outline follows the LKj format (PermenPAN-RB 53/2014): cover, executive summary, Bab I
Pendahuluan, Bab II Perencanaan Kinerja, Bab III Akuntabilitas Kinerja (per strategic
objective a table and a chart, each unit's explanation, last year beside this year; the
budget per unit), Bab IV Penutup, and an appendix with every unit's raw figures. What only
people can write is left as bracketed placeholders. Text and numbers are Indonesian
(`1.234,5`).
"""
from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from engine.report.achievement import LOWER, indonesian_number
from engine.report.charts import objective_chart
from engine.report.data import BudgetResult, IndicatorResult, ReportData

MINISTRY = "Kementerian Sekretariat Negara Republik Indonesia"
LOWER_MARK = " (↓)"  # after an indicator's name: lower is better
PLACEHOLDER_COLOUR = RGBColor(0xC0, 0x00, 0x00)
MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
          "September", "Oktober", "November", "Desember")
# achievement.py says why a figure cannot be computed; the draft says it in Indonesian
REASONS = {
    "no realisation": "realisasi tidak diisi",
    "no target": "target tidak diisi",
    "the target is 0: an achievement ratio is undefined": "target bernilai 0, capaian tidak "
                                                          "dapat dihitung",
    "a target range needs both bounds": "rentang target tidak lengkap",
    "the target range's lower bound is above its upper one": "batas bawah rentang target "
                                                             "melebihi batas atasnya",
    "no budget ceiling": "pagu tidak diisi",
    "no budget realisation": "realisasi anggaran tidak diisi",
    "the budget ceiling is 0": "pagu bernilai 0",
}
INDICATOR_COLUMNS = ("No", "Kode", "Indikator Kinerja", "Satuan Kerja", "Satuan",
                     "Realisasi {last}", "Target {year}", "Realisasi {year}", "Capaian (%)",
                     "Kategori")
PLAN_COLUMNS = ("No", "Sasaran Strategis", "Kode", "Indikator Kinerja", "Satuan Kerja",
                "Target {year}", "Satuan")
BUDGET_COLUMNS = ("No", "Satuan Kerja", "Pagu (Rp)", "Realisasi (Rp)", "Penyerapan (%)")
RAW_COLUMNS = ("Kode", "Indikator Kinerja", "Sasaran Strategis", "Polaritas", "Target",
               "Realisasi", "Realisasi {last}", "Satuan", "Penjelasan")
POLARITY_TEXT = {LOWER: "makin rendah makin baik"}


# ---------------------------------------------------------------- how figures are written

def figure(value) -> str:
    """A submitted figure: at most two decimals, none when whole (`1.234,5`, `90`)."""
    if value is None:
        return "-"
    text = indonesian_number(value, 2)
    return text.rstrip("0").rstrip(",") if "," in text else text


def percent(value) -> str:
    """An achievement: always two decimals (`102,86`)."""
    return "-" if value is None else indonesian_number(value, 2)


def target_text(row: IndicatorResult) -> str:
    if row.has_range:
        return f"{figure(row.target_low)} – {figure(row.target_high)}"
    return figure(row.target)


def indicator_name(row: IndicatorResult) -> str:
    return row.name + (LOWER_MARK if row.polarity == LOWER else "")


def reason_text(reason: str | None) -> str:
    return REASONS.get(reason or "", reason or "")


def indicator_cells(number: int, row: IndicatorResult) -> list[str]:
    """One row of a Bab III table (INDICATOR_COLUMNS)."""
    return [str(number), row.code, indicator_name(row), row.unit_name, row.unit_of_measure,
            figure(row.last_year), target_text(row), figure(row.realisation),
            percent(row.achievement.percent), row.category]


def budget_cells(number: int | None, budget: BudgetResult) -> list[str]:
    return ["" if number is None else str(number), budget.unit_name, figure(budget.ceiling),
            figure(budget.realisation), percent(budget.absorption.percent)]


def long_date(moment: datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local.day} {MONTHS[local.month - 1]} {local.year}"


# ---------------------------------------------------------------- the document

def build_draft(data: ReportData, built_at: datetime, zone: str = "Asia/Jakarta") -> bytes:
    """The draft as .docx bytes."""
    document = Document()
    _styles(document)
    properties = document.core_properties
    properties.title = f"Draf awal Laporan Kinerja Tahun {data.year}"
    properties.subject = f"Sidik data {data.fingerprint}"
    properties.author = properties.last_modified_by = "Mesin LKj"
    properties.created = properties.modified = built_at.replace(tzinfo=None)
    properties.revision = 1
    _cover(document, data, long_date(built_at, zone))
    _summary(document, data)
    _chapter_one(document, data)
    _chapter_two(document, data)
    _landscape(document)
    _chapter_three(document, data)
    _portrait(document)
    _chapter_four(document)
    _landscape(document)
    _appendix(document, data)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _styles(document) -> None:
    normal = document.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(11)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "Arial")
    for name in ("Title", "Heading 1", "Heading 2"):
        document.styles[name].font.name = "Arial"
        document.styles[name].font.color.rgb = RGBColor(0x1F, 0x3A, 0x5F)
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.5))


def _landscape(document) -> None:
    section = document.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)


def _portrait(document) -> None:
    section = document.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)


def _placeholder(document, text: str) -> None:
    run = document.add_paragraph().add_run(f"[{text}]")
    run.italic = True
    run.font.color.rgb = PLACEHOLDER_COLOUR


def _centered(document, text: str, size: int, bold: bool = False, space_after: int = 6):
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_after = Pt(space_after)
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.bold = bold
    return paragraph


def _cover(document, data: ReportData, date_text: str) -> None:
    _centered(document, MINISTRY.upper(), 14, bold=True, space_after=120)
    _centered(document, "LAPORAN KINERJA", 28, bold=True)
    _centered(document, f"TAHUN {data.year}", 22, bold=True, space_after=60)
    _centered(document, "DRAF AWAL", 16, bold=True, space_after=120)
    _centered(document, f"Disusun otomatis pada {date_text} dari data kinerja "
                        f"{len(data.units())} satuan kerja yang telah diperiksa dan diverifikasi "
                        "(langkah 4 dan 5). Tim Penyusun melengkapi bagian bertanda [ ].", 10)
    _centered(document, f"Sidik data (SHA-256): {data.fingerprint}", 8)
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _table(document, header: list[str], rows: list[list[str]], widths: list[float] | None = None,
           size: int = 8):
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, header):
        cell.text = ""
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
        run.font.size = Pt(size)
        _shade(cell, "D9E2F3")
    _repeat_header(table.rows[0])
    for values in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, values):
            cell.text = ""
            cell.paragraphs[0].add_run(text).font.size = Pt(size)
    if widths:
        table.autofit = False
        for column, width in zip(table.columns, widths):
            column.width = Cm(width)
        for row in table.rows:
            for cell, width in zip(row.cells, widths):
                cell.width = Cm(width)
    document.add_paragraph()
    return table


def _shade(cell, colour: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), colour)
    cell._tc.get_or_add_tcPr().append(shading)


def _repeat_header(row) -> None:
    """Word repeats the header row on every page a long table runs over."""
    marker = OxmlElement("w:tblHeader")
    marker.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(marker)


def _summary(document, data: ReportData) -> None:
    document.add_heading("IKHTISAR EKSEKUTIF", level=1)
    objectives = data.objectives()
    document.add_paragraph(
        f"Laporan Kinerja Tahun {data.year} menyajikan capaian {len(data.indicators)} indikator "
        f"kinerja dari {len(objectives)} sasaran strategis yang dilaporkan oleh "
        f"{len(data.units())} satuan kerja, beserta realisasi anggarannya. Capaian dihitung "
        "dengan rumus pedoman penyusunan LKj: realisasi dibagi target untuk indikator yang makin "
        "tinggi makin baik, dan (1 + (1 − realisasi/target)) untuk indikator yang makin rendah "
        "makin baik.")
    total = data.total_budget()
    rows = [["Satuan kerja yang melaporkan", str(len(data.units()))],
            ["Sasaran strategis", str(len(objectives))],
            ["Indikator kinerja", str(len(data.indicators))],
            ["Rata-rata capaian indikator (%)", percent(data.mean_achievement())]]
    rows += [[f"Indikator dengan kategori \u201c{name}\u201d", str(count)]
             for name, count in data.category_counts().items()]
    rows += [["Pagu anggaran (Rp)", figure(total.ceiling)],
             ["Realisasi anggaran (Rp)", figure(total.realisation)],
             ["Penyerapan anggaran (%)", percent(total.absorption.percent)]]
    _table(document, ["Uraian", f"Tahun {data.year}"], rows, [10, 5], size=10)
    _placeholder(document, "Tim Penyusun: uraikan capaian utama, kendala, dan langkah perbaikan.")


def _chapter_one(document, data: ReportData) -> None:
    document.add_heading("BAB I PENDAHULUAN", level=1)
    document.add_heading("A. Latar Belakang", level=2)
    document.add_paragraph(
        "Peraturan Presiden Nomor 29 Tahun 2014 tentang Sistem Akuntabilitas Kinerja Instansi "
        "Pemerintah mewajibkan setiap instansi pemerintah menyusun Laporan Kinerja sebagai "
        "bentuk pertanggungjawaban atas pelaksanaan Perjanjian Kinerja. Laporan ini disusun "
        "sesuai Peraturan Menteri PANRB Nomor 53 Tahun 2014.")
    _placeholder(document, "Tim Penyusun: tugas, fungsi, dan struktur organisasi Kementerian.")
    document.add_heading("B. Maksud dan Tujuan", level=2)
    document.add_paragraph(
        f"Laporan ini menyajikan capaian kinerja Tahun {data.year} dibandingkan dengan target "
        "dalam Perjanjian Kinerja, sebagai bahan evaluasi dan perbaikan kinerja tahun berikutnya.")
    document.add_heading("C. Sistematika Penyajian", level=2)
    for line in ("Bab I Pendahuluan", "Bab II Perencanaan Kinerja",
                 "Bab III Akuntabilitas Kinerja", "Bab IV Penutup",
                 "Lampiran: data kinerja per satuan kerja"):
        document.add_paragraph(line, style="List Bullet")


def _chapter_two(document, data: ReportData) -> None:
    document.add_heading("BAB II PERENCANAAN KINERJA", level=1)
    document.add_paragraph(
        f"Perjanjian Kinerja Tahun {data.year} memuat sasaran strategis dan indikator kinerja "
        "berikut beserta targetnya.")
    rows, number = [], 0
    for objective, indicators in data.objectives():
        for row in indicators:
            number += 1
            rows.append([str(number), objective, row.code, indicator_name(row), row.unit_name,
                         target_text(row), row.unit_of_measure])
    _table(document, [c.format(year=data.year) for c in PLAN_COLUMNS], rows,
           [1, 4, 1.6, 4.4, 2.6, 2, 1.8])
    _placeholder(document, "Tim Penyusun: rencana strategis dan arah kebijakan.")


def _chapter_three(document, data: ReportData) -> None:
    document.add_heading("BAB III AKUNTABILITAS KINERJA", level=1)
    document.add_heading("A. Capaian Kinerja Organisasi", level=2)
    scale = ", ".join(f"{c.name} (\u2265 {figure(c.minimum)}%)" for c in data.scale.categories)
    document.add_paragraph(
        "Capaian setiap indikator dihitung sebagai berikut: makin tinggi makin baik: realisasi/"
        "target × 100%; makin rendah makin baik (ditandai ↓): (1 + (1 − realisasi/target)) × "
        "100%; target berupa rentang: 100% bila realisasi di dalam rentang, di luar rentang "
        f"dihitung terhadap batas yang dilampaui. Kategori capaian: {scale}.")
    header = [c.format(year=data.year, last=data.year - 1) for c in INDICATOR_COLUMNS]
    for index, (objective, rows) in enumerate(data.objectives(), start=1):
        document.add_heading(f"Sasaran Strategis {index}: {objective}", level=2)
        _table(document, header, [indicator_cells(n, row) for n, row in enumerate(rows, 1)],
               [0.8, 1.6, 5, 3, 1.8, 2, 2.2, 2, 2, 2.6])
        document.add_picture(io.BytesIO(objective_chart(data.year, rows)), width=Cm(
            min(24.0, 7.5 * min(3, len(rows)))))
        caption = document.add_paragraph(
            f"Gambar {index}. Target dan realisasi indikator sasaran strategis {index}")
        caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
        document.add_paragraph("Penjelasan capaian:").runs[0].bold = True
        for row in rows:
            paragraph = document.add_paragraph(style="List Bullet")
            paragraph.add_run(f"{row.code} ({row.unit_name}): ").bold = True
            text = row.explanation or "[satuan kerja tidak memberi penjelasan]"
            if not row.achievement.known:
                text += f" Capaian tidak dapat dihitung: {reason_text(row.achievement.reason)}."
            paragraph.add_run(text)
        _placeholder(document, f"Tim Penyusun: analisis capaian sasaran strategis {index}, "
                               "perbandingan dengan tahun lalu dan dengan target jangka menengah.")
    document.add_heading("B. Realisasi Anggaran", level=2)
    rows = [budget_cells(n, b) for n, b in enumerate(data.budgets, start=1)]
    rows.append(budget_cells(None, data.total_budget()))
    _table(document, list(BUDGET_COLUMNS), rows, [1, 7, 5, 5, 3], size=9)
    for budget in data.budgets:
        if not budget.absorption.known:
            document.add_paragraph(f"{budget.unit_name}: penyerapan tidak dapat dihitung, "
                                   f"{reason_text(budget.absorption.reason)}.")
    _placeholder(document, "Tim Penyusun: analisis efisiensi penggunaan sumber daya.")


def _chapter_four(document) -> None:
    document.add_heading("BAB IV PENUTUP", level=1)
    document.add_heading("A. Simpulan", level=2)
    _placeholder(document, "Tim Penyusun: simpulan atas capaian kinerja tahun ini.")
    document.add_heading("B. Rencana Tindak Lanjut", level=2)
    _placeholder(document, "Tim Penyusun: langkah perbaikan untuk tahun berikutnya.")


def _appendix(document, data: ReportData) -> None:
    document.add_heading("LAMPIRAN: DATA KINERJA PER SATUAN KERJA", level=1)
    document.add_paragraph("Data sebagaimana disampaikan satuan kerja dan diverifikasi pada "
                           "langkah 5, tanpa pembulatan selain dua angka desimal.")
    header = [c.format(last=data.year - 1) for c in RAW_COLUMNS]
    for unit, name in data.units():
        document.add_heading(f"{name} ({unit})", level=2)
        rows = [[r.code, r.name, r.objective, POLARITY_TEXT.get(r.polarity, "makin tinggi makin "
                                                                          "baik"),
                 target_text(r), figure(r.realisation), figure(r.last_year), r.unit_of_measure,
                 r.explanation] for r in data.indicators if r.unit == unit]
        _table(document, header, rows, [1.6, 4, 3.6, 2.4, 2, 2, 2, 1.8, 5.2])
        budget = next(b for b in data.budgets if b.unit == unit)
        document.add_paragraph(f"Pagu anggaran: Rp {figure(budget.ceiling)}; realisasi: "
                               f"Rp {figure(budget.realisation)}; penyerapan: "
                               f"{percent(budget.absorption.percent)}%.")
