"""The script engine of every workflow: each script task, pre/post-script, gateway
condition, timer expression, loop cardinality and DMN expression of a diagram runs in the
jail (engine/workflow/jail.py), a separate process under hard limits of wall time, CPU time,
memory and data size, never in the server's own process.

Diagrams are uploaded by process owners, so their scripts are untrusted code. Two walls:
RestrictedPython's compile-time guards (checked here at deploy, applied again in the jail),
then the jail's process limits, which a script can neither catch nor extend. A script reaches
variables only by naming them, so only the variables its source names travel to the jail,
and only what it assigned, deleted or may have changed in place comes back, checked to be
JSON. SpiffWorkflow does not serialize the script engine; the runtime attaches this one
after every load.
"""
from __future__ import annotations

import atexit
import os
import threading

from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import (
    BasePythonScriptEngineEnvironment,
)
from SpiffWorkflow.bpmn.specs.event_definitions.conditional import (
    ConditionalEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.workflow.jail import Jail, Limits
from engine.workflow.script_errors import (
    ScriptError,
    ScriptFailed,
    ScriptKilled,
    ScriptOutOfMemory,
    ScriptRejected,
    ScriptTimeout,
)
from engine.workflow.script_rules import (
    COUNT,
    JSON,
    TEXT,
    TRUTH,
    command_time,
    current_time,
    prepare,
    script_time,
)

__all__ = [
    "SCRIPT_ENGINE", "JailedEnvironment", "JailedScriptEngine", "Limits", "ScriptError",
    "ScriptFailed", "ScriptKilled", "ScriptOutOfMemory", "ScriptRejected", "ScriptTimeout",
    "check_source", "configure", "current_time", "jail", "script_time",
]

# The pool of this process; replaced (and the old one's workers ended) when the limits change.
_jail = Jail(Limits())
_jail_lock = threading.Lock()


def configure(limits: Limits) -> None:
    """Run every later script under `limits` (process-wide). Requests already running
    finish under the limits they started with."""
    global _jail
    with _jail_lock:
        if limits == _jail.limits:
            return
        old, _jail = _jail, Jail(limits)
    old.close()


def jail() -> Jail:
    return _jail


def _close_at_exit() -> None:
    _jail.close()


def _after_fork_in_child() -> None:
    # A forked child (e.g. a server that forks its workers) starts its own workers.
    global _jail, _jail_lock
    _jail.forget_after_fork()
    _jail, _jail_lock = Jail(_jail.limits), threading.Lock()


atexit.register(_close_at_exit)
os.register_at_fork(after_in_child=_after_fork_in_child)


def check_source(source: str, mode: str = "exec") -> str | None:
    """Return why the sandbox refuses this source, or None if it compiles."""
    try:
        prepare(source, mode)
    except ScriptRejected as exc:
        return str(exc)
    return None


def _request(source: str, mode: str, context: dict, external_context: dict | None,
             wanted: str = JSON) -> dict:
    """What the jail needs: the source, the variables it names (task data over the
    external context, as SpiffWorkflow layers them) and the command's time."""
    program = prepare(source, mode)  # ScriptRejected here, before any process is involved
    external = external_context or {}
    variables = {}
    for name in program.names:
        if name in context:
            variables[name] = context[name]
        elif name in external:
            variables[name] = external[name]
    now = command_time()
    return {"mode": mode, "source": source, "variables": variables, "want": wanted,
            "now": now.isoformat() if now else None}


class JailedEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow's environment interface, answered by the jail."""

    def __init__(self):
        super().__init__({})

    def evaluate(self, expression, context, external_context=None, wanted: str = JSON):
        request = _request(expression, "eval", context, external_context, wanted)
        return jail().run(request, "expression")["value"]

    def execute(self, script, context, external_context=None):
        request = _request(script, "exec", context, external_context)
        answer = jail().run(request, "script")
        external = external_context or {}
        # SpiffWorkflow expects the task data changed in place.
        for name in answer["deleted"]:
            context.pop(name, None)
        for name, value in answer["stored"].items():
            if name not in external or name in context:
                context[name] = value
        return True


def _specs(task):
    """The task's spec, then its parent's: a multi-instance completion condition is
    evaluated on the last inner task."""
    yield task.task_spec
    if task.parent is not None:
        yield task.parent.task_spec


def _wanted(task, expression: str) -> str:
    """What SpiffWorkflow does with this expression's value, hence what it must be."""
    for spec in _specs(task):
        definition = getattr(spec, "event_definition", None)
        if getattr(definition, "expression", None) == expression:
            if isinstance(definition, TimerEventDefinition):
                return TEXT  # parsed as ISO 8601: a str, nothing else
            if isinstance(definition, ConditionalEventDefinition):
                return TRUTH
        if getattr(spec, "cardinality", None) == expression:
            return COUNT
        if getattr(spec, "condition", None) == expression:
            return TRUTH
        for condition, _ in getattr(spec, "cond_task_specs", ()):
            if condition is not None and condition.args and condition.args[0] == expression:
                return TRUTH
    return JSON


def _where(task, source: str) -> str:
    """Which element the source belongs to, for the admin reading the error."""
    spec = task.task_spec
    element = f"element '{getattr(spec, 'bpmn_id', None) or spec.name}'"
    for attribute, label in (("prescript", "pre-script of "), ("postscript", "post-script of ")):
        if getattr(spec, attribute, None) == source:
            return label + element
    return element


class JailedScriptEngine(PythonScriptEngine):
    def __init__(self):
        super().__init__(environment=JailedEnvironment())

    def validate(self, expression):
        """SpiffWorkflow's DMN engine asks whether a cell compiles as it is, expecting a
        SyntaxError when not (then it reads the cell as the right side of a comparison)."""
        reason = check_source(expression, "eval")
        if reason:
            raise SyntaxError(reason)

    def evaluate(self, task, expression, external_context=None):
        try:
            return self.environment.evaluate(expression, task.data, external_context,
                                             wanted=_wanted(task, expression))
        except ScriptError as exc:
            raise type(exc)(f"{_where(task, expression)}: {exc}") from None

    def execute(self, task, script, external_context=None):
        try:
            return self.environment.execute(script, task.data, external_context or {})
        except ScriptError as exc:
            raise type(exc)(f"{_where(task, script)}: {exc}") from None


SCRIPT_ENGINE = JailedScriptEngine()
