"""Where the app keeps its engine context, and how a request reaches it."""
from __future__ import annotations

from flask import current_app

from engine.usecases.context import EngineContext

KEY = "lkj"


def engine_context() -> EngineContext:
    return current_app.extensions[KEY]
