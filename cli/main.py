"""The `lkj` command: serve the API, migrate the database, deploy the procedure, manage users.

`lkj serve` on a fresh checkout (or after `pip install`) is all a newcomer needs: it creates the
SQLite database under `var/`, migrates it, deploys the procedure's diagrams and forms (see
SERVE_DEPLOYS), makes the user `admin` an active admin with `LKJ_ADMIN_PASSWORD` when that is
set (creating it, or restoring it), and serves under gunicorn.
"""
from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import shutil
import sys
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from engine import usecases
from engine.errors import DiagramInvalid, EngineError
from engine.settings import Settings, shipped_folder
from engine.usecases.context import EngineContext
from engine.usecases.views import SYSTEM

log = logging.getLogger("lkj")

SERVE_DEPLOYS = """\
What serve deploys: into a database with no process yet, every diagram and form of the
procedure folders (--bpmn-dir, --forms-dir; default: the ones shipped with the engine).
At later starts only the files that changed in those folders since their last deployment,
and never over a process whose latest version came through the API or `lkj deploy`: that
version stays the latest and a WARNING names both versions. --no-deploy deploys nothing."""


class JsonLines(logging.Formatter):
    """One JSON object per log line (LKJ_LOG_FORMAT=json, the default): time, level,
    logger, message, and the fields a record carries in `lkj` (a request's method, route,
    status, duration, user, request id)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(
                     timespec="milliseconds"),
                 "level": record.levelname, "logger": record.name,
                 "message": record.getMessage(), **getattr(record, "lkj", {})}
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class MissingFolder(EngineError):
    title = "Missing folder"


def procedure_folders(args) -> tuple[Path, Path]:
    """The diagram and form folders named on the command line, else the shipped ones; a
    folder that is not there is said plainly."""
    bpmn_dir = Path(args.bpmn_dir) if args.bpmn_dir else shipped_folder("bpmn")
    forms_dir = Path(args.forms_dir) if args.forms_dir else shipped_folder("forms")
    for option, folder in (("--bpmn-dir", bpmn_dir), ("--forms-dir", forms_dir)):
        if not folder.is_dir():
            raise MissingFolder(f"{folder} is not a folder: name the procedure's folder with "
                                f"{option} (or start with --no-deploy)")
    return bpmn_dir, forms_dir


def read_procedure(bpmn_dir: Path, forms_dir: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    # decision tables (.dmn) live with the diagrams that use them
    diagrams = {p.name: p.read_bytes() for p in sorted([*bpmn_dir.glob("*.bpmn"),
                                                        *bpmn_dir.glob("*.dmn")])}
    form_files = {p.name: p.read_bytes() for p in sorted([*forms_dir.glob("*.json"),
                                                          *forms_dir.glob("*.form")])}
    return diagrams, form_files


@contextmanager
def engine_context(settings: Settings | None = None):
    """The engine on the configured database, closed when the command is done."""
    ctx = EngineContext(settings or Settings.from_env())
    try:
        yield ctx
    finally:
        ctx.close()


def format_diagram_errors(error: DiagramInvalid) -> str:
    return "\n".join([error.detail, *(located(e) for e in error.errors)])


def located(problem: dict, label: str = "") -> str:
    """`file:line:col: element: message`, as compilers print (editors jump to it)."""
    where = ":".join(str(part) for part in (problem.get("file"), problem.get("line"),
                                            problem.get("column")) if part not in (None, ""))
    element = f" {problem['element_id']}:" if problem.get("element_id") else ""
    return f"{where or '-'}:{element} {label}{problem['message']}"


def deploy_at_start(ctx: EngineContext, bpmn_dir: Path, forms_dir: Path) -> None:
    """SERVE_DEPLOYS, with every step in the log."""
    diagrams, form_files = read_procedure(bpmn_dir, forms_dir)
    if not diagrams:
        log.warning("no diagrams in %s: nothing deployed", bpmn_dir)
        return
    name = str(bpmn_dir)  # the notices name its diagrams as <name>/<file>
    outcome = usecases.deploy_procedure_folder(ctx, name, diagrams, form_files)
    for notice in outcome.kept:
        log.warning(notice)
    if not outcome.changed:
        log.info("procedure folder %s unchanged since its last deployment", name)
    for view in outcome.definitions:
        log.info("process %s version %d%s", view.key, view.version,
                 " (new)" if view.created else "")


def prepare(settings: Settings, folders: tuple[Path, Path] | None) -> None:
    """Migrate, deploy and create or restore the admin: what `serve` does before it
    listens."""
    usecases.upgrade_database(settings.database_url)
    with engine_context(settings) as ctx:
        if folders is not None:
            deploy_at_start(ctx, *folders)
        password = os.environ.get("LKJ_ADMIN_PASSWORD")
        changes = usecases.restore_admin(ctx, password) if password else []
        if changes == ["created"]:
            log.info("created user 'admin'")
        elif changes:
            # The operator's recovery path: say loudly that it was taken.
            log.warning("restored user 'admin' from LKJ_ADMIN_PASSWORD: %s", ", ".join(changes))


def _metrics_folder(settings: Settings) -> None:
    """Where the gunicorn workers share their metric counts (prometheus_client's
    multiprocess mode), emptied at start. Set before anything imports prometheus_client:
    it reads the variable then."""
    folder = settings.data_dir / "metrics"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


def _worker_exited(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def cmd_serve(args) -> int:
    settings = Settings.from_env()
    _metrics_folder(settings)

    from gunicorn.app.base import BaseApplication

    from api.app import create_app
    from api.errors import REQUEST_HEADER_LIMITS, REQUEST_LINE_LIMIT
    from cli.http_worker import ProblemJsonWorker

    prepare(settings, None if args.no_deploy else procedure_folders(args))
    sqlite = settings.database_url.startswith("sqlite")
    # SQLite has one writer at a time: one process with threads is its best shape.
    workers = args.workers or (1 if sqlite else int(os.environ.get("LKJ_WORKERS", 2)))

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{args.host}:{args.port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", args.threads)
            # gthread, answering the requests it refuses itself as problem+json too.
            self.cfg.set("worker_class", ProblemJsonWorker)
            self.cfg.set("limit_request_line", REQUEST_LINE_LIMIT)
            self.cfg.set("limit_request_fields", REQUEST_HEADER_LIMITS["fields"])
            self.cfg.set("limit_request_field_size", REQUEST_HEADER_LIMITS["field_size"])
            self.cfg.set("accesslog", "-" if args.access_log else None)
            self.cfg.set("graceful_timeout", 10)
            self.cfg.set("child_exit", _worker_exited)
            # One fixed control-socket path per user would clash between servers.
            self.cfg.set("control_socket_disable", True)

        def load(self):
            return create_app(settings=settings)

    log.info("serving on http://%s:%d (%s, %d worker(s) x %d threads)", args.host, args.port,
             "SQLite" if sqlite else "PostgreSQL", workers, args.threads)
    Server().run()
    return 0


def cmd_db_upgrade(args) -> int:
    settings = Settings.from_env()
    usecases.upgrade_database(settings.database_url)
    print("database at the newest revision")
    return 0


def cmd_deploy(args) -> int:
    bpmn_dir, forms_dir = procedure_folders(args)
    if args.check:
        diagrams, form_files = read_procedure(bpmn_dir, forms_dir)
        try:
            model = usecases.check_deployment(diagrams, form_files)
        except DiagramInvalid as exc:
            for line in [*(located(e) for e in exc.errors),
                         *(located(w, "warning: ") for w in exc.warnings), exc.detail]:
                print(line, file=sys.stderr)
            return 1
        for warning in model.warnings:
            print(located(warning, "warning: "), file=sys.stderr)
        print(f"{len(diagrams)} diagram(s), {len(model.forms)} form(s): "
              f"processes {', '.join(sorted(model.processes))} are valid")
        return 0
    if args.only_changed:
        with engine_context() as ctx:
            deploy_at_start(ctx, bpmn_dir, forms_dir)
        return 0
    diagrams, form_files = read_procedure(bpmn_dir, forms_dir)
    if not diagrams:
        raise MissingFolder(f"no .bpmn diagram in {bpmn_dir}: nothing to deploy")
    with engine_context() as ctx:
        # The operator's explicit wish: every changed process of the folder, over whatever
        # version is the latest (unlike serve's start).
        result = usecases.deploy(ctx, SYSTEM, diagrams, form_files, on_top_of_latest=True,
                                 name=str(bpmn_dir), source="cli")
        for view in result.definitions:
            print(f"{view.key} version {view.version}{' (new)' if view.created else ' (unchanged)'}")
    return 0


def cmd_users_create(args) -> int:
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass()
    with engine_context() as ctx:
        user = usecases.create_user(ctx, SYSTEM, args.username, password, args.role,
                                    args.full_name)
    print(json.dumps({"username": user.username, "roles": user.roles}))
    return 0


def cmd_units_create(args) -> int:
    with engine_context() as ctx:
        unit = usecases.create_unit(ctx, SYSTEM, args.code, args.name)
    print(json.dumps({"code": unit.code, "name": unit.name}))
    return 0


def cmd_audit_verify(args) -> int:
    report = usecases.verify_audit_bundle(Path(args.bundle).read_bytes())
    print(json.dumps(report.to_dict(), indent=2, default=str))
    return 0 if report.valid else 1


def cmd_audit_verify_archive(args) -> int:
    report = usecases.verify_lkj_archive(Path(args.archive).read_bytes())
    print(json.dumps(report.to_dict(), indent=2, default=str))
    return 0 if report.valid else 1


def cmd_audit_replay(args) -> int:
    with engine_context() as ctx:
        report = usecases.replay_instance(ctx, SYSTEM, args.instance_id)
    print(json.dumps(report.to_dict(), indent=2, default=str))
    return 0 if report.consistent else 1


def cmd_worker(args) -> int:
    import threading

    from engine.usecases.worker import Worker, install_signal_handlers

    with engine_context() as ctx:
        worker = Worker(ctx, poll_s=args.poll, lease_s=args.lease, batch=args.batch)
        if args.once:
            print(json.dumps(worker.run_once().to_dict()))
            return 0
        stop = threading.Event()
        install_signal_handlers(stop)
        worker.run_forever(stop)
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="lkj", description=__doc__.splitlines()[0])
    sub = root.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="migrate, deploy the procedure, serve the API",
                           description="Migrate the database, deploy the procedure, make "
                                       "the admin (LKJ_ADMIN_PASSWORD), serve the API and "
                                       "the console.", epilog=SERVE_DEPLOYS,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    serve.add_argument("--host", default=os.environ.get("LKJ_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("LKJ_PORT", 8000)))
    serve.add_argument("--workers", type=int, default=0,
                       help="processes (default: 1 on SQLite, $LKJ_WORKERS or 2 otherwise)")
    serve.add_argument("--threads", type=int, default=8)
    serve.add_argument("--bpmn-dir", help="the procedure's diagrams (default: shipped)")
    serve.add_argument("--forms-dir", help="the procedure's forms (default: shipped)")
    serve.add_argument("--no-deploy", action="store_true",
                       help="deploy nothing at start")
    serve.add_argument("--access-log", action="store_true")
    serve.set_defaults(run=cmd_serve)

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db", required=True)
    db.add_parser("upgrade", help="migrate to the newest revision").set_defaults(run=cmd_db_upgrade)

    deploy = sub.add_parser("deploy", help="deploy the diagrams and forms (every changed "
                                           "process, over whatever version is the latest)")
    deploy.add_argument("--bpmn-dir", help="default: the procedure shipped with the engine")
    deploy.add_argument("--forms-dir", help="default: the procedure shipped with the engine")
    deploy.add_argument("--check", action="store_true",
                        help="only validate, offline: report every problem, store nothing")
    deploy.add_argument("--only-changed", action="store_true",
                        help="what `lkj serve` deploys at start: only what changed in the "
                             "folders since their last deployment, never over a version "
                             "that came through the API (for a separate deploy step, e.g. "
                             "docker-compose.yml's)")
    deploy.set_defaults(run=cmd_deploy)

    users = sub.add_parser("users", help="users").add_subparsers(dest="users", required=True)
    create = users.add_parser("create", help="create a user (password asked, or --password-stdin)")
    create.add_argument("username")
    create.add_argument("--role", action="append", required=True,
                        help="a role id; repeat for several")
    create.add_argument("--full-name")
    create.add_argument("--password-stdin", action="store_true")
    create.set_defaults(run=cmd_users_create)

    units = sub.add_parser("units", help="organisational units").add_subparsers(
        dest="units", required=True)
    unit = units.add_parser("create", help="register a unit")
    unit.add_argument("code")
    unit.add_argument("name")
    unit.set_defaults(run=cmd_units_create)

    audit = sub.add_parser("audit", help="check history").add_subparsers(dest="audit",
                                                                        required=True)
    verify = audit.add_parser("verify", help="verify an audit bundle offline "
                                              "(no server, no database)")
    verify.add_argument("bundle")
    verify.set_defaults(run=cmd_audit_verify)
    verify_archive = audit.add_parser("verify-archive", help="verify a year's LKj archive "
                                      "offline (GET /api/v1/archives/{year})")
    verify_archive.add_argument("archive")
    verify_archive.set_defaults(run=cmd_audit_verify_archive)
    replay = audit.add_parser("replay", help="replay an instance's history against the database")
    replay.add_argument("instance_id")
    replay.set_defaults(run=cmd_audit_replay)

    worker = sub.add_parser("worker", help="fire due timers and deliver notifications "
                                           "(one process on SQLite; SIGTERM stops it)")
    worker.add_argument("--once", action="store_true", help="one round, then exit")
    worker.add_argument("--poll", type=float,
                        default=float(os.environ.get("LKJ_WORKER_POLL_S", 1.0)),
                        help="seconds between idle rounds (default 1, $LKJ_WORKER_POLL_S)")
    worker.add_argument("--lease", type=float,
                        default=float(os.environ.get("LKJ_WORKER_LEASE_S", 60)),
                        help="seconds a leased timer or message stays this worker's "
                             "(default 60, $LKJ_WORKER_LEASE_S)")
    worker.add_argument("--batch", type=int, default=20,
                        help="timers and messages leased per round (default 20)")
    worker.set_defaults(run=cmd_worker)
    return root


def main(argv: list[str] | None = None) -> int:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines() if os.environ.get("LKJ_LOG_FORMAT", "json") == "json"
                         else logging.Formatter("%(asctime)s %(levelname)s %(name)s: "
                                                "%(message)s"))
    logging.basicConfig(level=os.environ.get("LKJ_LOG_LEVEL", "INFO"), handlers=[handler])
    # SpiffWorkflow logs every task state change at INFO: too much for a server's log.
    logging.getLogger("spiff").setLevel(logging.WARNING)
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except DiagramInvalid as exc:
        print(format_diagram_errors(exc), file=sys.stderr)
        return 1
    except EngineError as exc:
        details = getattr(exc, "errors", None)
        print(f"{exc.title}: {exc.detail}" + (f" {details}" if details else ""), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
