"""The limits in engine/usecases/constraints.py say what the engine's checks say: the API's
document quotes these patterns, so they must mean the same as the code that enforces them."""
from __future__ import annotations

import re
import sys

import pytest

from engine import usecases
from engine.errors import InvalidInput
from engine.usecases import constraints
from engine.workflow.model import KNOWN_ROLES, is_known_role
from tests.conftest import ADMIN


def test_not_blank_is_pythons_strip_without_nul():
    for char in map(chr, range(sys.maxunicode + 1)):
        for name in (char, f"  {char} "):
            expected = bool(name.strip()) and "\x00" not in name
            assert bool(re.fullmatch(constraints.NOT_BLANK_PATTERN, name)) == expected, name


def test_every_known_role_and_unit_queue_matches_the_role_pattern():
    for role in (*KNOWN_ROLES, "satuan_kerja:BIRO-1", "satuan_kerja:a.b_c"):
        assert re.fullmatch(constraints.ROLE_PATTERN, role) and is_known_role(role)
    # a group an admin adds has the shape of a name; whether it exists is data
    assert re.fullmatch(constraints.ROLE_PATTERN, "wizard")
    for role in ("admin ", "satuan_kerja:", "satuan_kerja:.x", "staf\x00", "a:b", ".x"):
        assert not re.fullmatch(constraints.ROLE_PATTERN, role), role


def test_calendar_day_pattern_covers_exactly_the_calendar_years():
    for year in range(1000, 3000):
        covered = constraints.FIRST_CALENDAR_YEAR <= year <= constraints.LAST_CALENDAR_YEAR
        assert bool(re.fullmatch(constraints.CALENDAR_DAY_PATTERN, f"{year}-06-15")) == covered


def test_unit_codes_are_short_ascii_and_start_with_a_letter_or_digit():
    assert re.fullmatch(constraints.UNIT_CODE_PATTERN, "B" * constraints.UNIT_CODE_MAX_LENGTH)
    for code in ("B" * (constraints.UNIT_CODE_MAX_LENGTH + 1), "", ".", "..", "-B", "B\u00e9"):
        assert not re.fullmatch(constraints.UNIT_CODE_PATTERN, code), code


def test_user_names_and_full_names_are_checked_by_the_engine_itself(ctx):
    for name in ("a/b", "..", ".hidden", "", "x" * 81):
        with pytest.raises(InvalidInput) as refused:
            usecases.create_user(ctx, ADMIN, name, "password-123", ["staf"])
        assert "username" in refused.value.errors
    with pytest.raises(InvalidInput) as refused:
        usecases.create_user(ctx, ADMIN, "ok.name@unit", "password-123", ["staf"],
                             full_name="x" * 201)
    assert list(refused.value.errors) == ["full_name"]
    assert usecases.create_user(ctx, ADMIN, "ok.name@unit", "password-123", ["staf"]).active


def test_paging_past_the_largest_offset_is_refused(ctx):
    with pytest.raises(InvalidInput) as refused:
        usecases.list_tasks(ctx, ADMIN, offset=usecases.MAX_OFFSET + 1)
    assert "offset" in refused.value.errors
