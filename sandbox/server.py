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

from sandbox import admin, migrate, routes, routes_calld, seed
from sandbox.generations import CURRENT, Generation
from sandbox.rules.common import generation
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
    with store.read() as conn:
        gen = generation(conn)
    routes.register(app, gen, mounted)
    routes_calld.register(app, mounted["calld"])
    app.register_blueprint(admin.admin)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
    app.wsgi_app = admin.HookMiddleware(app.wsgi_app, state)  # type: ignore[method-assign]
    return app, state


class StateError(Exception):
    """A state file the sandbox cannot serve as the generation it was asked for."""


def open_store(path: Path, reset: bool, api: Generation | None = None) -> Store:
    """Open the state file; seed it when new or when asked to start over; upgrade it if asked.

    `api` None keeps the generation the state holds (the current one for a new state). A chan_sip
    state started as a PJSIP generation is migrated as Wazo 20.13 migrated its database; there is
    no way back, as on a real Wazo.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    store = Store(path)
    if reset or not store.is_initialized():
        with store.write() as conn:
            store.recreate(conn)
            seed.seed(conn, api or CURRENT)
        return store
    with store.write() as conn:
        store.upgrade_schema(conn)
        stored = generation(conn)
        if api is None or api == stored:
            return store
        if stored.chan_sip and not api.chan_sip:
            migrate.upgrade(conn, api)
            return store
        raise StateError(
            f"{path} holds a Wazo {stored.version} ({stored.api} API) and cannot be served as "
            f"{api.version}: Wazo has no downgrade. Start with --api {stored.version}, or --reset "
            f"to start over as {api.version}"
        )


def build_server(
    host: str,
    port: int,
    state_path: Path,
    reset: bool,
    api: Generation | None = None,
    prefixes: Mapping[str, str] | None = None,
) -> tuple[BaseWSGIServer, Store]:
    store = open_store(state_path, reset, api)
    app, _state = create_app(store, prefixes)
    server: Any = make_server(host, port, app, threaded=True)
    return server, store
