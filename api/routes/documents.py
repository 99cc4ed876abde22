"""Documents uploaded to a process instance, referenced from form fields by id."""
import re

from flask import Blueprint, jsonify, request, send_file, url_for

from api.auth import authenticated
from api.errors import bad_request
from api.extension import engine_context
from api.openapi import operation
from api.schemas import DocumentPath, DocumentSchema, InstancePath, shared
from engine import usecases
from engine.errors import InvalidInput

bp = Blueprint("documents", __name__, url_prefix="/api/v1")
FILE_FIELD = "file"
# The part's declared type is served back as the download's Content-Type: a media type
# (RFC 9110 tokens, parameters dropped), at most as long as the stored column.
MEDIA_TYPE = re.compile(r"[!#$%&'*+.^_`|~0-9a-z-]+/[!#$%&'*+.^_`|~0-9a-z-]+")


@bp.post("/process-instances/<instance_id>/documents")
@operation("Upload a document to an instance", path=InstancePath, upload=FILE_FIELD,
           response=DocumentSchema, status=201, location=True, errors=(403, 404, 409, 413),
           description="Any file type; the part's Content-Type (without parameters, at most "
                       f"{usecases.CONTENT_TYPE_MAX_LENGTH} characters) is kept and served "
                       "back with the content (application/octet-stream when the part names "
                       "none). Added by an admin or by whoever holds or may claim an open "
                       "task of the instance (else 403), only while the instance runs, and "
                       "within its quota of documents and bytes (else 409).")
@authenticated
def upload_document(actor, instance_id):
    if request.mimetype != "multipart/form-data":
        raise bad_request(f"Send the document as multipart/form-data in the field '{FILE_FIELD}'")
    upload = request.files.get(FILE_FIELD)
    if upload is None:
        raise InvalidInput("No file was sent", {FILE_FIELD: ["a file is required"]})
    content_type = upload.mimetype or None
    problems = []
    if "\x00" in (upload.filename or ""):
        problems.append("the file name must not contain the NUL character")
    if content_type and not (MEDIA_TYPE.fullmatch(content_type)
                             and len(content_type) <= usecases.CONTENT_TYPE_MAX_LENGTH):
        problems.append(f"the part's Content-Type is not a media type of at most "
                        f"{usecases.CONTENT_TYPE_MAX_LENGTH} characters")
    if problems:
        raise InvalidInput("The document cannot be stored", {FILE_FIELD: problems})
    document = usecases.upload_document(engine_context(), actor, instance_id, upload.filename,
                                        content_type, upload.stream)
    return jsonify(shared(DocumentSchema).dump(document)), 201, {
        "Location": url_for("documents.get_document", document_id=document.id)}


@bp.get("/documents/<document_id>")
@operation("A document's metadata", path=DocumentPath, response=DocumentSchema, errors=(404,))
@authenticated
def get_document(actor, document_id):
    document = usecases.get_document(engine_context(), actor, document_id)
    return jsonify(shared(DocumentSchema).dump(document))


@bp.get("/documents/<document_id>/content")
@operation("Download a document", path=DocumentPath, download="*/*", errors=(404,),
           description="Served with the Content-Type it was uploaded with.")
@authenticated
def get_document_content(actor, document_id):
    document, path = usecases.document_path(engine_context(), actor, document_id)
    response = send_file(path, mimetype=document.content_type, as_attachment=True,
                         download_name=document.filename, etag=document.sha256,
                         conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-cache"
    return response
