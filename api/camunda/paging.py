"""Camunda's paging: `firstResult` and `maxResults` query parameters (or body fields of a
POST query), applied to a whole list."""
from __future__ import annotations

from flask import request

from engine.errors import InvalidInput


def page_of(items: list, source: dict | None = None) -> list:
    source = request.args if source is None else source
    first = count(source, "firstResult", 0)
    most = count(source, "maxResults")
    end = None if most is None else first + most
    return items[first:end]


def count(source, field: str, default=None, most: int | None = None):
    """A whole number, 0 or more (and at most `most`), of a URL parameter (digits only) or a
    JSON body field; `default` when absent."""
    raw = source.get(field)
    if raw is None or raw == "":
        return default
    if isinstance(raw, str) and raw.isascii() and raw.isdigit():
        value = int(raw)
    elif isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    else:
        value = -1
    if value < 0:
        raise InvalidInput(f"{field} must be a whole number, 0 or more",
                           {field: ["must be a whole number, 0 or more"]})
    if most is not None and value > most:
        raise InvalidInput(f"{field} must be at most {most}", {field: [f"at most {most}"]})
    return value


def flag(source, field: str) -> bool | None:
    """A query's boolean: `true`/`false` (or a JSON boolean); None when absent."""
    raw = source.get(field)
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        return raw
    if str(raw).lower() in ("true", "false"):
        return str(raw).lower() == "true"
    raise InvalidInput(f"{field} must be true or false", {field: ["must be true or false"]})


def descending(source=None) -> bool:
    """`sortOrder`: asc (the default) or desc."""
    order = (request.args if source is None else source).get("sortOrder")
    if order not in (None, "", "asc", "desc"):
        raise InvalidInput("sortOrder must be asc or desc", {"sortOrder": ["asc or desc"]})
    return order == "desc"


def sorted_by(items: list, sorts: dict, source=None) -> list:
    """`sortBy` (one of `sorts`: name -> key function) and `sortOrder` (asc, desc)."""
    source = request.args if source is None else source
    if not isinstance(source, dict) and not hasattr(source, "getlist"):
        raise InvalidInput("sorting must be a list of {sortBy, sortOrder}",
                           {"sorting": ["must be a list of {sortBy, sortOrder}"]})
    sort_by = source.get("sortBy")
    if not sort_by:
        return items
    if not isinstance(sort_by, str) or sort_by not in sorts:
        raise InvalidInput(f"sortBy {sort_by!r} is not supported",
                           {"sortBy": [f"one of {', '.join(sorts)}"]})
    return sorted(items, key=sorts[sort_by], reverse=source.get("sortOrder") == "desc")


def listed(value, field: str) -> list[str]:
    """A list filter: comma-separated text (a URL parameter) or a JSON list of texts."""
    if isinstance(value, str):
        return value.split(",")
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise InvalidInput(f"{field} must be a list of texts", {field: ["must be a list of texts"]})


def text(query, field: str) -> str | None:
    """A text filter of a URL parameter or a JSON body."""
    value = query.get(field)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be a text", {field: ["must be a text"]})
    return value


ENGINE_PAGE = 500  # the engine's largest page


def every(fetch) -> list:
    """Every item of an engine listing read page by page: `fetch(limit, offset)` answers
    a Page."""
    found, offset = [], 0
    while True:
        page = fetch(ENGINE_PAGE, offset)
        found += page.items
        offset += ENGINE_PAGE
        if offset >= page.total or not page.items:
            return found
