"""What the draft's tables must say, computed here from the submitted figures with the LKj
formulas written out again (not with engine/report), and a reader of the .docx tables."""
from __future__ import annotations

import io

from docx import Document

CATEGORIES = ((100, "Sangat berhasil"), (85, "Berhasil"), (70, "Cukup berhasil"),
              (55, "Kurang berhasil"), (float("-inf"), "Tidak berhasil"))
UNKNOWN = "Tidak dapat diukur"


def number(value) -> str:
    """Indonesian figure: thousands dot, decimal comma, at most two decimals."""
    if value is None:
        return "-"
    text = f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return text.rstrip("0").rstrip(",")


def percent(value) -> str:
    return "-" if value is None else f"{value:,.2f}".replace(",", " ").replace(".", ",") \
        .replace(" ", ".")


def capaian(item: dict) -> float | None:
    """The achievement of one submitted indicator, by the formulas of the LKj guidance."""
    real = item["realisation"]
    if "target_range" in item:
        low, high = item["target_range"]["low"], item["target_range"]["high"]
        if low <= real <= high:
            return 100.0
        target, lower = (low, False) if real < low else (high, True)
    else:
        target, lower = item["target"], item["polarity"] == "lower_is_better"
    if target == 0:
        return None
    ratio = real / target
    return round(100 * ((1 + (1 - ratio)) if lower else ratio), 2)


def category(value: float | None) -> str:
    if value is None:
        return UNKNOWN
    return next(name for minimum, name in CATEGORIES if value >= minimum)


def target(item: dict) -> str:
    if "target_range" in item:
        return f"{number(item['target_range']['low'])} – {number(item['target_range']['high'])}"
    return number(item["target"])


def indicator_row(number_: int, item: dict, unit_name: str) -> list[str]:
    """A row of a Bab III table, as the drafters must read it."""
    achieved = capaian(item)
    name = item["name"] + (" (↓)" if item["polarity"] == "lower_is_better" else "")
    return [str(number_), item["code"], name, unit_name, item["unit_of_measure"],
            number(item.get("last_year_realisation")), target(item),
            number(item["realisation"]), percent(achieved), category(achieved)]


def read_docx(content: bytes):
    return Document(io.BytesIO(content))


def tables_with_header(document, first_cell: str, second_cell: str) -> list[list[list[str]]]:
    """Every table whose header starts with these two cells, as rows of cell texts."""
    found = []
    for table in document.tables:
        rows = [[cell.text for cell in row.cells] for row in table.rows]
        if rows and rows[0][:2] == [first_cell, second_cell]:
            found.append(rows)
    return found


def png_images(document) -> list[bytes]:
    """The pictures in the document's body, in order."""
    images = []
    for shape in document.inline_shapes:
        relationship = shape._inline.graphic.graphicData.pic.blipFill.blip.embed
        part = document.part.related_parts[relationship]
        assert part.content_type == "image/png"
        images.append(part.blob)
    return images
