"""wazo-calld's HTTP side (only the trunk statuses): headers in, the rules' answer or error out."""

from __future__ import annotations

import time

from flask import Blueprint, Flask, Response, request

from sandbox import errors
from sandbox.routes import json_response, store
from sandbox.rules import calld as rules

# nginx proxies /api/calld/ to calld's own 127.0.0.1:9500/, whose API lives under /1.0
CALLD_PREFIX = "/api/calld/1.0"

calld = Blueprint("calld", __name__, url_prefix=CALLD_PREFIX)


@calld.get("/trunks")
def list_trunks() -> Response:
    token = request.headers.get("X-Auth-Token", "")
    tenant = request.headers.get("Wazo-Tenant") or None
    # a listing is a write here: it counts down the status changes the test hooks scheduled
    with store().write() as conn:
        tenant_uuid = rules.authenticate(conn, token, rules.TRUNKS_ACL, tenant)
        return json_response(rules.list_trunks(conn, tenant_uuid))


def render_error(error: errors.CalldError) -> Response:
    return json_response(
        {
            "message": error.message,
            "error_id": error.error_id,
            "details": error.details,
            "timestamp": time.time(),
        },
        error.status,
    )


def register(app: Flask, prefix: str) -> None:
    app.register_blueprint(calld, url_prefix=prefix)
    app.register_error_handler(errors.CalldError, render_error)
