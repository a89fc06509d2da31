"""HTTP translation only: URLs, headers and bodies in; the rules' results and errors out."""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import yaml
from flask import Blueprint, Flask, Response, current_app, request

from sandbox import errors
from sandbox.generations import Generation
from sandbox.rules import (
    auth,
    chan_sip,
    contexts,
    extensions,
    incalls,
    outcalls,
    sip,
    tenants,
    trunks,
    users,
)
from sandbox.rules.common import Caller, generation, parse_list_params
from sandbox.store import Store

CONFD_PREFIX = "/api/confd/1.1"
AUTH_PREFIX = "/api/auth/0.1"

# confd's routes of every generation, then the ones only one generation has: the PJSIP API
# (20.13 and later) or the chan_sip API (20.12 and before); the app registers one of the two
confd = Blueprint("confd", __name__, url_prefix=CONFD_PREFIX)
confd_pjsip = Blueprint("confd_pjsip", __name__, url_prefix=CONFD_PREFIX)
confd_chan_sip = Blueprint("confd_chan_sip", __name__, url_prefix=CONFD_PREFIX)
wazo_auth = Blueprint("wazo_auth", __name__, url_prefix=AUTH_PREFIX)
CONFD_BLUEPRINTS = {confd.name, confd_pjsip.name, confd_chan_sip.name}

F = TypeVar("F", bound=Callable[..., Response])


def store() -> Store:
    result: Store = current_app.extensions["sandbox.store"]
    return result


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = "" if data is None else json.dumps(data)
    response = Response(body, status=status, mimetype="application/json")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def no_content() -> Response:
    return json_response(None, 204)


def created(caller: Caller, data: dict[str, Any], path: str) -> Response:
    return json_response(data, 201, {"Location": caller.href(path)})


def body() -> Any:
    """confd parses every body as JSON whatever the Content-Type; missing or broken is a 400.

    Before 25.15 a body without a JSON Content-Type was not read: the rules see None, as `{}`.
    """
    gen: Generation = current_app.extensions["sandbox.generation"]
    if not gen.body_json_forced and not request.is_json:
        return None
    raw = request.get_data(cache=True)
    if not raw:
        raise errors.BadBody()
    try:
        return json.loads(raw)
    except ValueError:
        raise errors.BadBody() from None


def service_prefix(service: str) -> str:
    """Where a service is mounted: nginx's path by default, another one when the sandbox was told."""
    prefix: str = current_app.config["SANDBOX_PREFIXES"][service]
    return prefix


def confd_base_url() -> str:
    return request.host_url.rstrip("/") + service_prefix("confd")


def authorize(acl: str, master_only: bool = False) -> Callable[[F], F]:
    """Check X-Auth-Token against the route's ACL (path values substituted) and Wazo-Tenant."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(**kwargs: Any) -> Response:
            required = acl.format(**{key: str(value).replace(".", "_") for key, value in kwargs.items()})
            token = request.headers.get("X-Auth-Token", "")
            tenant = request.headers.get("Wazo-Tenant") or None
            with store().read() as conn:
                caller = auth.authenticate(conn, token, required, tenant, confd_base_url(), master_only)
            return view(caller, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def render_error(error: errors.SandboxError) -> Response:
    if isinstance(error, errors.MethodNotAllowed):
        return json_response(None, 405)
    return json_response(error.messages, error.status)


def render_auth_error(error: errors.AuthError) -> Response:
    return json_response(
        {"reason": error.reasons, "timestamp": [time.time()], "status_code": error.status}, error.status
    )


def list_args() -> Any:
    return parse_list_params(request.args.to_dict(flat=True))


# -- the API spec (the one route without authentication) -----------------------------------


@confd.get("/api/api.yml")
def api_spec() -> Response:
    """A reduced spec; its paths tell the generations apart (`/registers/sip`, `/endpoints/sip/templates`)."""
    paths: dict[str, dict[str, dict[str, str]]] = {}
    prefix = service_prefix("confd")
    for rule in current_app.url_map.iter_rules():
        if rule.endpoint.partition(".")[0] not in CONFD_BLUEPRINTS or rule.rule.endswith("/api/api.yml"):
            continue
        path = re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", r"{\1}", rule.rule[len(prefix) :])
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = {"summary": rule.endpoint}
    spec = {
        "swagger": "2.0",
        "info": {"title": "wazo-confd", "version": "1.1"},
        "basePath": prefix,
        "schemes": ["http"],
        "paths": dict(sorted(paths.items())),
    }
    return Response(yaml.safe_dump(spec), mimetype="application/x-yaml")


# -- infos, tenants -------------------------------------------------------------------------


@confd.get("/infos")
@authorize("confd.infos.read")
def get_infos(caller: Caller) -> Response:
    with store().read() as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = 'wazo_uuid'").fetchone()
        version = generation(conn).version
    return json_response({"uuid": row["value"], "wazo_version": version})


@confd_pjsip.get("/tenants")
@authorize("confd.tenants.read")
def list_tenants(caller: Caller) -> Response:
    params = list_args()
    with store().read() as conn:
        return json_response(tenants.list_(conn, caller, params))


@confd_pjsip.get("/tenants/<tenant_uuid>")
@authorize("confd.tenants.{tenant_uuid}.read")
def get_tenant(caller: Caller, tenant_uuid: str) -> Response:
    with store().read() as conn:
        return json_response(tenants.get(conn, caller, tenant_uuid))


@confd_pjsip.route("/tenants", methods=["POST"])
@confd_pjsip.route("/tenants/<tenant_uuid>", methods=["PUT", "DELETE"])
def tenant_read_only(tenant_uuid: str | None = None) -> Response:
    raise errors.MethodNotAllowed()


# -- contexts -------------------------------------------------------------------------------


@confd.get("/contexts")
@authorize("confd.contexts.read")
def list_contexts(caller: Caller) -> Response:
    params = list_args()
    with store().read() as conn:
        return json_response(contexts.list_(conn, caller, params))


@confd.post("/contexts")
@authorize("confd.contexts.create")
def create_context(caller: Caller) -> Response:
    data = body()
    with store().write() as conn:
        result = contexts.create(conn, caller, data)
    return created(caller, result, f"contexts/{result['id']}")


@confd.get("/contexts/<int:context_id>")
@authorize("confd.contexts.{context_id}.read")
def get_context(caller: Caller, context_id: int) -> Response:
    with store().read() as conn:
        return json_response(contexts.get(conn, caller, context_id))


@confd.put("/contexts/<int:context_id>")
@authorize("confd.contexts.{context_id}.update")
def update_context(caller: Caller, context_id: int) -> Response:
    data = body
    with store().write() as conn:
        contexts.update(conn, caller, context_id, data)
    return no_content()


@confd.delete("/contexts/<int:context_id>")
@authorize("confd.contexts.{context_id}.delete")
def delete_context(caller: Caller, context_id: int) -> Response:
    with store().write() as conn:
        contexts.delete(conn, caller, context_id)
    return no_content()


@confd.put("/contexts/<int:context_id>/contexts")
@authorize("confd.contexts.{context_id}.contexts.update")
def update_context_includes(caller: Caller, context_id: int) -> Response:
    data = body
    with store().write() as conn:
        contexts.set_includes(conn, caller, context_id, data)
    return no_content()


@confd.get("/contexts/<int:context_id>/ranges/<any(user, group, queue, conference, incall):range_type>")
@authorize("confd.contexts.{context_id}.ranges.{range_type}.read")
def get_context_ranges(caller: Caller, context_id: int, range_type: str) -> Response:
    availability = request.args.get("availability", "available")
    with store().read() as conn:
        return json_response(contexts.ranges(conn, caller, context_id, range_type, availability))


# -- SIP transports, endpoints, templates ----------------------------------------------------


@confd.get("/sip/transports")
@authorize("confd.sip.transports.read")
def list_transports(caller: Caller) -> Response:
    params = list_args()
    with store().read() as conn:
        return json_response(sip.list_transports(conn, params))


@confd.post("/sip/transports")
@authorize("confd.sip.transports.create", master_only=True)
def create_transport(caller: Caller) -> Response:
    data = body()
    with store().write() as conn:
        result = sip.create_transport(conn, data)
    return created(caller, result, f"sip/transports/{result['uuid']}")


@confd.get("/sip/transports/<uuid:transport_uuid>")
@authorize("confd.sip.transports.{transport_uuid}.read")
def get_transport(caller: Caller, transport_uuid: Any) -> Response:
    with store().read() as conn:
        return json_response(sip.get_transport(conn, str(transport_uuid)))


@confd.put("/sip/transports/<uuid:transport_uuid>")
@authorize("confd.sip.transports.{transport_uuid}.update", master_only=True)
def update_transport(caller: Caller, transport_uuid: Any) -> Response:
    data = body
    with store().write() as conn:
        sip.update_transport(conn, str(transport_uuid), data)
    return no_content()


@confd.delete("/sip/transports/<uuid:transport_uuid>")
@authorize("confd.sip.transports.{transport_uuid}.delete", master_only=True)
def delete_transport(caller: Caller, transport_uuid: Any) -> Response:
    with store().write() as conn:
        sip.delete_transport(conn, str(transport_uuid))
    return no_content()


def _sip_routes(prefix: str, acl: str, key: str, template: bool) -> None:
    def list_view(caller: Caller) -> Response:
        params = list_args()
        with store().read() as conn:
            return json_response(sip.list_(conn, caller, params, template))

    def create_view(caller: Caller) -> Response:
        data = body()
        with store().write() as conn:
            result = sip.create(conn, caller, data, template)
        return created(caller, result, f"{prefix.lstrip('/')}/{result['uuid']}")

    def get_view(caller: Caller, **kwargs: Any) -> Response:
        view = request.args.get("view")
        with store().read() as conn:
            return json_response(sip.get(conn, caller, str(kwargs[key]), template, view))

    def update_view(caller: Caller, **kwargs: Any) -> Response:
        data = body
        with store().write() as conn:
            sip.update(conn, caller, str(kwargs[key]), data, template)
        return no_content()

    def delete_view(caller: Caller, **kwargs: Any) -> Response:
        with store().write() as conn:
            sip.delete(conn, caller, str(kwargs[key]), template)
        return no_content()

    name = "template" if template else "endpoint"
    item = f"{prefix}/<uuid:{key}>"
    bp = confd_pjsip
    bp.add_url_rule(prefix, f"list_{name}", authorize(f"{acl}.read")(list_view), methods=["GET"])
    bp.add_url_rule(prefix, f"create_{name}", authorize(f"{acl}.create")(create_view), methods=["POST"])
    bp.add_url_rule(item, f"get_{name}", authorize(f"{acl}.{{{key}}}.read")(get_view), methods=["GET"])
    bp.add_url_rule(
        item, f"update_{name}", authorize(f"{acl}.{{{key}}}.update")(update_view), methods=["PUT"]
    )
    bp.add_url_rule(
        item, f"delete_{name}", authorize(f"{acl}.{{{key}}}.delete")(delete_view), methods=["DELETE"]
    )


_sip_routes("/endpoints/sip/templates", "confd.endpoints.sip.templates", "template_uuid", template=True)
_sip_routes("/endpoints/sip", "confd.endpoints.sip", "sip_uuid", template=False)


# -- trunks -----------------------------------------------------------------------------------


@confd.get("/trunks")
@authorize("confd.trunks.read")
def list_trunks(caller: Caller) -> Response:
    params = list_args()
    with store().read() as conn:
        return json_response(trunks.list_(conn, caller, params))


@confd.post("/trunks")
@authorize("confd.trunks.create")
def create_trunk(caller: Caller) -> Response:
    data = body()
    with store().write() as conn:
        result = trunks.create(conn, caller, data)
    return created(caller, result, f"trunks/{result['id']}")


@confd.get("/trunks/<int:trunk_id>")
@authorize("confd.trunks.{trunk_id}.read")
def get_trunk(caller: Caller, trunk_id: int) -> Response:
    with store().read() as conn:
        return json_response(trunks.get(conn, caller, trunk_id))


@confd.put("/trunks/<int:trunk_id>")
@authorize("confd.trunks.{trunk_id}.update")
def update_trunk(caller: Caller, trunk_id: int) -> Response:
    data = body
    with store().write() as conn:
        trunks.update(conn, caller, trunk_id, data)
    return no_content()


@confd.delete("/trunks/<int:trunk_id>")
@authorize("confd.trunks.{trunk_id}.delete")
def delete_trunk(caller: Caller, trunk_id: int) -> Response:
    with store().write() as conn:
        trunks.delete(conn, caller, trunk_id)
    return no_content()


@confd_pjsip.put("/trunks/<int:trunk_id>/endpoints/sip/<uuid:sip_uuid>")
@authorize("confd.trunks.{trunk_id}.endpoints.sip.{sip_uuid}.update")
def associate_trunk_endpoint(caller: Caller, trunk_id: int, sip_uuid: Any) -> Response:
    with store().write() as conn:
        trunks.associate_endpoint(conn, caller, trunk_id, str(sip_uuid))
    return no_content()


@confd_pjsip.delete("/trunks/<int:trunk_id>/endpoints/sip/<uuid:sip_uuid>")
@authorize("confd.trunks.{trunk_id}.endpoints.sip.{sip_uuid}.delete")
def dissociate_trunk_endpoint(caller: Caller, trunk_id: int, sip_uuid: Any) -> Response:
    with store().write() as conn:
        trunks.dissociate_endpoint(conn, caller, trunk_id, str(sip_uuid))
    return no_content()


# -- the chan_sip API (20.12 and before): endpoints, registers and their trunk links ------------


@confd_chan_sip.get("/endpoints/sip")
@authorize("confd.endpoints.sip.read")
def list_legacy_endpoints(caller: Caller) -> Response:
    params = list_args()
    with store().read() as conn:
        return json_response(chan_sip.list_(conn, caller, params))


@confd_chan_sip.post("/endpoints/sip")
@authorize("confd.endpoints.sip.create")
def create_legacy_endpoint(caller: Caller) -> Response:
    data = body()
    with store().write() as conn:
        result = chan_sip.create(conn, caller, data)
    return created(caller, result, f"endpoints/sip/{result['id']}")


@confd_chan_sip.get("/endpoints/sip/<int:sip_id>")
@authorize("confd.endpoints.sip.{sip_id}.read")
def get_legacy_endpoint(caller: Caller, sip_id: int) -> Response:
    with store().read() as conn:
        return json_response(chan_sip.get(conn, caller, sip_id))


@confd_chan_sip.put("/endpoints/sip/<int:sip_id>")
@authorize("confd.endpoints.sip.{sip_id}.update")
def update_legacy_endpoint(caller: Caller, sip_id: int) -> Response:
    data = body
    with store().write() as conn:
        chan_sip.update(conn, caller, sip_id, data)
    return no_content()


@confd_chan_sip.delete("/endpoints/sip/<int:sip_id>")
@authorize("confd.endpoints.sip.{sip_id}.delete")
def delete_legacy_endpoint(caller: Caller, sip_id: int) -> Response:
    with store().write() as conn:
        chan_sip.delete(conn, caller, sip_id)
    return no_content()


# the code asks for `confd.registers.*` although register_sip's api.yml documents
# `confd.registers.sip.*` (plugins/register_sip/resource.py at 20.12)
@confd_chan_sip.get("/registers/sip")
@authorize("confd.registers.read")
def list_registers(caller: Caller) -> Response:
    params = list_args()
    with store().read() as conn:
        return json_response(chan_sip.list_registers(conn, caller, params))


@confd_chan_sip.post("/registers/sip")
@authorize("confd.registers.create")
def create_register(caller: Caller) -> Response:
    data = body()
    with store().write() as conn:
        result = chan_sip.create_register(conn, caller, data)
    return created(caller, result, f"registers/sip/{result['id']}")


@confd_chan_sip.get("/registers/sip/<int:register_id>")
@authorize("confd.registers.{register_id}.read")
def get_register(caller: Caller, register_id: int) -> Response:
    with store().read() as conn:
        return json_response(chan_sip.get_register(conn, caller, register_id))


@confd_chan_sip.put("/registers/sip/<int:register_id>")
@authorize("confd.registers.{register_id}.update")
def update_register(caller: Caller, register_id: int) -> Response:
    data = body
    with store().write() as conn:
        chan_sip.update_register(conn, caller, register_id, data)
    return no_content()


@confd_chan_sip.delete("/registers/sip/<int:register_id>")
@authorize("confd.registers.{register_id}.delete")
def delete_register(caller: Caller, register_id: int) -> Response:
    with store().write() as conn:
        chan_sip.delete_register(conn, caller, register_id)
    return no_content()


@confd_chan_sip.put("/trunks/<int:trunk_id>/endpoints/sip/<int:sip_id>")
@authorize("confd.trunks.{trunk_id}.endpoints.sip.{sip_id}.update")
def associate_trunk_legacy_endpoint(caller: Caller, trunk_id: int, sip_id: int) -> Response:
    with store().write() as conn:
        trunks.associate_legacy_endpoint(conn, caller, trunk_id, sip_id)
    return no_content()


@confd_chan_sip.delete("/trunks/<int:trunk_id>/endpoints/sip/<int:sip_id>")
@authorize("confd.trunks.{trunk_id}.endpoints.sip.{sip_id}.delete")
def dissociate_trunk_legacy_endpoint(caller: Caller, trunk_id: int, sip_id: int) -> Response:
    with store().write() as conn:
        trunks.dissociate_legacy_endpoint(conn, caller, trunk_id, sip_id)
    return no_content()


@confd_chan_sip.put("/trunks/<int:trunk_id>/registers/sip/<int:register_id>")
@authorize("confd.trunks.{trunk_id}.registers.sip.{register_id}.update")
def associate_trunk_register(caller: Caller, trunk_id: int, register_id: int) -> Response:
    with store().write() as conn:
        trunks.associate_register(conn, caller, trunk_id, register_id)
    return no_content()


@confd_chan_sip.delete("/trunks/<int:trunk_id>/registers/sip/<int:register_id>")
@authorize("confd.trunks.{trunk_id}.registers.sip.{register_id}.delete")
def dissociate_trunk_register(caller: Caller, trunk_id: int, register_id: int) -> Response:
    with store().write() as conn:
        trunks.dissociate_register(conn, caller, trunk_id, register_id)
    return no_content()


# -- outcalls -------------------------------------------------------------------------------


@confd.get("/outcalls")
@authorize("confd.outcalls.read")
def list_outcalls(caller: Caller) -> Response:
    params = list_args()
    with store().read() as conn:
        return json_response(outcalls.list_(conn, caller, params))


@confd.post("/outcalls")
@authorize("confd.outcalls.create")
def create_outcall(caller: Caller) -> Response:
    data = body()
    with store().write() as conn:
        result = outcalls.create(conn, caller, data)
    return created(caller, result, f"outcalls/{result['id']}")


@confd.get("/outcalls/<int:outcall_id>")
@authorize("confd.outcalls.{outcall_id}.read")
def get_outcall(caller: Caller, outcall_id: int) -> Response:
    with store().read() as conn:
        return json_response(outcalls.get(conn, caller, outcall_id))


@confd.put("/outcalls/<int:outcall_id>")
@authorize("confd.outcalls.{outcall_id}.update")
def update_outcall(caller: Caller, outcall_id: int) -> Response:
    data = body
    with store().write() as conn:
        outcalls.update(conn, caller, outcall_id, data)
    return no_content()


@confd.delete("/outcalls/<int:outcall_id>")
@authorize("confd.outcalls.{outcall_id}.delete")
def delete_outcall(caller: Caller, outcall_id: int) -> Response:
    with store().write() as conn:
        outcalls.delete(conn, caller, outcall_id)
    return no_content()


@confd.put("/outcalls/<int:outcall_id>/trunks")
@authorize("confd.outcalls.{outcall_id}.trunks.update")
def set_outcall_trunks(caller: Caller, outcall_id: int) -> Response:
    data = body
    with store().write() as conn:
        outcalls.set_trunks(conn, caller, outcall_id, data)
    return no_content()


@confd.put("/outcalls/<int:outcall_id>/extensions/<int:extension_id>")
@authorize("confd.outcalls.{outcall_id}.extensions.{extension_id}.update")
def associate_outcall_extension(caller: Caller, outcall_id: int, extension_id: int) -> Response:
    data = body
    with store().write() as conn:
        outcalls.associate_extension(conn, caller, outcall_id, extension_id, data)
    return no_content()


@confd.delete("/outcalls/<int:outcall_id>/extensions/<int:extension_id>")
@authorize("confd.outcalls.{outcall_id}.extensions.{extension_id}.delete")
def dissociate_outcall_extension(caller: Caller, outcall_id: int, extension_id: int) -> Response:
    with store().write() as conn:
        outcalls.dissociate_extension(conn, caller, outcall_id, extension_id)
    return no_content()


# -- extensions -----------------------------------------------------------------------------


@confd.get("/extensions")
@authorize("confd.extensions.read")
def list_extensions(caller: Caller) -> Response:
    params = list_args()
    with store().read() as conn:
        return json_response(extensions.list_(conn, caller, params))


@confd.post("/extensions")
@authorize("confd.extensions.create")
def create_extension(caller: Caller) -> Response:
    data = body()
    with store().write() as conn:
        result = extensions.create(conn, caller, data)
    return created(caller, result, f"extensions/{result['id']}")


@confd.get("/extensions/<int:extension_id>")
@authorize("confd.extensions.{extension_id}.read")
def get_extension(caller: Caller, extension_id: int) -> Response:
    with store().read() as conn:
        return json_response(extensions.get(conn, caller, extension_id))


@confd.put("/extensions/<int:extension_id>")
@authorize("confd.extensions.{extension_id}.update")
def update_extension(caller: Caller, extension_id: int) -> Response:
    data = body
    with store().write() as conn:
        extensions.update(conn, caller, extension_id, data)
    return no_content()


@confd.delete("/extensions/<int:extension_id>")
@authorize("confd.extensions.{extension_id}.delete")
def delete_extension(caller: Caller, extension_id: int) -> Response:
    with store().write() as conn:
        extensions.delete(conn, caller, extension_id)
    return no_content()


# -- incalls --------------------------------------------------------------------------------


@confd.get("/incalls")
@authorize("confd.incalls.read")
def list_incalls(caller: Caller) -> Response:
    params = list_args()
    with store().read() as conn:
        return json_response(incalls.list_(conn, caller, params))


@confd.post("/incalls")
@authorize("confd.incalls.create")
def create_incall(caller: Caller) -> Response:
    data = body()
    with store().write() as conn:
        result = incalls.create(conn, caller, data)
    return created(caller, result, f"incalls/{result['id']}")


@confd.get("/incalls/<int:incall_id>")
@authorize("confd.incalls.{incall_id}.read")
def get_incall(caller: Caller, incall_id: int) -> Response:
    with store().read() as conn:
        return json_response(incalls.get(conn, caller, incall_id))


@confd.put("/incalls/<int:incall_id>")
@authorize("confd.incalls.{incall_id}.update")
def update_incall(caller: Caller, incall_id: int) -> Response:
    data = body
    with store().write() as conn:
        incalls.update(conn, caller, incall_id, data)
    return no_content()


@confd.delete("/incalls/<int:incall_id>")
@authorize("confd.incalls.{incall_id}.delete")
def delete_incall(caller: Caller, incall_id: int) -> Response:
    with store().write() as conn:
        incalls.delete(conn, caller, incall_id)
    return no_content()


@confd.put("/incalls/<int:incall_id>/extensions/<int:extension_id>")
@authorize("confd.incalls.{incall_id}.extensions.{extension_id}.update")
def associate_incall_extension(caller: Caller, incall_id: int, extension_id: int) -> Response:
    with store().write() as conn:
        incalls.associate_extension(conn, caller, incall_id, extension_id)
    return no_content()


@confd.delete("/incalls/<int:incall_id>/extensions/<int:extension_id>")
@authorize("confd.incalls.{incall_id}.extensions.{extension_id}.delete")
def dissociate_incall_extension(caller: Caller, incall_id: int, extension_id: int) -> Response:
    with store().write() as conn:
        incalls.dissociate_extension(conn, caller, incall_id, extension_id)
    return no_content()


# -- users and other destination targets ------------------------------------------------------


@confd.get("/users")
@authorize("confd.users.read")
def list_users(caller: Caller) -> Response:
    params = list_args()
    with store().read() as conn:
        return json_response(users.list_(conn, caller, params))


@confd.get("/users/<user_ref>")
@authorize("confd.users.{user_ref}.read")
def get_user(caller: Caller, user_ref: str) -> Response:
    with store().read() as conn:
        return json_response(users.get(conn, caller, user_ref))


@confd.delete("/users/<user_ref>")
@authorize("confd.users.{user_ref}.delete")
def delete_user(caller: Caller, user_ref: str) -> Response:
    with store().write() as conn:
        users.delete(conn, caller, user_ref)
    return no_content()


def _target_routes(segment: str, acl: str) -> None:
    def list_view(caller: Caller) -> Response:
        params = list_args()
        with store().read() as conn:
            return json_response(users.list_targets(conn, caller, segment, params))

    def get_view(caller: Caller, ref: str) -> Response:
        with store().read() as conn:
            return json_response(users.get_target(conn, caller, segment, ref))

    name = segment.replace("/", "_")
    confd.add_url_rule(f"/{segment}", f"list_{name}", authorize(f"{acl}.read")(list_view), methods=["GET"])
    confd.add_url_rule(
        f"/{segment}/<ref>", f"get_{name}", authorize(f"{acl}.{{ref}}.read")(get_view), methods=["GET"]
    )


for _segment, _acl in (
    ("groups", "confd.groups"),
    ("queues", "confd.queues"),
    ("ivr", "confd.ivr"),
    ("voicemails", "confd.voicemails"),
    ("conferences", "confd.conferences"),
    ("switchboards", "confd.switchboards"),
    ("moh", "confd.moh"),
    ("applications", "confd.applications"),
    ("agents/skillrules", "confd.agents.skillrules"),
):
    _target_routes(_segment, _acl)


# -- wazo-auth --------------------------------------------------------------------------------


def _basic_credentials() -> tuple[str | None, str | None]:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None, None
    try:
        decoded = base64.b64decode(header.split("Basic ", 1)[1])
    except (binascii.Error, ValueError):
        return None, None
    for charset in ("utf-8", "latin-1"):
        try:
            text = decoded.decode(charset)
            break
        except UnicodeDecodeError:
            continue
    else:
        return None, None
    if ":" not in text:
        return None, None
    login, password = text.split(":", 1)
    return login, password


@wazo_auth.post("/token")
def create_token() -> Response:
    raw = request.get_data(cache=True)
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        raise errors.AuthError(400, errors.WERKZEUG_BAD_REQUEST) from None
    if not raw:
        raise errors.AuthError(400, errors.WERKZEUG_BAD_REQUEST)
    login, password = _basic_credentials()
    with store().write() as conn:
        token = auth.issue_token(
            conn, data, login, password, request.remote_addr, request.headers.get("User-Agent", "")
        )
    return json_response({"data": token}, 200, {"Wazo-Sessions-Revoked": "0"})


@wazo_auth.route("/token/<token>", methods=["GET", "HEAD"])
def check_token(token: str) -> Response:
    with store().read() as conn:
        data = auth.check_token_for_auth(conn, token, request.args.get("scope"), request.args.get("tenant"))
    if request.method == "HEAD":
        return no_content()
    return json_response({"data": data})


@wazo_auth.delete("/token/<token>")
def revoke_token(token: str) -> Response:
    with store().write() as conn:
        conn.execute("DELETE FROM tokens WHERE token = ?", (token,))
    return json_response({"data": {"message": "success"}})


@wazo_auth.get("/tenants")
def list_auth_tenants() -> Response:
    token = request.headers.get("X-Auth-Token", "")
    with store().read() as conn:
        return json_response(auth.list_auth_tenants(conn, token, request.headers.get("Wazo-Tenant") or None))


DEFAULT_PREFIXES = {"confd": CONFD_PREFIX, "auth": AUTH_PREFIX}


def register(app: Flask, gen: Generation, prefixes: dict[str, str]) -> None:
    """Attach wazo-auth and confd as that generation speaks it, each at its prefix; the error renderers."""
    app.extensions["sandbox.generation"] = gen
    app.register_blueprint(confd, url_prefix=prefixes["confd"])
    app.register_blueprint(confd_chan_sip if gen.chan_sip else confd_pjsip, url_prefix=prefixes["confd"])
    app.register_blueprint(wazo_auth, url_prefix=prefixes["auth"])
    app.register_error_handler(errors.SandboxError, render_error)
    app.register_error_handler(errors.AuthError, render_auth_error)
