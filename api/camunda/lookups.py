"""Camunda ids a view does not carry, looked up once per request: a process's definition
ids by version, an instance's version."""
from __future__ import annotations

from flask import g

from api.camunda import wire
from api.extension import engine_context
from engine import usecases


def definition_id_of(key: str, version: int) -> str | None:
    ids = g.setdefault("camunda_definition_ids", {})
    if key not in ids:
        ids[key] = {d.version: wire.definition_id(d.key, d.version, d.id)
                    for d in usecases.definition_versions(engine_context(), key)}
    return ids[key].get(version)


def definition_id_of_instance(actor, instance_id: str) -> str | None:
    versions = g.setdefault("camunda_instance_versions", {})
    if instance_id not in versions:
        instance = usecases.get_instance(engine_context(), actor, instance_id)
        versions[instance_id] = (instance.definition_key, instance.definition_version)
    return definition_id_of(*versions[instance_id])
