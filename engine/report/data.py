"""The units' performance data as the LKj reads it: each unit's verified submission (the
`unit_result` of step 5: indicators and budget), its achievements by the LKj formulas, the
data's fingerprint, and the raw figures as CSV.

The input is what the procedure holds (`unit_data`, one `unit_result` per unit); older
submissions (form version 1: no objective, polarity or target range) are read with the
defaults the draft states (higher is better, no objective named).
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass

from engine.report import achievement
from engine.report.achievement import Achievement, Scale

NO_OBJECTIVE = "(sasaran strategis belum disebutkan)"


def canonical(value) -> str:
    """One spelling of a JSON value: sorted keys, no spaces, UTF-8 text as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def fingerprint(unit_data: list[dict]) -> str:
    """sha256 of the units' data, in unit order: the same figures give the same fingerprint
    whatever order the units finished in."""
    ordered = sorted(unit_data, key=lambda result: str(result.get("unit")))
    return hashlib.sha256(canonical(ordered).encode()).hexdigest()


@dataclass(frozen=True)
class IndicatorResult:
    """One indicator of one unit, with its achievement and category."""
    unit: str
    unit_name: str
    code: str
    name: str
    objective: str
    polarity: str
    unit_of_measure: str
    target: float | None
    target_low: float | None
    target_high: float | None
    realisation: float | None
    last_year: float | None
    explanation: str
    achievement: Achievement
    category: str

    @property
    def has_range(self) -> bool:
        return self.target_low is not None or self.target_high is not None


@dataclass(frozen=True)
class BudgetResult:
    unit: str
    unit_name: str
    ceiling: float | None
    realisation: float | None
    absorption: Achievement


@dataclass(frozen=True)
class ReportData:
    """Everything the draft states, computed once."""
    year: int
    fingerprint: str
    indicators: tuple[IndicatorResult, ...]  # in unit order, then as each unit listed them
    budgets: tuple[BudgetResult, ...]
    scale: Scale

    def objectives(self) -> list[tuple[str, list[IndicatorResult]]]:
        """The strategic objectives in the order they first appear, with their indicators."""
        grouped: dict[str, list[IndicatorResult]] = {}
        for row in self.indicators:
            grouped.setdefault(row.objective, []).append(row)
        return list(grouped.items())

    def units(self) -> list[tuple[str, str]]:
        """(code, name) of every unit, in unit order."""
        return [(b.unit, b.unit_name) for b in self.budgets]

    def category_counts(self) -> dict[str, int]:
        counts = {c.name: 0 for c in self.scale.categories}
        counts[self.scale.unknown] = 0
        for row in self.indicators:
            counts[row.category] = counts.get(row.category, 0) + 1
        return counts

    def mean_achievement(self) -> float | None:
        known = [r.achievement.percent for r in self.indicators if r.achievement.known]
        return round(sum(known) / len(known), 2) if known else None

    def total_budget(self) -> BudgetResult:
        ceilings = [b.ceiling for b in self.budgets if b.ceiling is not None]
        spent = [b.realisation for b in self.budgets if b.realisation is not None]
        ceiling = sum(ceilings) if ceilings else None
        realisation = sum(spent) if spent else None
        return BudgetResult("", "Jumlah", ceiling, realisation,
                            achievement.budget(ceiling, realisation))


def _number(value):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def report_data(year: int, unit_data: list[dict], unit_names: dict[str, str],
                scale: Scale) -> ReportData:
    """The report's figures from the procedure's `unit_data` (any order)."""
    ordered = sorted(unit_data, key=lambda result: str(result.get("unit")))
    indicators, budgets = [], []
    for result in ordered:
        unit = str(result.get("unit"))
        name = unit_names.get(unit, unit)
        for item in result.get("indicators") or []:
            polarity = item.get("polarity") or achievement.HIGHER
            target_range = item.get("target_range") or {}
            low, high = _number(target_range.get("low")), _number(target_range.get("high"))
            target, realisation = _number(item.get("target")), _number(item.get("realisation"))
            result_ = achievement.indicator(target, realisation, polarity, low, high)
            indicators.append(IndicatorResult(
                unit=unit, unit_name=name, code=str(item.get("code", "")),
                name=str(item.get("name", "")),
                objective=str(item.get("objective") or NO_OBJECTIVE), polarity=polarity,
                unit_of_measure=str(item.get("unit_of_measure", "")), target=target,
                target_low=low, target_high=high, realisation=realisation,
                last_year=_number(item.get("last_year_realisation")),
                explanation=str(item.get("explanation") or ""), achievement=result_,
                category=scale.category(result_)))
        ceiling = _number(result.get("budget_ceiling"))
        spent = _number(result.get("budget_realisation"))
        budgets.append(BudgetResult(unit, name, ceiling, spent,
                                    achievement.budget(ceiling, spent)))
    return ReportData(year=year, fingerprint=fingerprint(unit_data),
                      indicators=tuple(indicators), budgets=tuple(budgets), scale=scale)


CSV_COLUMNS = ("unit", "unit_name", "objective", "code", "name", "polarity", "unit_of_measure",
               "target", "target_low", "target_high", "realisation", "last_year_realisation",
               "achievement_percent", "achievement_note", "category", "explanation")
BUDGET_COLUMNS = ("unit", "unit_name", "budget_ceiling", "budget_realisation",
                  "absorption_percent", "absorption_note")


def _cell(value) -> str:
    return "" if value is None else repr(value) if isinstance(value, float) else str(value)


def indicators_csv(data: ReportData) -> str:
    """One row per indicator per unit: the submitted figures (as submitted, `.` decimals)
    and the computed achievement."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in data.indicators:
        writer.writerow([_cell(v) for v in (
            r.unit, r.unit_name, r.objective, r.code, r.name, r.polarity, r.unit_of_measure,
            r.target, r.target_low, r.target_high, r.realisation, r.last_year,
            r.achievement.percent, r.achievement.reason, r.category, r.explanation)])
    return out.getvalue()


def budgets_csv(data: ReportData) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(BUDGET_COLUMNS)
    for b in data.budgets:
        writer.writerow([_cell(v) for v in (b.unit, b.unit_name, b.ceiling, b.realisation,
                                            b.absorption.percent, b.absorption.reason)])
    return out.getvalue()
