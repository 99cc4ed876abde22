"""Schemathesis hooks for tests/api/test_schemathesis.py (loaded through SCHEMATHESIS_HOOKS).

Two narrow rules: the run never changes its own account (PATCH /users/<its own name>, nor its
group memberships), which
could lock it out halfway and leave the rest of the run testing nothing but 401s. Every
operation is still called, PATCH /users/{username} included, for other users. And a valid
long poll of POST /external-tasks/fetch-and-lock waits at most LONG_POLL_MS: no external
task waits in the seeded database, so each of up to 30 s would only stretch the run.
"""
from __future__ import annotations

import os

import schemathesis

OWN_ACCOUNT = os.environ.get("LKJ_SCHEMATHESIS_USER", "")
FETCH_AND_LOCK = "/api/v1/external-tasks/fetch-and-lock"
LONG_POLL_MS = 50
WAIT_MAX_MS = 30_000  # engine.usecases.EXTERNAL_WAIT_MAX_MS (this file imports no engine)


# The operations that change a user's roles (so end its tokens), with the user's name in
# the path.
CHANGES_ROLES = {("PATCH", "/api/v1/users/{username}"),
                 ("PUT", "/api/v1/groups/{name}/members/{username}"),
                 ("DELETE", "/api/v1/groups/{name}/members/{username}")}


@schemathesis.hook
def filter_case(ctx, case) -> bool:
    return not ((case.method.upper(), case.path) in CHANGES_ROLES
                and (case.path_parameters or {}).get("username") == OWN_ACCOUNT)


@schemathesis.hook
def map_body(ctx, body):
    operation = getattr(ctx, "operation", None)
    if getattr(operation, "path", None) == FETCH_AND_LOCK and isinstance(body, dict):
        wait = body.get("wait_ms")
        if isinstance(wait, int) and not isinstance(wait, bool) and LONG_POLL_MS < wait <= WAIT_MAX_MS:
            body["wait_ms"] = LONG_POLL_MS
    return body
