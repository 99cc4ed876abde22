"""What anyone may read without signing in (standard §J.3): the LKj of each year once Biro TI
has put it on the ministry's website, and a page listing them with their fingerprints.
Nothing else is public (engine/usecases/policy.py)."""
import base64
import html

from flask import Blueprint, Response, send_file, url_for

from api.extension import engine_context
from api.openapi import operation
from engine import usecases

bp = Blueprint("public", __name__, url_prefix="/public")
# A published file is shown as it is, never run: no scripts, no plugins, no embedding.
FILE_POLICY = "default-src 'none'; sandbox"
PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


@bp.get("/lkj")
@operation("A page (text/html) listing every published LKj with its sha256 fingerprint",
           description="No sign-in. One line per year, newest first, linking to "
                       "/public/lkj/{year}.")
def published_years():
    items = "".join(
        f'<li><a href="{html.escape(url_for("public.published_lkj", year=p.year))}">'
        f"Laporan Kinerja Tahun {p.year}</a> ({html.escape(p.filename)}, "
        f"{p.size:,} bita; diterbitkan {p.published_at:%Y-%m-%d})<br>"
        f"<small>SHA-256: <code>{p.sha256}</code></small></li>"
        for p in usecases.published_years(engine_context()))
    body = (
        '<!doctype html><html lang="id"><head><meta charset="utf-8">'
        "<title>Laporan Kinerja Kementerian Sekretariat Negara</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<style>body{font-family:sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}"
        "li{margin:.8rem 0}code{word-break:break-all}</style></head><body>"
        "<h1>Laporan Kinerja Kementerian Sekretariat Negara</h1>"
        + (f"<ul>{items}</ul>" if items else "<p>Belum ada Laporan Kinerja yang diterbitkan.</p>")
        + "<p><small>Sidik SHA-256 memastikan berkas yang diunduh sama dengan yang "
          "ditandatangani Menteri.</small></p></body></html>")
    return Response(body, mimetype="text/html", headers={
        "Content-Security-Policy": PAGE_POLICY, "Cache-Control": "public, max-age=60"})


@bp.get("/lkj/<int:year>")
@operation("The signed LKj of a year, once Biro TI's upload step is done", download=True,
           errors=(404,),
           description="No sign-in. The file the minister's signature carried; its sha256 is "
                       "the ETag and, base64, the Repr-Digest header (RFC 9530). 404 before "
                       "the upload step.")
def published_lkj(year):
    publication, path = usecases.published_lkj(engine_context(), year)
    response = send_file(path, mimetype=publication.content_type, as_attachment=False,
                         download_name=publication.filename, etag=publication.sha256,
                         conditional=True, max_age=300)
    digest = base64.b64encode(bytes.fromhex(publication.sha256)).decode()
    response.headers["Repr-Digest"] = f"sha-256=:{digest}:"
    response.headers["Content-Security-Policy"] = FILE_POLICY
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
