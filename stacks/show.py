"""`show`: what a tenant holds now, read through confd, in the words of the procedure."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from providers.confd import ConfdClient
from providers.confd.generation import detect

SECRET_KEYS = frozenset({"password"})


def _options(endpoint: dict[str, Any], section: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for key, value in endpoint.get(f"{section}_section_options") or []:
        if key not in SECRET_KEYS:
            values.setdefault(key, []).append(value)
    return values


def _destination(destination: dict[str, Any]) -> str:
    kind = destination.get("type", "none")
    if kind == "user":
        name = f"{destination.get('user_firstname') or ''} {destination.get('user_lastname') or ''}".strip()
        ring = f", ring {destination['ring_time']:g}s" if destination.get("ring_time") else ""
        return f"user {name} (#{destination.get('user_id')}){ring}"
    details = ", ".join(f"{k} {v}" for k, v in destination.items() if k != "type" and v is not None)
    return f"{kind} ({details})" if details else kind


def _uri(host: str, port: Any, user: str | None = None) -> str:
    return f"sip:{user + '@' if user else ''}{host}{f':{port}' if port else ''}"


def _chan_sip_trunk(client: ConfdClient, trunk: dict[str, Any]) -> Iterator[str]:
    """A trunk of the chan_sip API: its peer's host and qualify options, its register line."""
    summary = trunk.get("endpoint_sip") or {}
    register = trunk.get("register_sip") or {}
    if register.get("id") is not None:
        line = client.get(f"/registers/sip/{register['id']}")
        host, port = line.get("remote_host"), line.get("remote_port")
        transport = line.get("transport") or "the default transport"
        yield (
            f"      registers as {_uri(host, port, line.get('sip_username'))} to {_uri(host, port)}"
            f" over {transport}, every {line.get('expiration') or 120} s"
        )
    else:
        yield "      no registration"
    if summary.get("id") is not None:
        endpoint = client.get(f"/endpoints/sip/{summary['id']}")
        options = {key: value for key, value in endpoint.get("options") or [] if key not in SECRET_KEYS}
        keepalive = (
            "off" if options.get("qualify") == "no" else f"every {options.get('qualifyfreq', 'inherited')} s"
        )
        target = _uri(endpoint.get("host"), options.get("port", "5060"))
        yield f"      calls go to {target}; keepalive {keepalive}; calls accepted from {endpoint.get('host')}"


def tenant_report(client: ConfdClient) -> Iterator[str]:
    """Lines describing the tenant's trunks, outcalls and incoming numbers; never a password."""
    server = detect(client, with_version=True)
    yield f"Server: {server.describe()}"
    trunks = client.get("/trunks")["items"]
    yield f"Trunks ({len(trunks)})"
    names: dict[int, str] = {}
    for trunk in trunks:
        summary = trunk.get("endpoint_sip") or {}
        names[trunk["id"]] = summary.get("name") or f"trunk #{trunk['id']}"
        if server.chan_sip:
            yield f"  #{trunk['id']} {names[trunk['id']]} (chan_sip peer {summary.get('username') or '?'})"
            yield f"      incoming calls land in {trunk.get('context')}"
            yield from _chan_sip_trunk(client, trunk)
            continue
        yield f"  #{trunk['id']} {names[trunk['id']]} ({summary.get('label') or 'no label'})"
        yield f"      incoming calls land in {trunk.get('context')}"
        if summary.get("uuid"):
            endpoint = client.get(f"/endpoints/sip/{summary['uuid']}")
            registration = _options(endpoint, "registration")
            aor = _options(endpoint, "aor")
            if registration.get("client_uri"):
                yield (
                    f"      registers as {registration['client_uri'][0]} to "
                    f"{registration.get('server_uri', ['?'])[0]}, every "
                    f"{registration.get('expiration', ['?'])[0]} s"
                )
            else:
                yield "      no registration"
            keepalive = aor.get("qualify_frequency", ["inherited"])[0]
            yield f"      calls go to {', '.join(aor.get('contact', ['?']))}; keepalive every {keepalive} s"
            matches = _options(endpoint, "identify").get("match", [])
            if matches:
                yield f"      calls accepted from {', '.join(matches)}"
    outcalls = client.get("/outcalls")["items"]
    yield f"Outgoing calls ({len(outcalls)} outcall{'s' if len(outcalls) != 1 else ''})"
    for outcall in outcalls:
        order = " then ".join(names.get(t["id"], f"trunk #{t['id']}") for t in outcall.get("trunks", []))
        yield f"  {outcall['name']}: through {order or 'no trunk'}"
        for pattern in sorted(outcall.get("extensions", []), key=lambda e: e["exten"]):
            details = [f"strip {pattern.get('strip_digits') or 0}"]
            if pattern.get("prefix"):
                details.append(f"prefix {pattern['prefix']}")
            if pattern.get("external_prefix"):
                details.append(f"add {pattern['external_prefix']}")
            if pattern.get("caller_id"):
                details.append(f"caller id {pattern['caller_id']}")
            yield f"      {pattern['exten']:<16} {', '.join(details)}"
    incalls = client.get("/incalls")["items"]
    yield f"Incoming calls ({len(incalls)} DID{'s' if len(incalls) != 1 else ''})"
    for incall in sorted(incalls, key=lambda i: [e["exten"] for e in i.get("extensions", [])]):
        extens = ", ".join(e["exten"] for e in incall.get("extensions", [])) or "(no number)"
        caller = ""
        if incall.get("caller_id_mode"):
            caller = f"; caller id {incall['caller_id_mode']} {incall.get('caller_id_name') or ''!r}"
        yield f"  {extens:<14} -> {_destination(incall.get('destination') or {})}{caller}"
