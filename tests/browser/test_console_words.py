"""The console's two languages say the same things: every key of one is in the other, and
every event an instance's timeline can show has a sentence in both."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine import usecases

WORDS = Path(__file__).resolve().parents[2] / "console" / "src" / "i18n"
KEY = re.compile(r"^\s*'([a-zA-Z0-9_.-]+)':", re.MULTILINE)


def keys(language: str) -> set[str]:
    return set(KEY.findall((WORDS / f"{language}.js").read_text(encoding="utf-8")))


def test_both_languages_have_the_same_keys():
    indonesian, english = keys("id"), keys("en")
    assert len(indonesian) > 100  # the pattern reads the files
    assert indonesian - english == set() and english - indonesian == set()


@pytest.mark.parametrize("language", ["id", "en"])
def test_every_event_of_the_timeline_has_a_sentence(language):
    missing = {t for t in usecases.EVENT_TYPES if f"history.{t}" not in keys(language)}
    assert missing == set()


def test_each_problem_said_in_the_console_is_one_the_engine_answers():
    """`problem.<kind>` replaces the engine's English for that problem type: a kind the
    engine never answers (a typo, a renamed error) would silently never be used."""
    from api.errors import _slug
    from engine import errors

    kinds = {_slug(name) for name, value in vars(errors).items()
             if isinstance(value, type) and issubclass(value, errors.EngineError)}
    said = {key.split(".", 1)[1] for key in keys("id") if key.startswith("problem.")}
    assert "task-already-claimed" in said and said - kinds == set()
