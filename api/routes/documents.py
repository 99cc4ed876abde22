"""Documents uploaded to a process instance, referenced from form fields by id."""
from flask import Blueprint, jsonify, request, send_file, url_for

from api.auth import authenticated
from api.errors import bad_request
from api.extension import engine_context
from api.openapi import operation
from api.schemas import DocumentSchema, shared
from engine import usecases
from engine.errors import InvalidInput

bp = Blueprint("documents", __name__, url_prefix="/api/v1")
FILE_FIELD = "file"


@bp.post("/process-instances/<instance_id>/documents")
@operation("Upload a document to an instance", upload=FILE_FIELD, response=DocumentSchema,
           status=201, location=True, errors=(404, 413))
@authenticated
def upload_document(actor, instance_id):
    if request.mimetype != "multipart/form-data":
        raise bad_request(f"Send the document as multipart/form-data in the field '{FILE_FIELD}'")
    upload = request.files.get(FILE_FIELD)
    if upload is None:
        raise InvalidInput("No file was sent", {FILE_FIELD: ["a file is required"]})
    document = usecases.upload_document(engine_context(), actor, instance_id, upload.filename,
                                        upload.mimetype or None, upload.stream)
    return jsonify(shared(DocumentSchema).dump(document)), 201, {
        "Location": url_for("documents.get_document", document_id=document.id)}


@bp.get("/documents/<document_id>")
@operation("A document's metadata", response=DocumentSchema, errors=(404,))
@authenticated
def get_document(actor, document_id):
    document = usecases.get_document(engine_context(), actor, document_id)
    return jsonify(shared(DocumentSchema).dump(document))


@bp.get("/documents/<document_id>/content")
@operation("Download a document", download=True, errors=(404,))
@authenticated
def get_document_content(actor, document_id):
    document, path = usecases.document_path(engine_context(), actor, document_id)
    response = send_file(path, mimetype=document.content_type, as_attachment=True,
                         download_name=document.filename, etag=document.sha256,
                         conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-cache"
    return response
