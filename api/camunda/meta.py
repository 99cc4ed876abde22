"""`GET /version` and `GET /engine`: what a client asks first (Camunda Modeler tests its
connection with them). Public, like /healthz: they say nothing about processes."""
from flask import Blueprint, jsonify

# The Camunda 7 REST API version whose wire format this layer follows.
CAMUNDA_VERSION = "7.22.0"
ENGINE_NAME = "default"


def add_routes(bp: Blueprint) -> None:
    bp.add_url_rule("/version", "version", lambda: jsonify({"version": CAMUNDA_VERSION}))
    bp.add_url_rule("/engine", "engine", lambda: jsonify([{"name": ENGINE_NAME}]))
