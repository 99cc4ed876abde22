"""Who may do what, command by command and role by role (engine/usecases/policy.py).

Each row is one command run against the same small world: the `mini_review` process
(staf drafts, kepala_bagian checks), started by kepala_biro, its draft task ready in the
staf queue (or claimed by staf1, where a command needs a claim). Each column is one caller;
the cell says what that caller gets: `ok`, `forbidden` (403), `hidden` (404: the caller
may not even know it exists) or `conflict` (409: allowed, but not in this state).
"""
from __future__ import annotations

import io
from datetime import date, datetime, timezone

import pytest

from engine import usecases
from engine.errors import Conflict, Forbidden, NotFound
from tests.conftest import ADMIN, FIXTURES, actor, read_folder

CALLERS = {
    "admin": ADMIN,
    "auditor": actor("aud", "auditor"),
    "kepala_biro": actor("kb", "kepala_biro"),
    "staf1": actor("staf1", "staf"),  # the draft's role; the claimant where one is needed
    "staf2": actor("staf2", "staf"),  # the same role, not the claimant
    "kepala_bagian": actor("kabag", "kepala_bagian"),  # a later step's role
    # staf1 after an admin moved it from staf to kepala_bagian: its claim no longer stands
    "staf1_moved": actor("staf1", "kepala_bagian"),
    "unit": actor("unit_a", "satuan_kerja:A"),
    "worker": actor("sistem_surat", "worker"),  # a system sending messages and signals
    "nobody": actor("nobody"),
}
EVERYONE = dict.fromkeys(CALLERS, "ok")


def only(outcome_of_others: str, **outcomes: str) -> dict:
    return {name: outcomes.get(name, outcome_of_others) for name in CALLERS}


ADMIN_ONLY = only("forbidden", admin="ok")
AUDIT = only("forbidden", admin="ok", auditor="ok")
# who sees the staf draft task (its role, its claimant, admins and auditors)
SEES_DRAFT = only("hidden", admin="ok", auditor="ok", staf1="ok", staf2="ok")
# who reads the instance (the roles following every instance, and who works in it)
READS_INSTANCE = only("hidden", admin="ok", auditor="ok", kepala_biro="ok", staf1="ok",
                      staf2="ok", kepala_bagian="ok", staf1_moved="ok")


class World:
    """The process deployed once; `fresh()` gives each caller an instance of its own, so
    what one caller may do cannot change what the next one meets."""

    def __init__(self, ctx):
        self.ctx = ctx
        usecases.deploy(ctx, ADMIN, *read_folder(FIXTURES / "mini"))
        usecases.create_unit(ctx, ADMIN, "A", "Biro A")

    def fresh(self, caller: str, claimed: bool) -> "World":
        self.caller = caller
        self.instance = usecases.start_instance(self.ctx, CALLERS["kepala_biro"],
                                                "mini_review", {})
        self.task = self.instance.open_tasks[0]
        if claimed:
            usecases.claim_task(self.ctx, CALLERS["staf1"], self.task.id)
        self.document = usecases.upload_document(self.ctx, ADMIN, self.instance.id, "a.pdf",
                                                 "application/pdf", io.BytesIO(b"%PDF-1"))
        return self


def _suspended(world):
    usecases.suspend_instance(world.ctx, ADMIN, world.instance.id)


def _user(world):
    """A user only this caller's row touches."""
    return usecases.create_user(world.ctx, ADMIN, f"user_of_{world.caller}", "password-123",
                                ["staf"])


def _suspend_then_resume(world, who):
    """Suspend as `who`, then resume as an admin: the next caller's world starts again."""
    try:
        usecases.suspend_definition(world.ctx, who, "mini_review")
    finally:
        usecases.resume_definition(world.ctx, ADMIN, "mini_review")


def _group(world):
    """A group only this caller's row touches."""
    return usecases.create_group(world.ctx, ADMIN, f"group_of_{world.caller}").name


# name -> (run(world, caller), expected outcome per caller, world needs a claim)
COMMANDS = {
    "list tasks": (lambda w, a: usecases.list_tasks(w.ctx, a), EVERYONE, False),
    "get task": (lambda w, a: usecases.get_task(w.ctx, a, w.task.id), SEES_DRAFT, False),
    "get task form": (lambda w, a: usecases.get_task_form(w.ctx, a, w.task.id), SEES_DRAFT,
                      False),
    "get task variables": (lambda w, a: usecases.get_task_variables(w.ctx, a, w.task.id),
                           SEES_DRAFT, False),
    "claim task": (lambda w, a: usecases.claim_task(w.ctx, a, w.task.id),
                   {**SEES_DRAFT, "admin": "forbidden", "auditor": "forbidden"}, False),
    "unclaim task": (lambda w, a: usecases.unclaim_task(w.ctx, a, w.task.id),
                     {**SEES_DRAFT, "auditor": "forbidden", "staf2": "forbidden",
                      "staf1_moved": "ok"}, True),
    "reassign task": (lambda w, a: usecases.reassign_task(w.ctx, a, w.task.id,
                                                          _user(w).username),
                      ADMIN_ONLY, True),
    "complete task": (lambda w, a: usecases.complete_task(w.ctx, a, w.task.id,
                                                          {"title": "Konsep"}),
                      {**SEES_DRAFT, "admin": "conflict", "auditor": "conflict",
                       "staf2": "conflict", "staf1_moved": "forbidden"}, True),
    "start instance": (lambda w, a: usecases.start_instance(w.ctx, a, "mini_review", {}),
                       only("forbidden", admin="ok", kepala_biro="ok"), False),
    "get instance": (lambda w, a: usecases.get_instance(w.ctx, a, w.instance.id),
                     READS_INSTANCE, False),
    "list instances": (lambda w, a: usecases.list_instances(w.ctx, a), EVERYONE, False),
    # everyone who reads this world's instance follows every instance: a unit reading one
    # through its task is refused (tests/engine/test_instance_variables.py)
    "get instance variables": (lambda w, a: usecases.get_instance_variables(
        w.ctx, a, w.instance.id), READS_INSTANCE, False),
    "set instance variables": (lambda w, a: usecases.set_instance_variables(
        w.ctx, a, w.instance.id, {"catatan": "diperbaiki"}), ADMIN_ONLY, False),
    "upload document": (lambda w, a: usecases.upload_document(
        w.ctx, a, w.instance.id, "b.pdf", "application/pdf", io.BytesIO(b"%PDF-2")),
        {**READS_INSTANCE, "auditor": "forbidden", "kepala_biro": "forbidden",
         "kepala_bagian": "forbidden", "staf1_moved": "forbidden"}, False),
    "get document": (lambda w, a: usecases.get_document(w.ctx, a, w.document.id),
                     READS_INSTANCE, False),
    "instance history": (lambda w, a: usecases.instance_history(w.ctx, a, w.instance.id),
                         AUDIT, False),
    "replay instance": (lambda w, a: usecases.replay_instance(w.ctx, a, w.instance.id),
                        AUDIT, False),
    "audit bundle": (lambda w, a: usecases.audit_bundle(w.ctx, a, w.instance.id), AUDIT,
                     False),
    "completed tasks": (lambda w, a: usecases.completed_tasks(w.ctx, a), AUDIT, False),
    "activity history": (lambda w, a: usecases.activity_history(w.ctx, a), AUDIT, False),
    "activity history count": (lambda w, a: usecases.count_activity_history(w.ctx, a),
                               AUDIT, False),
    "user operations": (lambda w, a: usecases.user_operations(w.ctx, a), AUDIT, False),
    "incident history": (lambda w, a: usecases.incident_history(w.ctx, a), AUDIT, False),
    "search instances": (lambda w, a: usecases.search_instances(w.ctx, a, year=2026),
                         AUDIT, False),
    "a version's load": (lambda w, a: usecases.version_load(w.ctx, a, "mini_review", 1),
                         AUDIT, False),
    "check an event chain": (lambda w, a: usecases.check_instance_chain(
        w.ctx, a, w.instance.id), AUDIT, False),
    "list the outbox": (lambda w, a: usecases.list_outbox(w.ctx, a), ADMIN_ONLY, False),
    # no message in this world: an admin is told it is not found, anyone else forbidden
    "send a failed message again": (lambda w, a: usecases.retry_outbox_message(w.ctx, a, 1),
                                    only("forbidden", admin="hidden"), False),
    "SLA report": (lambda w, a: usecases.sla_report(
        w.ctx, a, datetime(2026, 1, 1, tzinfo=timezone.utc),
        datetime(2027, 1, 1, tzinfo=timezone.utc)),
        only("forbidden", admin="ok", auditor="ok", kepala_biro="ok"), False),
    "deploy": (lambda w, a: usecases.deploy(w.ctx, a, *read_folder(FIXTURES / "mini")),
               ADMIN_ONLY, False),
    "check deployment": (lambda w, a: usecases.validation_report(
        w.ctx, a, *read_folder(FIXTURES / "mini")), ADMIN_ONLY, False),
    "list definitions": (lambda w, a: usecases.list_definitions(w.ctx), EVERYONE, False),
    "list deployments": (lambda w, a: usecases.list_deployments(w.ctx, a), ADMIN_ONLY, False),
    "get deployment": (lambda w, a: usecases.get_deployment(w.ctx, a, 1), ADMIN_ONLY, False),
    # the world's instances use version 1
    "delete version": (lambda w, a: usecases.delete_version(w.ctx, a, "mini_review", 1),
                       {**ADMIN_ONLY, "admin": "conflict"}, False),
    # deployment 1 made version 1, which the world's instances use
    "delete deployment": (lambda w, a: usecases.delete_deployment(w.ctx, a, 1),
                          {**ADMIN_ONLY, "admin": "conflict"}, False),
    "suspend definition": (_suspend_then_resume, ADMIN_ONLY, False),
    "resume definition": (lambda w, a: usecases.resume_definition(w.ctx, a, "mini_review"),
                          ADMIN_ONLY, False),
    "list groups": (lambda w, a: usecases.list_groups(w.ctx, a), ADMIN_ONLY, False),
    "create group": (lambda w, a: usecases.create_group(w.ctx, a, f"new_{w.caller}"),
                     ADMIN_ONLY, False),
    "delete group": (lambda w, a: usecases.delete_group(w.ctx, a, _group(w)), ADMIN_ONLY,
                     False),
    "group members": (lambda w, a: usecases.group_members(w.ctx, a, "staf"), ADMIN_ONLY,
                      False),
    "add member": (lambda w, a: usecases.add_member(w.ctx, a, _group(w), _user(w).username),
                   ADMIN_ONLY, False),
    "remove member": (lambda w, a: usecases.remove_member(w.ctx, a, "staf",
                                                          _user(w).username),
                      ADMIN_ONLY, False),
    "definition versions": (lambda w, a: usecases.definition_versions(w.ctx, "mini_review"),
                            EVERYONE, False),
    "definition xml": (lambda w, a: usecases.definition_xml(w.ctx, "mini_review", 1),
                       EVERYONE, False),
    "definition forms": (lambda w, a: usecases.definition_forms(w.ctx, "mini_review", 1),
                         EVERYONE, False),
    "suspend instance": (lambda w, a: usecases.suspend_instance(w.ctx, a, w.instance.id),
                         ADMIN_ONLY, False),
    "resume instance": (lambda w, a: (_suspended(w), usecases.resume_instance(
        w.ctx, a, w.instance.id)), ADMIN_ONLY, False),
    "terminate instance": (lambda w, a: usecases.terminate_instance(w.ctx, a, w.instance.id),
                           ADMIN_ONLY, False),
    "retry instance": (lambda w, a: usecases.retry_instance(w.ctx, a, w.instance.id),
                       {**ADMIN_ONLY, "admin": "conflict"}, False),  # it is not in error
    "move instance to a version": (lambda w, a: usecases.migrate_instance(
        w.ctx, a, w.instance.id, 1, dry_run=True), ADMIN_ONLY, False),
    "move a version's instances": (lambda w, a: usecases.migrate_version(
        w.ctx, a, "mini_review", 1, 1, dry_run=True), ADMIN_ONLY, False),
    "create user": (lambda w, a: usecases.create_user(
        w.ctx, a, f"new_{w.caller}", "password-123", ["staf"]), ADMIN_ONLY, False),
    "list users": (lambda w, a: usecases.list_users(w.ctx, a), ADMIN_ONLY, False),
    "update user": (lambda w, a: usecases.update_user(
        w.ctx, a, _user(w).username, full_name="Seseorang"), ADMIN_ONLY, False),
    "create unit": (lambda w, a: usecases.create_unit(w.ctx, a, f"B_{w.caller}", "Biro B"),
                    ADMIN_ONLY, False),
    "update unit": (lambda w, a: usecases.update_unit(w.ctx, a, "A", name="Biro A baru"),
                    ADMIN_ONLY, False),
    "list units": (lambda w, a: usecases.list_units(w.ctx), EVERYONE, False),
    "calendar year": (lambda w, a: usecases.calendar_year(w.ctx, 2026), EVERYONE, False),
    "close a calendar day": (lambda w, a: usecases.set_calendar_day(
        w.ctx, a, date(2026, 12, 24), True, "Cuti bersama"), ADMIN_ONLY, False),
    "list a task's LKj drafts": (lambda w, a: usecases.list_drafts(w.ctx, a, w.task.id),
                                 SEES_DRAFT, False),
    # no archive exists in this world: its readers learn that (404), the others may not ask
    "get a year's LKj archive": (lambda w, a: usecases.get_archive(w.ctx, a, 2026),
                                 only("forbidden", admin="hidden", auditor="hidden",
                                      kepala_biro="hidden"), False),
    # public: no caller at all; nothing is published in this world
    "published LKj years": (lambda w, a: usecases.published_years(w.ctx), EVERYONE, False),
    "published LKj of a year": (lambda w, a: usecases.published_lkj(w.ctx, 2026),
                                only("hidden"), False),
    "instance documents": (lambda w, a: usecases.instance_documents(w.ctx, a, w.instance.id),
                           READS_INSTANCE, False),
    "instance timeline": (lambda w, a: usecases.instance_timeline(w.ctx, a, w.instance.id),
                          READS_INSTANCE, False),
    "instance diagram": (lambda w, a: usecases.instance_diagram(w.ctx, a, w.instance.id),
                         READS_INSTANCE, False),
    # nobody waits for this message in this world: its senders learn that (404)
    "correlate a message": (lambda w, a: usecases.correlate_message(w.ctx, a, "tidak_ada"),
                            only("forbidden", admin="hidden", worker="hidden"), False),
    "broadcast a signal": (lambda w, a: usecases.broadcast_signal(w.ctx, a, "tidak_ada"),
                           only("forbidden", admin="ok", worker="ok"), False),
    # no external task waits in this world: workers learn that (404 or an empty fetch)
    "fetch and lock external tasks": (lambda w, a: usecases.fetch_and_lock(
        w.ctx, a, "w1", [{"name": "kirim", "lock_duration_ms": 1000}], 1),
        only("forbidden", admin="ok", worker="ok"), False),
    "complete an external task": (lambda w, a: usecases.complete_external_task(
        w.ctx, a, "tidak-ada", "w1", {}), only("forbidden", admin="hidden", worker="hidden"),
        False),
    "raise a BPMN error on an external task": (lambda w, a: usecases.external_task_bpmn_error(
        w.ctx, a, "tidak-ada", "w1", "E1"), only("forbidden", admin="hidden", worker="hidden"),
        False),
    "report an external task's failure": (lambda w, a: usecases.external_task_failure(
        w.ctx, a, "tidak-ada", "w1", "mati", None, 1, 0),
        only("forbidden", admin="hidden", worker="hidden"), False),
    "extend an external task's lock": (lambda w, a: usecases.extend_external_task_lock(
        w.ctx, a, "tidak-ada", "w1", 1000), only("forbidden", admin="hidden", worker="hidden"),
        False),
    "unlock an external task": (lambda w, a: usecases.unlock_external_task(
        w.ctx, a, "tidak-ada"), only("forbidden", admin="hidden", worker="hidden"), False),
    "list external tasks": (lambda w, a: usecases.list_external_tasks(w.ctx, a),
                            only("forbidden", admin="ok", worker="ok"), False),
    "get an external task": (lambda w, a: usecases.get_external_task(w.ctx, a, "tidak-ada"),
                             only("forbidden", admin="hidden", worker="hidden"), False),
    "set an external task's retries": (lambda w, a: usecases.set_external_task_retries(
        w.ctx, a, "tidak-ada", 1), only("forbidden", admin="hidden"), False),
    # failed steps and timers; none failed in this world: an admin learns that (404)
    "list pending steps": (lambda w, a: usecases.list_pending_steps(w.ctx, a), AUDIT, False),
    "retry a pending step": (lambda w, a: usecases.retry_pending_step(
        w.ctx, a, f"{w.instance.id}:failed", 1), only("forbidden", admin="hidden"), False),
    "statistics of every version": (lambda w, a: usecases.version_statistics(w.ctx, a),
                                    AUDIT, False),
    "statistics of a version's elements": (lambda w, a: usecases.element_statistics(
        w.ctx, a, "mini_review", 1), AUDIT, False),
    # everyone gets the list; what it holds follows may_start (tests/api/test_following.py)
    "startable processes": (lambda w, a: usecases.startable_processes(w.ctx, a), EVERYONE,
                            False),
}


def _outcome(run) -> str:
    try:
        run()
    except Forbidden:
        return "forbidden"
    except NotFound:
        return "hidden"
    except Conflict:
        return "conflict"
    return "ok"


def test_the_table_names_every_command_the_engine_offers():
    """A new command must get a row here: the table is the policy's test."""
    offered = {name for name in usecases.__all__ if callable(getattr(usecases, name))}
    covered = {"list_tasks", "get_task", "get_task_form", "get_task_variables", "claim_task",
               "unclaim_task", "reassign_task", "complete_task", "start_instance", "get_instance",
               "list_instances", "get_instance_variables", "set_instance_variables",
               "upload_document", "get_document", "document_path",
               "instance_history", "replay_instance", "audit_bundle", "completed_tasks",
               "activity_history", "count_activity_history", "user_operations",
               "incident_history",
               "sla_report", "deploy", "check_deployment", "deployable_files", "validation_report",
               "list_definitions",
               "definition_versions", "definition_xml", "definition_forms",
               "suspend_instance",
               "resume_instance", "terminate_instance", "retry_instance", "migrate_instance",
               "migrate_version", "create_user", "list_users", "update_user", "get_user",
               "authenticate", "sign_in", "user_of_token", "user_of_credentials",
               "change_own_password",
               "restore_admin", "create_unit", "update_unit", "list_units",
               "calendar_year", "set_calendar_day", "reset_calendar_day",
               "lease_due_timers", "fire_timers", "correlate_message", "broadcast_signal", "Reached",
               "schedule_start_timers", "start_due_timers", "fetch_and_lock",
               "complete_external_task", "external_task_bpmn_error", "external_task_failure",
               "extend_external_task_lock", "unlock_external_task", "list_external_tasks",
               "LockedTask", "upgrade_database", "database_behind",
               "verify_audit_bundle", "sla_to_csv", "sla_to_json", "operational_counts",
               "OperationalCounts", "list_drafts", "get_archive", "published_years",
               "published_lkj", "lease_report_jobs", "run_report_job", "run_report_jobs",
               "verify_lkj_archive", "instance_documents", "instance_timeline",
               "instance_diagram", "startable_processes", "list_deployments",
               "get_deployment", "delete_version", "delete_deployment", "suspend_definition",
               "resume_definition", "list_groups", "create_group", "delete_group",
               "group_members", "add_member", "remove_member", "known_groups",
               "deploy_procedure_folder", "search_instances",
               "version_load", "check_instance_chain", "list_outbox",
               "retry_outbox_message", "get_external_task", "set_external_task_retries",
               "list_pending_steps", "retry_pending_step", "version_statistics",
               "element_statistics"}
    # Not in the table, and why: document_path is get_document plus a path; get_user,
    # authenticate, sign_in, user_of_token and user_of_credentials establish who the
    # caller is;
    # change_own_password acts on the caller itself, whatever its roles (tests/engine/
    # test_users_*.py); check_deployment, deployable_files and verify_audit_bundle read only
    # their input;
    # restore_admin, lease_due_timers, fire_timers, *_report_job(s), upgrade_database and
    # database_behind are for operators and workers (no caller); verify_lkj_archive reads
    # only its input; known_groups feeds the deployment check; deploy_procedure_folder is
    # `lkj serve`'s start (as the system); sla_to_* format a report; operational_counts feeds /metrics, whose
    # access is the API's (README).
    assert offered <= covered, f"commands without a row: {sorted(offered - covered)}"


@pytest.mark.parametrize("command", COMMANDS)
def test_each_caller_gets_what_the_policy_says(ctx, command):
    run, expected, claimed = COMMANDS[command]
    world = World(ctx)
    found = {caller: _outcome(lambda: run(world.fresh(caller, claimed), who))
             for caller, who in CALLERS.items()}
    assert found == expected
