"""The rules a diagram's script runs under: RestrictedPython's compile-time guards, the
builtins and the small library it may use, the clock it sees, the variables it can reach and
what it may hand back (JSON only).

Shared by the server (checks sources at deploy, picks the variables to send) and the jail
worker (runs the scripts), so it imports only the standard library and RestrictedPython.
"""
from __future__ import annotations

import ast
import builtins
import contextvars
import datetime as _datetime
import math
import operator
import traceback
import types
from contextlib import contextmanager
from dataclasses import dataclass
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

from engine.workflow.script_errors import ScriptFailed, ScriptRejected

FILENAME = "<script>"
JSON_KINDS = "str, number, bool, null, list, object"
MAX_DEPTH = 100  # nesting of task data; deeper is a runaway structure, not data
MAX_INT_BITS = 13_000  # about 3,900 digits: Python refuses to print more than 4,300

_INPLACE = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow,
    "|=": operator.ior, "&=": operator.iand, "^=": operator.ixor,
}


def _inplacevar(op: str, target, value):
    return _INPLACE[op](target, value)


# What a script may call. No `__import__`, `open`, `getattr`, `type`, `vars`, `globals`,
# `locals`, `eval`, `exec`: a script reaches variables only by naming them.
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


def command_time() -> _datetime.datetime | None:
    """The time the running command set, or None (scripts then read the wall clock)."""
    return _SCRIPT_NOW.get()


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
# What a program reads without any variable: the builtins, the guards and the library.
PROVIDED_NAMES = frozenset({*_BUILTINS, *_GUARDS, *_LIBRARY})


@dataclass(frozen=True)
class Program:
    """A compiled script or expression and the variables its source names."""
    code: object
    mode: str  # "exec" (a script) or "eval" (an expression)
    names: frozenset[str]  # every variable it reads, assigns or deletes
    written: frozenset[str]  # the variables it assigns or deletes


@lru_cache(maxsize=2048)
def prepare(source: str, mode: str) -> Program:
    """Compile under the sandbox's rules; ScriptRejected says why not."""
    text = source.strip() if mode == "eval" else source
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compiler(text, filename=FILENAME)
    if result.errors:
        raise ScriptRejected("; ".join(result.errors))
    tree = ast.parse(text, mode=mode)
    names, written = set(), set()
    for node in ast.walk(tree):
        # RestrictedPython compiles imports (they fail when run, as `__import__` is not
        # provided); say so before the script ever runs.
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            raise ScriptRejected(f"Line {node.lineno}: import statements are not allowed; "
                                 f"use the provided names (math, datetime, date, timedelta)")
        if isinstance(node, ast.Name):
            names.add(node.id)
            if not isinstance(node.ctx, ast.Load):
                written.add(node.id)
    # RestrictedPython refuses every name that could reach a scope without naming a variable
    # (globals, vars, locals, frames, dunder attributes), so these are all a run can touch.
    return Program(result.code, mode, frozenset(names), frozenset(written))


def scope_for(variables: dict) -> dict:
    """The globals a program runs with: the sandbox's builtins, guards and library, then the
    given variables (which may shadow a library name, as task data always could)."""
    return {"__builtins__": _BUILTINS, **_GUARDS, **_LIBRARY, **variables}


def run(program: Program, scope: dict):
    """Run in this process (only the jail worker does this for the engine): an expression's
    value, or None for a script, whose effects are in `scope`."""
    if program.mode == "eval":
        return eval(program.code, scope)  # noqa: S307 - compiled by RestrictedPython
    exec(program.code, scope)  # noqa: S102 - compiled by RestrictedPython
    return None


def changes(program: Program, scope: dict, given: dict) -> tuple[dict, list[str]]:
    """(variables to store, variables deleted) after a script ran in `scope` with `given`.
    Stored: what it assigned, and the lists and objects it was given (it may have changed
    them in place). Functions and classes the script defined for itself are not data."""
    stored, deleted = {}, []
    for name in program.names:
        if name not in scope:
            if name in given:
                deleted.append(name)
            continue
        if name in program.written or isinstance(given.get(name), (list, dict)):
            value = scope[name]
            if not callable(value) or name in given:
                stored[name] = value
    for name, value in stored.items():
        problem = json_problem(value, name)
        if problem:
            path, what = problem
            where = f"'{name}', {what}" if path == name else f"'{name}' with {what} at {path}"
            raise ScriptFailed(f"script stored {where}: task data must be JSON ({JSON_KINDS})")
    return stored, sorted(deleted)


_SCALARS = (str, bool, type(None))


def is_json(value, depth: int = 0) -> bool:
    """Whether `value` is JSON through and through (the quick check; json_problem says
    where it is not)."""
    kind = type(value)
    if kind in _SCALARS:
        return True
    if kind is int:
        return value.bit_length() <= MAX_INT_BITS
    if kind is float:
        return math.isfinite(value)
    if depth >= MAX_DEPTH:
        return False
    if kind is list:
        for item in value:
            if not is_json(item, depth + 1):
                return False
        return True
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or not is_json(item, depth + 1):
                return False
        return True
    return False


def json_problem(value, path: str = "value", depth: int = 0) -> tuple[str, str] | None:
    """(where, what) of the first part of `value` that is not JSON, or None."""
    if depth == 0 and is_json(value):
        return None
    kind = type(value)
    if kind is int and value.bit_length() > MAX_INT_BITS:
        return path, "a number of more than 4,000 digits"
    if value is None or kind in (str, int, bool):
        return None
    if kind is float:
        return None if math.isfinite(value) else (path, f"the number {value}, not finite")
    if kind in (list, dict) and depth >= MAX_DEPTH:
        return path, f"data nested deeper than {MAX_DEPTH} levels"
    if kind is list:
        for index, item in enumerate(value):
            problem = json_problem(item, f"{path}[{index}]", depth + 1)
            if problem:
                return problem
        return None
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                return path, f"an object whose key {key!r} is not text"
            problem = json_problem(item, f"{path}[{key!r}]", depth + 1)
            if problem:
                return problem
        return None
    return path, describe(value)


def describe(value) -> str:
    """A value's kind in an admin's words: 'a datetime', 'a number', 'text'."""
    if value is None:
        return "null"
    if type(value) is bool:
        return f"{value}, a bool"
    if type(value) in (int, float):
        return f"{value!r}, a number"
    if type(value) is str:
        return f"{value[:40]!r}, text"
    for kind, name in ((list, "a list"), (dict, "an object"), (types.ModuleType, "a module"),
                       (_datetime.datetime, "a datetime"), (_datetime.date, "a date"),
                       (_datetime.timedelta, "a timedelta"), (tuple, "a tuple"),
                       (set, "a set"), (frozenset, "a set")):
        if isinstance(value, kind):
            return name
    name = type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


# What SpiffWorkflow does with an expression's value decides what it may be.
TRUTH, TEXT, COUNT, JSON = "truth", "text", "count", "json"


def result_for(value, wanted: str):
    """The expression's value as SpiffWorkflow needs it: a condition's truth (what
    SpiffWorkflow tests), a timer's ISO 8601 text, a loop's count, otherwise JSON."""
    if wanted == TRUTH:
        return bool(value)
    if wanted == TEXT:
        if type(value) is not str:
            raise ScriptFailed(
                f"the timer expression gave {describe(value)}; a timer needs ISO 8601 text, "
                f"e.g. \"P5D\", or a date-time's .isoformat()")
        return value
    if wanted == COUNT:
        if type(value) is not int or value < 0:
            raise ScriptFailed(f"the loop cardinality gave {describe(value)}; it must be a "
                               f"whole number, 0 or more")
        return value
    problem = json_problem(value)
    if problem:
        path, what = problem
        where = what if path == "value" else f"{what} at {path}"
        raise ScriptFailed(f"the expression gave {where}; its value must be JSON "
                           f"({JSON_KINDS})")
    return value


def error_text(exc: BaseException, limit: int = 500) -> str:
    """'line 3: ZeroDivisionError: division by zero' for an error a script raised."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == FILENAME:
            line = frame.lineno
    try:
        detail = str(exc)
    except Exception:  # noqa: BLE001 - the script's own exception may not print
        detail = ""
    text = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    if len(text) > limit:
        text = text[:limit] + "..."
    return f"line {line}: {text}" if line else text
