"""Achievements by the LKj formulas, with worked examples (engine/report/achievement.py)."""
from __future__ import annotations

import pytest

from engine.report import achievement as a


@pytest.mark.parametrize("target, realisation, polarity, expected", [
    (80, 100, a.HIGHER, 125.0),     # more than planned
    (100, 90, a.HIGHER, 90.0),
    (10, 8, a.LOWER, 120.0),        # e.g. complaints: 8 against a ceiling of 10
    (10, 12, a.LOWER, 80.0),
    (4, 10, a.LOWER, -50.0),        # far worse than the target: below zero, as the formula says
    (3, 1, a.HIGHER, 33.33),        # rounded to two decimals
])
def test_the_two_polarities(target, realisation, polarity, expected):
    assert a.indicator(target, realisation, polarity).percent == expected


@pytest.mark.parametrize("realisation, expected", [
    (75, 100.0),   # inside [70, 80]
    (70, 100.0),   # on a bound
    (56, 80.0),    # below: higher-is-better against 70
    (88, 90.0),    # above: lower-is-better against 80 (2 - 88/80)
])
def test_a_target_range_counts_from_the_bound_on_the_realisations_side(realisation, expected):
    assert a.indicator(None, realisation, a.HIGHER, 70, 80).percent == expected


@pytest.mark.parametrize("args, reason", [
    ((0, 5), "the target is 0"),
    ((None, 5), "no target"),
    ((10, None), "no realisation"),
    ((10, "lima"), "no realisation"),
    ((10, 5, "sideways"), "unknown polarity"),
    ((None, 5, a.HIGHER, 7, None), "needs both bounds"),
    ((None, 5, a.HIGHER, 9, 7), "lower bound is above"),
])
def test_what_cannot_be_computed_says_why(args, reason):
    result = a.indicator(*args)
    assert result.percent is None and reason in result.reason


def test_budget_absorption():
    assert a.budget(2_000_000_000, 1_850_000_000).percent == 92.5
    assert a.budget(0, 10).reason == "the budget ceiling is 0"
    assert a.budget(10, None).reason == "no budget realisation"


def test_categories_of_the_default_scale():
    scale = a.Scale.from_file()
    assert [scale.category(a.Achievement(p)) for p in (125, 100, 99.99, 85, 70, 55, 10, -50)] \
        == ["Sangat berhasil", "Sangat berhasil", "Berhasil", "Berhasil", "Cukup berhasil",
            "Kurang berhasil", "Tidak berhasil", "Tidak berhasil"]
    assert scale.category(a.Achievement(None, "no target")) == "Tidak dapat diukur"


def test_a_scale_must_reach_down_to_zero(tmp_path):
    path = tmp_path / "scale.json"
    path.write_text('{"categories": [{"name": "Baik", "minimum": 50}]}')
    with pytest.raises(ValueError, match="lowest category"):
        a.Scale.from_file(path)


@pytest.mark.parametrize("value, decimals, text", [
    (1234.5, 1, "1.234,5"), (1234567.891, 2, "1.234.567,89"), (0.125, 2, "0,13"),
    (-50, 2, "-50,00"), (2_000_000_000, 0, "2.000.000.000"), (None, 2, "-"),
])
def test_numbers_in_indonesian_format(value, decimals, text):
    assert a.indonesian_number(value, decimals) == text
