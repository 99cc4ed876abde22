"""Deployments as sets of resources with a name and a source; versions linked to the files
they were built from; suspended processes; role groups as data.

Existing deployments made by the `system` user were folder deployments (`lkj serve`): their
files become the folder's manifest. Every existing version is linked to the files of its own
deployment. The standard's roles, `admin` and `auditor` are seeded as groups (written out
here, as they were when this revision was made). Deleted versions are remembered with their
id, which no later version gets.

Revision ID: 0011_deployments_and_groups
Revises: 0010_task_subject_phase
"""
import json
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0011_deployments_and_groups"
down_revision = "0010_task_subject_phase"
branch_labels = None
depends_on = None

STANDARD_GROUPS = {
    "kepala_biro": "Kepala Biro",
    "kepala_bagian": "Kepala Bagian",
    "kepala_subbagian": "Kepala Subbagian",
    "staf": "Staf",
    "deputi": "Deputi",
    "menteri": "Menteri",
    "biro_tata_usaha": "Biro Tata Usaha",
    "tim": "Tim penyusun LKj",
    "inspektur": "Inspektorat",
    "biro_umum": "Biro Umum",
    "biro_it": "Biro Teknologi Informasi",
    "admin": "Administrators of the engine",
    "auditor": "Auditors (read every instance and its history)",
}


def upgrade() -> None:
    with op.batch_alter_table("deployment") as batch:
        batch.add_column(sa.Column("name", sa.String(200), nullable=True))
        batch.add_column(sa.Column("source", sa.String(20), nullable=False,
                                   server_default="api"))
        batch.add_column(sa.Column("manifest", sa.JSON(), nullable=True))
    op.create_table(
        "definition_resource",
        sa.Column("definition_id", sa.Integer(),
                  sa.ForeignKey("process_definition.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("file_id", sa.Integer(), sa.ForeignKey("deployment_file.id"),
                  primary_key=True),
    )
    op.create_index("ix_definition_resource_file_id", "definition_resource", ["file_id"])
    op.create_table(
        "process_suspension",
        sa.Column("key", sa.String(120), primary_key=True),
        sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("suspended_by", sa.String(80), nullable=False),
    )
    groups = op.create_table(
        "role_group",
        sa.Column("name", sa.String(120), primary_key=True),
        sa.Column("description", sa.String(300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "deleted_definition",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_by", sa.String(80), nullable=False),
    )
    now = datetime.now(timezone.utc)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # as the engine stores times on SQLite
    op.bulk_insert(groups, [{"name": name, "description": description, "created_at": now}
                            for name, description in STANDARD_GROUPS.items()])
    _describe_existing_deployments()


def _describe_existing_deployments() -> None:
    bind = op.get_bind()
    files = sa.table("deployment_file", sa.column("id"), sa.column("deployment_id"),
                     sa.column("filename"), sa.column("kind"), sa.column("sha256"))
    by_deployment: dict[int, dict[str, tuple[int, str, str]]] = {}
    for row in bind.execute(sa.select(files.c.id, files.c.deployment_id, files.c.filename,
                                      files.c.kind, files.c.sha256)):
        by_deployment.setdefault(row.deployment_id, {})[row.filename] = (row.id, row.kind,
                                                                         row.sha256)
    deployments = sa.table("deployment", sa.column("id"), sa.column("deployed_by"),
                           sa.column("source"), sa.column("manifest", sa.JSON()))
    for row in bind.execute(sa.select(deployments.c.id, deployments.c.deployed_by)):
        if row.deployed_by == "system":
            manifest = {name: sha for name, (_, _, sha) in by_deployment.get(row.id, {}).items()}
            bind.execute(deployments.update().where(deployments.c.id == row.id)
                         .values(source="folder", manifest=manifest))
    definitions = sa.table("process_definition", sa.column("id"), sa.column("deployment_id"),
                           sa.column("files"), sa.column("forms"))
    links = sa.table("definition_resource", sa.column("definition_id"), sa.column("file_id"))
    for row in bind.execute(sa.select(definitions.c.id, definitions.c.deployment_id,
                                      definitions.c.files, definitions.c.forms)):
        stored = by_deployment.get(row.deployment_id, {})
        diagram_names = _json(row.files) or []
        form_names = [f"{key}.json" for key in (_json(row.forms) or {})]
        ids = {stored[name][0] for name in [*diagram_names, *form_names] if name in stored}
        for file_id in sorted(ids):
            bind.execute(links.insert().values(definition_id=row.id, file_id=file_id))


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def downgrade() -> None:
    op.drop_table("deleted_definition")
    op.drop_table("role_group")
    op.drop_table("process_suspension")
    op.drop_index("ix_definition_resource_file_id", table_name="definition_resource")
    op.drop_table("definition_resource")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): rebuilding the table, as batch mode
    # would, fails on the files and versions that refer to its rows.
    for column in ("manifest", "source", "name"):
        op.drop_column("deployment", column)
