"""The Flask application factory: one engine context, the blueprints, problem+json errors,
path parameters read through their schemas, and Swagger UI at /api/v1/docs."""
from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

from api import camunda, docs, errors, observability
from api.extension import KEY
from api.parsing import path_args
from api.routes import BLUEPRINTS
from engine.settings import Settings
from engine.usecases.context import EngineContext

# Room for the multipart envelope around a document of the largest allowed size.
MULTIPART_OVERHEAD = 64 * 1024


class AsciiIntegerConverter(IntegerConverter):
    """`<int:...>` for ASCII digits only (werkzeug's `\\d` also matches other scripts'
    digits); the value's bounds are the path schema's to check."""
    regex = r"[0-9]+"


def create_app(ctx: EngineContext | None = None, settings: Settings | None = None) -> Flask:
    """The WSGI app. Without `ctx` one is built from `settings` (or the environment)."""
    if ctx is None:
        ctx = EngineContext(settings or Settings.from_env())
    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = ctx.settings.max_document_bytes + MULTIPART_OVERHEAD
    app.json.sort_keys = False
    app.extensions[KEY] = ctx
    app.url_map.converters["int"] = AsciiIntegerConverter  # before any rule is added
    errors.register(app)
    observability.install(app)
    app.url_value_preprocessor(path_args)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.register_blueprint(docs.blueprint())
    camunda.register(app)
    app.after_request(_no_sniffing)
    return app


def _no_sniffing(response):
    # Uploaded documents are served with their declared type; browsers must not guess.
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response
