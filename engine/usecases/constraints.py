"""The limits a value must keep to be accepted, each defined once: the engine checks them, and
the API's request schemas (so its OpenAPI document) state the same numbers and patterns.

Patterns are written for a whole-value match (`re.fullmatch`); the API anchors them with
`^(?:...)$` for JSON Schema, whose `pattern` searches anywhere in the value.
"""
from __future__ import annotations

from engine.workflow.model import KNOWN_ROLES, UNIT_ROLE_PREFIX

# Versions are 32-bit INTEGER columns on PostgreSQL: a larger number in a query fails there,
# so no integer the API reads goes past 32 bits.
INT32_MAX = 2**31 - 1
MAX_VERSION = INT32_MAX
# Paging: an offset past any real data set still fits 32 bits with the largest page added.
MAX_OFFSET = 1_000_000_000
MAX_HISTORY_PAGE = 10_000

# Users. A user name is part of URLs (`/users/<name>`): no `/`, and never `.` or `..`.
USERNAME_MAX_LENGTH = 80
USERNAME_PATTERN = rf"[A-Za-z0-9][A-Za-z0-9._@-]{{0,{USERNAME_MAX_LENGTH - 1}}}"
USERNAME_RULE = (f"must be 1 to {USERNAME_MAX_LENGTH} letters, digits, '.', '_', '@' or '-', "
                 f"starting with a letter or digit")
PASSWORD_MIN_LENGTH = 8
FULL_NAME_MAX_LENGTH = 200
EMAIL_MAX_LENGTH = 254
# A plain shape check: something before the first @, a dot after it, no spaces (nor NUL).
EMAIL_PATTERN = r"[^@ \x00]+@[^ \x00]*\.[^ \x00]*"

# Units: a code is also part of a role name (`satuan_kerja:<code>`) and of URLs, so it starts
# with a letter or digit (never `.` or `..`, which a URL path would swallow).
UNIT_CODE_MAX_LENGTH = 40
UNIT_CODE_PATTERN = rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{UNIT_CODE_MAX_LENGTH - 1}}}"
UNIT_CODE_RULE = (f"must be 1 to {UNIT_CODE_MAX_LENGTH} letters, digits, '-', '_' or '.', "
                  f"starting with a letter or digit")
UNIT_NAME_MAX_LENGTH = 200
# Messages and signals (engine/usecases/bpmn_events.py), business keys of instances (the
# widths of their columns).
BUSINESS_KEY_MAX_LENGTH = 200
EVENT_NAME_MAX_LENGTH = 255
# External tasks (engine/usecases/external_tasks.py): how many a fetch takes, how long a
# long poll and a lock may last.
EXTERNAL_FETCH_MAX = 100
EXTERNAL_WAIT_MAX_MS = 30_000
EXTERNAL_LOCK_MAX_MS = 7 * 24 * 3600 * 1000

# Roles are groups (engine/usecases/groups.py): the standard's (ROLE_NAMES, there from the
# first start) and the ones an admin adds, or the queue of a unit. A group's name is part of
# URLs (`/groups/<name>`) and never holds ':' (the unit groups' prefix). Which groups exist is
# data: a pattern only checks the shape.
ROLE_NAMES = tuple(sorted(KNOWN_ROLES))
GROUP_NAME_MAX_LENGTH = 80
GROUP_NAME_PATTERN = rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{GROUP_NAME_MAX_LENGTH - 1}}}"
GROUP_NAME_RULE = (f"must be 1 to {GROUP_NAME_MAX_LENGTH} letters, digits, '-', '_' or '.', "
                   f"starting with a letter or digit")
GROUP_DESCRIPTION_MAX_LENGTH = 300
ROLE_PATTERN = GROUP_NAME_PATTERN + "|" + UNIT_ROLE_PREFIX + UNIT_CODE_PATTERN
ROLE_RULE = f"a group's name, or {UNIT_ROLE_PREFIX}<unit code>"

# The working calendar covers these years (inclusive); CALENDAR_DAY_PATTERN says the same
# for a day (YYYY-MM-DD) in those years.
FIRST_CALENDAR_YEAR = 1900
LAST_CALENDAR_YEAR = 2200
CALENDAR_DAY_PATTERN = r"(?:19[0-9]{2}|2[01][0-9]{2}|2200)-[0-9]{2}-[0-9]{2}"
CALENDAR_DAY_NAME_MAX_LENGTH = 200

# A name that must say something: at least one character that is not blank (Python's
# whitespace, spelled out so JSON Schema's regex dialect reads the same set) and no NUL.
BLANK_CHARACTERS = (r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a"
                    r"\u2028\u2029\u202f\u205f\u3000")
NOT_BLANK_PATTERN = rf"[^\x00]*[^{BLANK_CHARACTERS}\x00][^\x00]*"

# Uploaded documents keep the media type their part declared (a 255-character column).
CONTENT_TYPE_MAX_LENGTH = 255

# Deployments take diagrams (processes and decision tables) and form schemas, told apart by
# the file name's ending; the name is kept (a 255-character column).
DIAGRAM_SUFFIXES = (".bpmn", ".dmn")
DEPLOYABLE_SUFFIXES = (*DIAGRAM_SUFFIXES, ".json", ".form")
FILE_NAME_MAX_LENGTH = 255
