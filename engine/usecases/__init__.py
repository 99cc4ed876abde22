"""Engine commands: one function per use case, each one database transaction.

A command takes the context and the acting user, checks what the actor may do, loads what
it needs, acts, runs the instance to its next wait states, writes the instance state and the
task rows, and returns views. It raises `engine.errors` exceptions; it never half-writes.

One module per resource; callers use them through this package (`usecases.claim_task`).
"""
from engine.persistence.event_log import EVENT_TYPES
from engine.usecases.administration import (
    migrate_instance,
    migrate_version,
    resume_instance,
    retry_instance,
    suspend_instance,
    terminate_instance,
)
from engine.usecases.auditing import (
    audit_bundle,
    completed_tasks,
    instance_history,
    replay_instance,
)
from engine.usecases.deployments import (
    check_deployment,
    definition_versions,
    definition_xml,
    deploy,
    list_definitions,
)
from engine.usecases.documents import document_path, get_document, upload_document
from engine.usecases.following import (
    instance_diagram,
    instance_documents,
    instance_timeline,
    startable_processes,
)
from engine.usecases.instances import get_instance, list_instances, start_instance
from engine.usecases.operations import (
    database_behind,
    upgrade_database,
    verify_audit_bundle,
)
from engine.usecases.reports import sla_report, sla_to_csv, sla_to_json
from engine.usecases.shared import (
    INSTANCE_STATUSES,
    MAX_PAGE,
    OPEN_STATES,
    TASK_SORTS,
    TASK_STATES,
)
from engine.usecases.signing_in import (
    authenticate,
    change_own_password,
    sign_in,
    user_of_token,
)
from engine.usecases.tasks import (
    TASK_COUNT_CAP,
    TASK_COUNTS,
    MAX_SEARCH,
    claim_task,
    complete_task,
    get_task,
    get_task_form,
    get_task_variables,
    list_tasks,
    unclaim_task,
)
from engine.usecases.timers import fire_timers, lease_due_timers
from engine.usecases.users import (
    create_unit,
    create_user,
    get_user,
    list_units,
    list_users,
    restore_admin,
    update_unit,
    update_user,
)
from engine.usecases.views import SYSTEM
from engine.usecases.working_calendar import (
    calendar_year,
    reset_calendar_day,
    set_calendar_day,
)

__all__ = [
    "EVENT_TYPES",
    "INSTANCE_STATUSES",
    "MAX_PAGE",
    "OPEN_STATES",
    "TASK_SORTS",
    "TASK_STATES",
    "SYSTEM",
    "authenticate",
    "sign_in",
    "user_of_token",
    "change_own_password",
    "get_user",
    "create_user",
    "update_user",
    "list_users",
    "restore_admin",
    "create_unit",
    "update_unit",
    "list_units",
    "deploy",
    "check_deployment",
    "definition_versions",
    "definition_xml",
    "list_definitions",
    "start_instance",
    "get_instance",
    "list_instances",
    "TASK_COUNT_CAP",
    "TASK_COUNTS",
    "MAX_SEARCH",
    "list_tasks",
    "get_task",
    "get_task_form",
    "get_task_variables",
    "claim_task",
    "unclaim_task",
    "complete_task",
    "upload_document",
    "get_document",
    "document_path",
    "suspend_instance",
    "resume_instance",
    "terminate_instance",
    "retry_instance",
    "migrate_instance",
    "migrate_version",
    "lease_due_timers",
    "fire_timers",
    "instance_history",
    "replay_instance",
    "audit_bundle",
    "completed_tasks",
    "calendar_year",
    "set_calendar_day",
    "reset_calendar_day",
    "sla_report",
    "upgrade_database",
    "database_behind",
    "verify_audit_bundle",
    "sla_to_csv",
    "sla_to_json",
    "instance_documents",
    "instance_timeline",
    "instance_diagram",
    "startable_processes",
]
