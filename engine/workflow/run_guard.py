"""What SpiffWorkflow raises while it runs a diagram, as one readable error.

Scripts and conditions fail with the sandbox's own errors and SpiffWorkflow's task errors;
anything else a diagram can make SpiffWorkflow raise (a service task nobody implements, an
event it cannot handle) arrives as a bare Python exception. The runtime turns those into
`RunFailed`, so the caller puts the instance in `error` with the message instead of
crashing, and replay meets the same message again.
"""
from __future__ import annotations

import functools

from SpiffWorkflow.util.task import TaskState

_UNFINISHED = TaskState.NOT_FINISHED_MASK


class RunFailed(Exception):
    """The diagram could not be run further; the message says where and why."""


def guarded(known: tuple[type[BaseException], ...]):
    """Decorate a runtime function whose first argument is the workflow: the `known`
    errors pass through, any other exception becomes RunFailed."""
    def decorate(function):
        @functools.wraps(function)
        def run(wf, *args, **kwargs):
            try:
                return function(wf, *args, **kwargs)
            except known:
                raise
            except Exception as exc:
                task = _failing_task(exc)
                if task is not None and task.state & _UNFINISHED:
                    task.error()  # what an admin's retry runs again
                raise RunFailed(describe(wf, exc)) from exc
        return run
    return decorate


def describe(wf, exc: Exception) -> str:
    """`element 'x' (ServiceTask): NotImplementedError: ...`, naming the task SpiffWorkflow
    was working on when it raised (the innermost frame that holds one), else the error."""
    what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    task = _failing_task(exc)
    if task is None:
        return f"the engine could not run the diagram: {what}"
    spec = task.task_spec
    return f"element '{getattr(spec, 'bpmn_id', None) or spec.name}' ({type(spec).__name__}): {what}"


def _failing_task(exc: Exception):
    frames = []
    tb = exc.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    for frame in reversed(frames):  # innermost first
        for name in ("my_task", "task"):
            candidate = frame.f_locals.get(name)
            if hasattr(candidate, "task_spec") and hasattr(candidate, "workflow"):
                return candidate
    return None
