"""What running a diagram's script or expression can fail with. Each message is written for
the admin who reads it on the instance in `error` (and can retry after fixing the data).

Defined apart from the sandbox so the jail worker, which must stay light, can use them;
`engine.workflow.sandbox` re-exports every class.
"""
from __future__ import annotations


class ScriptError(Exception):
    """Base class: the script or expression did not give a usable result."""


class ScriptRejected(ScriptError):
    """The source does not compile under the sandbox's rules (e.g. uses a dunder name)."""


class ScriptFailed(ScriptError):
    """The script raised an error, or what it gave back cannot be stored (not JSON, too much
    data, the wrong kind of value for a timer or a loop)."""


class ScriptKilled(ScriptError):
    """The jail stopped the process running the script: a hard limit, or a crash."""


class ScriptTimeout(ScriptKilled):
    """The script ran past its wall-time or CPU-time limit."""


class ScriptOutOfMemory(ScriptKilled):
    """The script needed more memory than its jail worker may have."""
