"""Engine-wide resources: the version the Modeler reports and the engine list."""

from __future__ import annotations

from flask import Blueprint
from flask import current_app
from flask import jsonify
from flask import request

from web.rest import guard
from web.rest.blueprint import bp

# The Camunda 7 version whose REST API this one follows; the Modeler lints diagrams
# against the version it reads here.
COMPATIBLE_VERSION = "7.24.0"

wellknown_bp = Blueprint("camunda_wellknown", __name__)
guard.open_api(wellknown_bp)


@bp.get("/version")
def version():
    return jsonify({"version": current_app.config.get("CAMUNDA_VERSION", COMPATIBLE_VERSION)})


@bp.get("/engine")
def engines():
    return jsonify([{"name": current_app.config.get("ENGINE_NAME", "default")}])


@wellknown_bp.get("/.well-known/camunda-automation-platform/webapps")
def webapps():
    """Where the Modeler's "deployed" message links to: our own web app, not Cockpit."""
    root = request.url_root
    return jsonify({"cockpitUrl": root, "tasklistUrl": root, "adminUrl": root})
