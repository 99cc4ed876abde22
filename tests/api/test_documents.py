"""Documents: upload to an instance, reference from a form field, download intact."""
from __future__ import annotations

import hashlib
import io

from tests.api.helpers import assert_aware, assert_problem

CONTENT = "Laporan Kinerja 2025 — lampiran IKU\n".encode() * 500


def upload(client, instance_id, headers, content=CONTENT, filename="lampiran iku.pdf",
           content_type="application/pdf"):
    return client.post(f"/api/v1/process-instances/{instance_id}/documents", headers=headers,
                       data={"file": (io.BytesIO(content), filename, content_type)})


def test_upload_then_download_gives_the_same_bytes(client, login, mini_instance):
    staf = login("staf1", "staf")
    response = upload(client, mini_instance["id"], staf)
    assert response.status_code == 201
    document = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/documents/{document['id']}")
    assert document["sha256"] == hashlib.sha256(CONTENT).hexdigest()
    assert document["size"] == len(CONTENT)
    assert (document["filename"], document["content_type"], document["uploaded_by"]) == (
        "lampiran iku.pdf", "application/pdf", "staf1")
    assert document["process_instance_id"] == mini_instance["id"]
    assert_aware(document["uploaded_at"])

    kabag = login("kabag", "kepala_bagian")  # another reader of the procedure
    assert client.get(f"/api/v1/documents/{document['id']}", headers=kabag).get_json() == document
    content = client.get(f"/api/v1/documents/{document['id']}/content", headers=kabag)
    assert content.status_code == 200
    assert content.data == CONTENT
    assert hashlib.sha256(content.data).hexdigest() == document["sha256"]
    assert content.mimetype == "application/pdf"
    assert content.headers["ETag"].strip('"') == document["sha256"]
    disposition = content.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and "lampiran" in disposition
    # The ETag is good for a conditional download.
    again = client.get(f"/api/v1/documents/{document['id']}/content",
                       headers={**kabag, "If-None-Match": content.headers["ETag"]})
    assert again.status_code == 304


def test_a_document_is_referenced_from_a_form_field(client, login, mini_instance):
    [task] = mini_instance["open_tasks"]
    staf = login("staf1", "staf")
    document = upload(client, mini_instance["id"], staf).get_json()
    client.post(f"/api/v1/tasks/{task['id']}/claim", headers=staf)
    url = f"/api/v1/tasks/{task['id']}/complete"
    unknown = client.post(url, headers=staf, json={"data": {
        "title": "Konsep", "attachment": "00000000-0000-0000-0000-000000000000"}})
    assert_problem(unknown, 422, field="attachment")
    done = client.post(url, headers=staf, json={"data": {"title": "Konsep",
                                                         "attachment": document["id"]}})
    assert done.status_code == 200


def test_a_document_of_another_instance_does_not_fit_the_form(client, login, mini_instance):
    biro = login("biro", "kepala_biro")
    other = client.post("/api/v1/process-definitions/mini_review/instances",
                        headers=biro).get_json()
    staf = login("staf1", "staf")
    foreign = upload(client, other["id"], staf).get_json()
    [task] = mini_instance["open_tasks"]
    client.post(f"/api/v1/tasks/{task['id']}/claim", headers=staf)
    response = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=staf,
                           json={"data": {"title": "Konsep", "attachment": foreign["id"]}})
    assert_problem(response, 422, field="attachment")


def test_an_upload_needs_a_file_in_multipart(client, login, mini_instance):
    staf = login("staf1", "staf")
    url = f"/api/v1/process-instances/{mini_instance['id']}/documents"
    wrong_field = {"attachment": (io.BytesIO(b"x"), "x.txt")}
    assert_problem(client.post(url, headers=staf, data=wrong_field), 422, field="file")
    assert_problem(client.post(url, headers=staf, json={"file": "x"}), 400)


def test_documents_of_unseen_instances_are_404(client, login, mini_instance):
    document = upload(client, mini_instance["id"], login("staf1", "staf")).get_json()
    outsider = login("dep", "deputi")
    assert_problem(upload(client, mini_instance["id"], outsider), 404)
    assert_problem(client.get(f"/api/v1/documents/{document['id']}", headers=outsider), 404)
    assert_problem(client.get(f"/api/v1/documents/{document['id']}/content",
                              headers=outsider), 404)
    assert_problem(upload(client, "no-such-instance", login("staf1", "staf")), 404)
