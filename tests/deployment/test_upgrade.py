"""Revision 0011 on a database deployed before it: each version is linked to the files of its
deployment, the start's deployments become folder deployments with their manifest, and the
groups exist."""
from __future__ import annotations

from alembic import command

from engine import usecases
from engine.persistence import schema
from engine.usecases.views import SYSTEM
from tests.conftest import ADMIN, FIXTURES, read_folder

MINI = read_folder(FIXTURES / "mini")


def test_versions_deployed_before_the_revision_keep_working(ctx, settings):
    usecases.deploy(ctx, SYSTEM, *MINI)
    ctx.db.dispose()
    command.downgrade(schema.alembic_config(settings.database_url), "0010_task_subject_phase")
    schema.upgrade(settings.database_url)

    [record] = usecases.list_deployments(ctx, ADMIN)
    assert record.source == "folder"
    assert {r.name: r.definitions for r in record.resources} == {
        name: [{"key": "mini_review", "version": 1}]
        for name in ("review.bpmn", "mini_draft.json", "mini_check.json")}
    assert usecases.definition_xml(ctx, "mini_review", 1) == ("review.bpmn",
                                                               MINI[0]["review.bpmn"])
    # the folder unchanged since: nothing to deploy at the next start
    outcome = usecases.deploy_procedure_folder(ctx, "mini", *MINI)
    assert (outcome.changed, outcome.kept) == ([], [])
    assert not any(v.created for v in usecases.deploy(ctx, ADMIN, *MINI).definitions)
    assert {"admin", "auditor", "staf"} <= usecases.known_groups(ctx)
