"""Who adds documents to an instance, when, and how many (each upload also becomes part of
the instance's tamper-evident history, so it must not be open to everyone)."""
from __future__ import annotations

import dataclasses
import io

import pytest

from engine import usecases
from engine.errors import DocumentQuotaExceeded, Forbidden, InstanceNotRunning
from engine.usecases.context import EngineContext
from tests.conftest import ADMIN, actor

STAF = actor("staf1", "staf")
KABAG = actor("kabag", "kepala_bagian")


def upload(ctx, who, instance_id, content=b"%PDF-1.7"):
    return usecases.upload_document(ctx, who, instance_id, "konsep.pdf", "application/pdf",
                                    io.BytesIO(content))


def event_types(ctx, instance_id):
    return [e.type for e in usecases.instance_history(ctx, ADMIN, instance_id).items]


def test_whoever_works_on_an_open_task_uploads_and_the_history_says_so(ctx, mini_deployed):
    instance = usecases.start_instance(ctx, ADMIN, "mini_review", {})
    document = upload(ctx, STAF, instance.id)  # staf may claim the ready draft
    assert document.uploaded_by == "staf1"
    assert event_types(ctx, instance.id).count("document_uploaded") == 1
    with pytest.raises(Forbidden):  # kepala_bagian reads the instance, works on nothing yet
        upload(ctx, KABAG, instance.id)
    assert event_types(ctx, instance.id).count("document_uploaded") == 1


@pytest.mark.parametrize("stop", [usecases.suspend_instance, usecases.terminate_instance])
def test_nothing_is_added_to_an_instance_that_does_not_run(ctx, mini_deployed, stop):
    instance = usecases.start_instance(ctx, ADMIN, "mini_review", {})
    stop(ctx, ADMIN, instance.id)
    for who in (STAF, ADMIN):
        with pytest.raises(InstanceNotRunning):
            upload(ctx, who, instance.id)
    assert "document_uploaded" not in event_types(ctx, instance.id)


def test_an_instance_holds_a_bounded_number_and_size_of_documents(settings, mini_deployed):
    small = EngineContext(dataclasses.replace(settings, max_documents_per_instance=2,
                                              max_instance_document_bytes=100))
    try:
        instance = usecases.start_instance(small, ADMIN, "mini_review", {})
        upload(small, STAF, instance.id, b"a" * 60)
        with pytest.raises(DocumentQuotaExceeded, match="LKJ_MAX_INSTANCE_DOCUMENT_BYTES"):
            upload(small, STAF, instance.id, b"b" * 41)
        upload(small, STAF, instance.id, b"c" * 40)
        with pytest.raises(DocumentQuotaExceeded, match="LKJ_MAX_DOCUMENTS_PER_INSTANCE"):
            upload(small, ADMIN, instance.id, b"d")
        assert event_types(small, instance.id).count("document_uploaded") == 2
    finally:
        small.close()
