"""What an operator sees of the API: a request id on every answer, one JSON log line per
request (`lkj.request`), slow requests logged with their command's phases, and the
Prometheus metrics at `/metrics`.

- Request id: the caller's `X-Request-ID` when it is a plain token (letters, digits,
  `._:-`, at most 128), otherwise a new one; always returned in `X-Request-ID`.
- Log line: method, route (the URL rule, not the path: ids stay out of the metrics), path,
  status, duration in ms, user, request id; at WARNING with the command's read, run and
  write phases when it took longer than LKJ_SLOW_REQUEST_MS.
- `/metrics`: request durations per route, instance-command phases, completions, script
  stops, and (read from the database at scrape time) open tasks per role and state, overdue
  tasks, instances per status, the outbox per channel and state, timer lag, connections in
  use. With LKJ_METRICS_TOKEN set it needs `Authorization: Bearer <token>`; without, it
  answers only callers on this machine (loopback). Under `lkj serve` the gunicorn workers'
  counts are added up (prometheus_client's multiprocess mode, PROMETHEUS_MULTIPROC_DIR).
"""
from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import re
import time
import uuid

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from api.errors import ApiProblem
from api.extension import engine_context
from engine import usecases
from engine.metrics import begin_request_timing, end_request_timing, metrics

REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
log = logging.getLogger("lkj.request")
bp = Blueprint("observability", __name__)


def install(app: Flask) -> None:
    app.before_request(_begin)
    app.after_request(_finish)
    app.teardown_request(_end_timing)
    app.register_blueprint(bp)


def _begin():
    given = request.headers.get("X-Request-ID", "")
    g.lkj_request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    g.lkj_started = time.perf_counter()
    g.lkj_timing, g.lkj_timing_token = begin_request_timing()


def _end_timing(_error=None):
    token = g.pop("lkj_timing_token", None)
    if token is not None:
        end_request_timing(token)


def _finish(response: Response) -> Response:
    started = g.get("lkj_started")
    if started is None:  # the request failed before _begin ran
        return response
    seconds = time.perf_counter() - started
    route = request.url_rule.rule if request.url_rule else "unmatched"
    response.headers["X-Request-ID"] = g.lkj_request_id
    metrics().requests.labels(route, request.method, str(response.status_code)).observe(
        seconds)
    ctx = engine_context()
    metrics().db_connections.set(ctx.db.connections_in_use())
    line = {"event": "request", "method": request.method, "route": route,
            "path": request.path, "status": response.status_code,
            "duration_ms": round(seconds * 1000, 2), "user": g.get("lkj_user"),
            "request_id": g.lkj_request_id}
    slow = seconds * 1000 > ctx.settings.slow_request_ms
    if slow:
        line["slow"] = True
        line["commands"] = g.lkj_timing.phases
    log.log(logging.WARNING if slow else logging.INFO, "%s %s %s %.1f ms", request.method,
            request.path, response.status_code, seconds * 1000, extra={"lkj": line})
    return response


def remember_user(username: str) -> None:
    """The signed-in user of this request, for its log line."""
    g.lkj_user = username


@bp.get("/metrics")
def prometheus_metrics():
    _check_scraper()
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY
        registry = REGISTRY
    output = generate_latest(registry) + generate_latest(_DatabaseCollector.registry(
        engine_context()))
    return Response(output, mimetype=CONTENT_TYPE_LATEST.split(";")[0],
                    headers={"Content-Type": CONTENT_TYPE_LATEST})



def _check_scraper() -> None:
    token = current_app.extensions["lkj"].settings.metrics_token
    if token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise ApiProblem(401, "Authentication required",
                             "The metrics need 'Authorization: Bearer <LKJ_METRICS_TOKEN>'",
                             headers={"WWW-Authenticate": 'Bearer realm="lkj-metrics"'},
                             kind="unauthenticated")
        return
    try:
        local = ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        local = False
    if not local:
        raise ApiProblem(403, "Forbidden", "Without LKJ_METRICS_TOKEN the metrics answer "
                         "only callers on this machine", kind="forbidden")


class _DatabaseCollector:
    """Gauges read from the database when scraped (the same for every worker)."""

    def __init__(self, ctx):
        self.ctx = ctx

    @classmethod
    def registry(cls, ctx) -> CollectorRegistry:
        registry = CollectorRegistry()
        registry.register(cls(ctx))
        return registry

    def collect(self):
        counts = usecases.operational_counts(self.ctx)
        open_tasks = GaugeMetricFamily("lkj_open_tasks", "Open user tasks",
                                       labels=["role", "state"])
        for (role, state), count in sorted(counts.open_tasks.items()):
            open_tasks.add_metric([role, state], count)
        overdue = GaugeMetricFamily("lkj_overdue_tasks", "Open tasks past their due date",
                                    labels=["role"])
        for role, count in sorted(counts.overdue_tasks.items()):
            overdue.add_metric([role], count)
        instances = GaugeMetricFamily("lkj_instances", "Process instances",
                                      labels=["status"])
        for status, count in sorted(counts.instances.items()):
            instances.add_metric([status], count)
        outbox = GaugeMetricFamily("lkj_outbox_messages", "Notifications in the outbox",
                                   labels=["channel", "state"])
        for (channel, state), count in sorted(counts.outbox.items()):
            outbox.add_metric([channel, state], count)
        yield from (open_tasks, overdue, instances, outbox)
        yield GaugeMetricFamily("lkj_timer_lag_seconds", "How long the most overdue timer "
                                "has been due (0: none waits)", value=counts.timer_lag_s)
