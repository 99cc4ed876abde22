"""Charts of the LKj draft: target against realisation per indicator, as PNG.

matplotlib draws with its Agg backend (no display) and the DejaVu Sans font it ships, so
nothing is downloaded and the same figures draw the same on every machine. The figure API
is used directly, not pyplot: no global figure state shared between threads.
"""
from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from engine.report.achievement import LOWER, indonesian_number  # noqa: E402
from engine.report.data import IndicatorResult  # noqa: E402

COLUMNS = 3
TARGET_COLOUR, REALISATION_COLOUR, LAST_YEAR_COLOUR = "#9db4cf", "#1f4e79", "#c9c9c9"
STYLE = {"font.family": "DejaVu Sans", "font.size": 8, "axes.spines.top": False,
         "axes.spines.right": False}


def _short(value) -> str:
    """A figure for a bar label: at most two decimals, Indonesian separators."""
    if value is None:
        return "-"
    text = indonesian_number(value, 2)
    return text.rstrip("0").rstrip(",") if "," in text else text


def objective_chart(year: int, rows: list[IndicatorResult]) -> bytes:
    """One panel per indicator (and unit): last year's realisation where known, this year's
    target (a range as its bounds) and realisation. PNG bytes."""
    count = max(1, len(rows))
    columns = min(COLUMNS, count)
    lines = (count + columns - 1) // columns
    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(2.3 * columns, 2.2 * lines), dpi=110)
        FigureCanvasAgg(figure)
        for index, row in enumerate(rows):
            axes = figure.add_subplot(lines, columns, index + 1)
            bars_ = []  # (label, height, colour, text over the bar)
            if row.last_year is not None:
                bars_.append((f"Realisasi\n{year - 1}", row.last_year, LAST_YEAR_COLOUR,
                              _short(row.last_year)))
            target = row.target_high if row.has_range else row.target
            bars_.append((f"Target\n{year}", target or 0, TARGET_COLOUR, _range_label(row)))
            bars_.append((f"Realisasi\n{year}", row.realisation or 0, REALISATION_COLOUR,
                          _short(row.realisation)))
            labels, values, colours, texts = zip(*bars_)
            bars = axes.bar(range(len(values)), values, color=colours, width=0.6)
            if row.has_range and row.target_low is not None:
                position = len(values) - 2
                axes.hlines(row.target_low, position - 0.3, position + 0.3, colors="#1f4e79",
                            linestyles="dashed", linewidth=1)
            axes.set_xticks(range(len(values)), labels)
            axes.bar_label(bars, labels=texts, padding=2, fontsize=7)
            arrow = " (↓)" if row.polarity == LOWER else ""
            axes.set_title(f"{row.code} · {row.unit}{arrow}", fontsize=8)
            axes.set_ylabel(row.unit_of_measure, fontsize=7)
            axes.margins(y=0.2)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _range_label(row: IndicatorResult) -> str:
    if row.has_range:
        return f"{_short(row.target_low)}–{_short(row.target_high)}"
    return _short(row.target)
