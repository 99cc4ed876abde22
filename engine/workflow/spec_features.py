"""What a process's diagrams contain, found once per deployed spec: the write phase keeps
rows for messages, signals and service tasks only for processes that have them."""
from __future__ import annotations

import threading
import weakref

_features: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # spec -> {name: bool}
_lock = threading.Lock()


def uses(wf, feature: str, test) -> bool:
    """Whether any task spec of the workflow's process (its sub-processes included)
    passes `test`; remembered per spec under the name `feature`."""
    with _lock:
        known = _features.setdefault(wf.spec, {})
        if feature in known:
            return known[feature]
    specs = (wf.spec, *wf.subprocess_specs.values())
    found = any(test(task_spec) for spec in specs for task_spec in spec.task_specs.values())
    with _lock:
        known[feature] = found
    return found
