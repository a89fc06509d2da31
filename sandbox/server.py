"""The WSGI app and werkzeug's threaded server."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response
from werkzeug.exceptions import HTTPException
from werkzeug.serving import BaseWSGIServer, make_server

from sandbox import admin, routes, routes_calld, seed
from sandbox.store import Store

logger = logging.getLogger(__name__)


def _http_error(error: HTTPException) -> Response:
    # flask-restful answers unmatched URLs and methods with a JSON object
    return Response(
        json.dumps({"message": error.description}), status=error.code or 500, mimetype="application/json"
    )


def _unexpected(error: Exception) -> Response:
    logger.exception("unexpected error")
    return Response(json.dumps([f"Unexpected error: {error}"]), status=500, mimetype="application/json")


DEFAULT_PREFIXES = {**routes.DEFAULT_PREFIXES, "calld": routes_calld.CALLD_PREFIX}


def create_app(store: Store, prefixes: Mapping[str, str] | None = None) -> tuple[Flask, admin.HookState]:
    """The app; `prefixes` mounts a service elsewhere than behind nginx (e.g. {"auth": "/0.1"})."""
    mounted = {**DEFAULT_PREFIXES, **(prefixes or {})}
    app = Flask("sandbox")
    app.config["SANDBOX_PREFIXES"] = mounted
    app.extensions["sandbox.store"] = store
    state = admin.HookState()
    app.extensions["sandbox.hooks"] = state
    routes.register(app, mounted)
    routes_calld.register(app, mounted["calld"])
    app.register_blueprint(admin.admin)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
    app.wsgi_app = admin.HookMiddleware(app.wsgi_app, state)  # type: ignore[method-assign]
    return app, state


def open_store(path: Path, reset: bool) -> Store:
    """Open the state file; seed it when new or when asked to start over."""
    path.parent.mkdir(parents=True, exist_ok=True)
    store = Store(path)
    if reset or not store.is_initialized():
        with store.write() as conn:
            store.recreate(conn)
            seed.seed(conn)
    else:
        with store.write() as conn:
            store.add_missing_tables(conn)
    return store


def build_server(
    host: str, port: int, state_path: Path, reset: bool, prefixes: Mapping[str, str] | None = None
) -> tuple[BaseWSGIServer, Store]:
    store = open_store(state_path, reset)
    app, _state = create_app(store, prefixes)
    server: Any = make_server(host, port, app, threaded=True)
    return server, store
