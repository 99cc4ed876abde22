"""Swagger UI at /api/v1/docs, reading /api/v1/openapi.json. Its page, script and style
files come from the flask-swagger-ui package (Swagger UI's own dist files, bundled in the
wheel): the page loads nothing from another host, and says so in its Content-Security-Policy.
"""
from __future__ import annotations

from flask import Blueprint
from flask_swagger_ui import get_swaggerui_blueprint

from api.openapi import TITLE, UNDOCUMENTED

DOCS_URL = "/api/v1/docs"
SPEC_URL = "/api/v1/openapi.json"
NAME = "docs"
assert NAME in UNDOCUMENTED  # build_spec leaves these pages out of the document
# Swagger UI's page starts itself with an inline script and styles parts inline; its icons
# are data: URLs. Nothing else, and nothing from another origin.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline'; "
                           "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                           "connect-src 'self'; frame-ancestors 'none'")


def blueprint() -> Blueprint:
    docs = get_swaggerui_blueprint(DOCS_URL, SPEC_URL, blueprint_name=NAME, config={
        "app_name": f"{TITLE} API",
        # Swagger UI would otherwise send the document to validator.swagger.io for a badge.
        "validatorUrl": None,
        "persistAuthorization": False,
    })
    docs.after_request(_same_origin_only)
    return docs


def _same_origin_only(response):
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response
