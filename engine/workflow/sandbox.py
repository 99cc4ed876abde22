"""The sandboxed script engine: every script task, pre/post-script and condition of a
diagram runs here, compiled by RestrictedPython with its guards and a curated set of
builtins, under a time limit.

Diagrams are uploaded by process owners, so their scripts are untrusted code. SpiffWorkflow
does not serialize the script engine; the runtime attaches this one after every load.
"""
from __future__ import annotations

import ast
import builtins
import contextvars
import datetime as _datetime
import math
import operator
import sys
import time
from contextlib import contextmanager
from functools import lru_cache

from RestrictedPython import (
    compile_restricted_eval,
    compile_restricted_exec,
    safe_builtins,
)
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from RestrictedPython.PrintCollector import PrintCollector
from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import (
    BasePythonScriptEngineEnvironment,
)

DEFAULT_TIME_LIMIT_S = 1.0


class ScriptRejected(Exception):
    """The script does not compile under the sandbox's rules (e.g. uses a dunder name)."""


class ScriptTimeout(Exception):
    """The script ran longer than its time limit."""


_INPLACE = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow,
    "|=": operator.ior, "&=": operator.iand, "^=": operator.ixor,
}


def _inplacevar(op: str, target, value):
    return _INPLACE[op](target, value)


# What a script may call. No `__import__`, `open`, `getattr`, `type`, `vars`, `globals`.
_BUILTINS = dict(safe_builtins)
_BUILTINS.update({name: getattr(builtins, name) for name in (
    "all", "any", "dict", "enumerate", "filter", "list", "map", "max", "min", "reversed",
    "set", "frozenset", "sum", "sorted", "zip", "range")})

_GUARDS = {
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_write_": full_write_guard,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_inplacevar_": _inplacevar,
    "_print_": PrintCollector,
}

# The time scripts see: the time of the command that runs them, so a replay of the history
# computes exactly what the original run computed.
_SCRIPT_NOW: contextvars.ContextVar[_datetime.datetime | None] = contextvars.ContextVar(
    "script_now", default=None)


@contextmanager
def script_time(now: _datetime.datetime | None):
    token = _SCRIPT_NOW.set(now)
    try:
        yield
    finally:
        _SCRIPT_NOW.reset(token)


def current_time() -> _datetime.datetime:
    """The time of the command running now (the wall clock outside a command)."""
    return _SCRIPT_NOW.get() or _datetime.datetime.now(_datetime.timezone.utc)



class _ScriptDatetime(_datetime.datetime):
    """`datetime` for scripts: now() and today() read the command's time."""

    @classmethod
    def now(cls, tz=None):
        moment = current_time()
        return moment.astimezone(tz) if tz else moment

    @classmethod
    def utcnow(cls):
        return current_time().replace(tzinfo=None)

    @classmethod
    def today(cls):
        return current_time()


class _ScriptDate(_datetime.date):
    @classmethod
    def today(cls):
        return current_time().date()


# Modules and values a script sees by name (no import statement is allowed).
_LIBRARY = {
    "math": math,
    "date": _ScriptDate,
    "datetime": _ScriptDatetime,
    "timedelta": _datetime.timedelta,
    "timezone": _datetime.timezone,
}
_RESERVED = frozenset(_GUARDS) | frozenset(_LIBRARY) | {"__builtins__", "_print"}


@lru_cache(maxsize=2048)
def _compile(source: str, mode: str):
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compiler(source.strip() if mode == "eval" else source, filename="<script>")
    if result.errors:
        raise ScriptRejected("; ".join(result.errors))
    # RestrictedPython compiles imports (they fail when run, as `__import__` is not
    # provided); say so before the script ever runs.
    imports = [node.lineno for node in ast.walk(ast.parse(source.strip() if mode == "eval"
                                                          else source, mode=mode))
               if isinstance(node, (ast.Import, ast.ImportFrom))]
    if imports:
        raise ScriptRejected(f"Line {imports[0]}: import statements are not allowed; "
                             f"use the provided names (math, datetime, date, timedelta)")
    return result.code


def check_source(source: str, mode: str = "exec") -> str | None:
    """Return why the sandbox refuses this source, or None if it compiles."""
    try:
        _compile(source, mode)
    except ScriptRejected as exc:
        return str(exc)
    return None


class _Deadline:
    """A trace function that stops a script at its time limit, also inside loops."""

    def __init__(self, seconds: float):
        self.until = time.monotonic() + seconds
        self.seconds = seconds

    def __call__(self, frame, event, arg):
        if time.monotonic() > self.until:
            raise ScriptTimeout(f"script exceeded its time limit of {self.seconds:g} s")
        return self


class SandboxedEnvironment(BasePythonScriptEngineEnvironment):
    def __init__(self, time_limit_s: float = DEFAULT_TIME_LIMIT_S):
        super().__init__({})
        self.time_limit_s = time_limit_s

    def _globals(self, context: dict, external_context: dict | None) -> dict:
        scope = {"__builtins__": _BUILTINS, **_GUARDS, **_LIBRARY}
        scope.update(external_context or {})
        scope.update(context)
        return scope

    def _run(self, code, scope: dict):
        previous = sys.gettrace()
        sys.settrace(_Deadline(self.time_limit_s))
        try:
            return eval(code, scope)  # noqa: S307 - code compiled by RestrictedPython
        finally:
            sys.settrace(previous)

    def evaluate(self, expression, context, external_context=None):
        return self._run(_compile(expression, "eval"), self._globals(context, external_context))

    def execute(self, script, context, external_context=None):
        scope = self._globals(context, external_context)
        self._run(_compile(script, "exec"), scope)
        for name in list(context):
            if name not in scope:  # the script deleted it
                del context[name]
        for name, value in scope.items():
            if name in _RESERVED or name.startswith("_") or callable(value):
                continue
            if external_context and name in external_context:
                continue
            context[name] = value
        return True


class SandboxedScriptEngine(PythonScriptEngine):
    def __init__(self, time_limit_s: float = DEFAULT_TIME_LIMIT_S):
        super().__init__(environment=SandboxedEnvironment(time_limit_s))

    def validate(self, expression):
        reason = check_source(expression, "eval")
        if reason:
            raise ScriptRejected(reason)


SCRIPT_ENGINE = SandboxedScriptEngine()
