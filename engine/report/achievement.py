"""Achievement (*capaian*) of a performance indicator and of a budget, as the LKj states
them, and the category each achievement falls in.

The formulas (government performance-management practice for LKj tables):
- higher is better: realisation / target x 100 %;
- lower is better: (1 + (1 - realisation / target)) x 100 %;
- a target range [low, high]: 100 % inside it; below it, higher-is-better against `low`;
  above it, lower-is-better against `high` (the bound on the side the realisation falls);
- budget absorption: realisation / ceiling x 100 %.

What cannot be computed (a target of 0, a missing figure) is reported with the reason,
never a crash and never a made-up number.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

HIGHER = "higher_is_better"
LOWER = "lower_is_better"
POLARITIES = (HIGHER, LOWER)
# The default scale; a ministry sets its own with LKJ_ACHIEVEMENT_SCALE (a JSON file).
DEFAULT_SCALE_FILE = Path(__file__).with_name("achievement_scale.json")


@dataclass(frozen=True)
class Achievement:
    """A percentage (None when it cannot be computed, with `reason`)."""
    percent: float | None
    reason: str | None = None

    @property
    def known(self) -> bool:
        return self.percent is not None


def _missing(*values) -> bool:
    return any(v is None or isinstance(v, bool) or not isinstance(v, (int, float))
               for v in values)


def indicator(target, realisation, polarity: str = HIGHER, target_low=None,
              target_high=None) -> Achievement:
    """The achievement of one indicator. A range (`target_low`, `target_high`) replaces
    `target` when both bounds are given."""
    if polarity not in POLARITIES:
        return Achievement(None, f"unknown polarity '{polarity}'")
    if realisation is None or _missing(realisation):
        return Achievement(None, "no realisation")
    if target_low is not None or target_high is not None:
        if _missing(target_low, target_high):
            return Achievement(None, "a target range needs both bounds")
        if target_low > target_high:
            return Achievement(None, "the target range's lower bound is above its upper one")
        if target_low <= realisation <= target_high:
            return Achievement(100.0)
        if realisation < target_low:
            return _ratio(target_low, realisation, HIGHER)
        return _ratio(target_high, realisation, LOWER)
    if target is None or _missing(target):
        return Achievement(None, "no target")
    return _ratio(target, realisation, polarity)


def _ratio(target, realisation, polarity: str) -> Achievement:
    if target == 0:
        return Achievement(None, "the target is 0: an achievement ratio is undefined")
    ratio = realisation / target
    return Achievement(round(100 * (ratio if polarity == HIGHER else 2 - ratio), 2))


def budget(ceiling, realisation) -> Achievement:
    """Budget absorption: how much of the ceiling (*pagu*) was spent."""
    if _missing(ceiling):
        return Achievement(None, "no budget ceiling")
    if _missing(realisation):
        return Achievement(None, "no budget realisation")
    if ceiling == 0:
        return Achievement(None, "the budget ceiling is 0")
    return Achievement(round(100 * realisation / ceiling, 2))


@dataclass(frozen=True)
class Category:
    name: str
    minimum: float  # the lowest achievement (percent) in this category


@dataclass(frozen=True)
class Scale:
    """Categories from the highest minimum down; an achievement falls in the first one
    whose minimum it reaches."""
    categories: tuple[Category, ...]
    unknown: str = "Tidak dapat diukur"

    @classmethod
    def from_file(cls, path: str | Path = DEFAULT_SCALE_FILE) -> "Scale":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        categories = sorted((Category(c["name"], float(c["minimum"]))
                             for c in data["categories"]), key=lambda c: -c.minimum)
        if not categories or categories[-1].minimum > 0:
            raise ValueError(f"{path}: the lowest category must start at 0 or below")
        return cls(tuple(categories), data.get("unknown", cls.unknown))

    def category(self, achievement: Achievement) -> str:
        if not achievement.known:
            return self.unknown
        for category in self.categories:
            if achievement.percent >= category.minimum:
                return category.name
        return self.categories[-1].name


def indonesian_number(value, decimals: int = 2) -> str:
    """`1234.5` -> `1.234,50`: a thousands dot and a decimal comma, rounded half up."""
    if value is None:
        return "-"
    quantum = Decimal(1).scaleb(-decimals)
    text = f"{Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP):,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")
