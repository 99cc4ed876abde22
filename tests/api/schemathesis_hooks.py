"""Schemathesis hooks for tests/api/test_schemathesis.py (loaded through SCHEMATHESIS_HOOKS).

One narrow rule: the run never changes its own account (PATCH /users/<its own name>, nor its
group memberships), which
could lock it out halfway and leave the rest of the run testing nothing but 401s. Every
operation is still called, PATCH /users/{username} included, for other users.
"""
from __future__ import annotations

import os

import schemathesis

OWN_ACCOUNT = os.environ.get("LKJ_SCHEMATHESIS_USER", "")


# The operations that change a user's roles (so end its tokens), with the user's name in
# the path.
CHANGES_ROLES = {("PATCH", "/api/v1/users/{username}"),
                 ("PUT", "/api/v1/groups/{name}/members/{username}"),
                 ("DELETE", "/api/v1/groups/{name}/members/{username}")}


@schemathesis.hook
def filter_case(ctx, case) -> bool:
    return not ((case.method.upper(), case.path) in CHANGES_ROLES
                and (case.path_parameters or {}).get("username") == OWN_ACCOUNT)
