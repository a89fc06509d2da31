"""Upgrading a chan_sip-era state (20.12) to a PJSIP generation, as Wazo 20.13's migration did.

What the real upgrade did, read in wazo-platform/xivo-manage-db (alembic revisions removed from
the tree by commit 62ef07b, read at its parent): ea74eca400ce `sip_to_pjsip_endpoint` generated
each tenant's SIP templates and turned every chan_sip endpoint into a PJSIP endpoint of the same
name (label = name), re-pointing its trunk or line at the new uuid; a trunk's register line was
folded into that endpoint's registration sections. 73166af50deb then gave trunks with a fixed host
an aor `contact`, and 69c55f395eb7 left the `registration_trunk` template only on trunks that
register (the others got `global`). The `/registers/sip` API went away with 20.13 (wazo-confd
CHANGELOG 20.13), and with it every register and chan_sip row the API could reach.

Covered here: credentials, host and port, qualifyfreq, dtmfmode, nat, directmedia, progressinband,
sendrpid, encryption, codecs, the renamed options, PJSIP options kept under their own name, and
register lines. Not covered (the sandbox never stores them): lines' pickup groups, mailboxes,
webrtc lines, session-timers (which made the real migration fail).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from importlib import resources

from sandbox import seed
from sandbox.generations import Generation
from sandbox.rules import chan_sip

# chan_sip name -> PJSIP name, per section (the migration's *_SECTION_MAPPING)
AOR_RENAMES = {
    "qualifyfreq": "qualify_frequency",
    "maxexpiry": "maximum_expiration",
    "minexpiry": "minimum_expiration",
    "defaultexpiry": "default_expiration",
}
AUTH_RENAMES = {"secret": "password"}
ENDPOINT_RENAMES = {
    "allowsubscribe": "allow_subscribe",
    "allowtransfer": "allow_transfer",
    "autoframing": "use_ptime",
    "busylevel": "device_state_busy_at",
    "callingpres": "callerid_privacy",
    "fromdomain": "from_domain",
    "fromuser": "from_user",
    "outboundproxy": "outbound_proxy",
    "rtptimeout": "rtp_timeout",
    "rtpholdtimeout": "rtp_timeout_hold",
    "session-expires": "timers_sess_expires",
    "session-minse": "timers_min_se",
    "trustrpid": "trust_id_inbound",
}
# options kept under their own name (the migration's VALID_*_OPTIONS; the endpoint list is the
# Asterisk one the sandbox validates PJSIP endpoints with)
AOR_KEPT = {
    "contact",
    "default_expiration",
    "max_contacts",
    "maximum_expiration",
    "minimum_expiration",
    "remove_existing",
    "support_path",
}
AUTH_KEPT = {"auth_type", "nonce_lifetime", "md5_cred", "password", "realm", "username"}
_PJSIP_NAMES: dict[str, list[str]] = json.loads(
    resources.files("sandbox").joinpath("data/pjsip-option-names.json").read_text()
)
ENDPOINT_KEPT = set(_PJSIP_NAMES["endpoint"]) - {"type"}


def _converted(key: str, value: str) -> list[tuple[str, str]] | None:
    """The chan_sip options the migration rewrote by value; None: not one of them."""
    if key == "dtmfmode":
        if value == "rfc2833":
            return [("dtmf_mode", "rfc4733")]
        return [("dtmf_mode", value)] if value in ("inband", "info") else []
    if key == "nat":
        # compared as a whole: "force_rport,comedia" converts to nothing
        return {
            "yes": [("rtp_symmetric", "yes"), ("rewrite_contact", "yes")],
            "comedia": [("rtp_symmetric", "yes")],
            "force_rport": [("force_rport", "yes"), ("rewrite_contact", "yes")],
        }.get(value, [])
    if key == "directmedia":
        pairs = []
        if "yes" in value:
            pairs.append(("direct_media", "yes"))
        if "update" in value:
            pairs.append(("direct_media_method", "update"))
        if "outgoing" in value:
            pairs.append(("direct_media_glare_mitigation", "outgoing"))
        if "nonat" in value:
            pairs.append(("disable_directed_media_on_nat", "yes"))
        if value == "no":
            pairs.append(("direct_media", "no"))
        return pairs
    if key == "progressinband":
        return {"no": [("inband_progress", "no")], "never": [("inband_progress", "no")]}.get(
            value, [("inband_progress", "yes")] if value == "yes" else []
        )
    if key == "sendrpid":
        if value in ("yes", "rpid"):
            return [("send_rpid", "yes")]
        return [("send_pai", "yes")] if value == "pai" else []
    if key == "encryption":
        return [("media_encryption", "sdes")] if value == "yes" else []
    return None


class _Section:
    """One section's options in the order they were found, without exact duplicates."""

    def __init__(self, renames: dict[str, str], kept: set[str]) -> None:
        self.renames = renames
        self.kept = kept
        self.options: list[tuple[str, str]] = []
        self.codecs: list[str] = []

    def _add(self, key: str, value: str) -> None:
        if (key, value) not in self.options:
            self.options.append((key, value))

    def add(self, key: str, value: str) -> None:
        if key in ("allow", "disallow"):
            if "allow" in self.kept:
                self._codec(key, value)
            return
        converted = _converted(key, value)
        if converted is not None:
            for new_key, new_value in converted:
                if new_key in self.kept:
                    self._add(new_key, new_value)
        elif key in self.kept:
            self._add(key, value)
        elif key in self.renames:
            self._add(self.renames[key], value)

    def _codec(self, key: str, value: str) -> None:
        for codec in filter(None, value.split(",")):
            if key == "allow":
                self.codecs = ["!all"] if codec == "!all" else [*self.codecs, codec]
            elif codec == "all":
                self.codecs = ["!all"]
            else:
                self.codecs = [c for c in self.codecs if c != codec]

    def result(self) -> list[list[str]]:
        pairs = [list(pair) for pair in self.options]
        if self.codecs:
            pairs.append(["allow", ",".join(self.codecs)])
        return pairs


def _chan_sip_options(row: sqlite3.Row) -> list[tuple[str, str]]:
    """The endpoint's options as the migration read them: the free list, then the set fields."""
    options = [(key, value) for key, value in json.loads(row["extra"])]
    native = json.loads(row["native"])
    for field in ("type", "username", "secret"):
        if row[field]:
            options.append((field, row[field]))
    for name in chan_sip.NATIVE:
        value = native.get(name)
        if value:
            options.append((name, str(value) if chan_sip.NATIVE[name][0] != "bool" else "yes"))
    return options


def _registration(line: str, transports: dict[str, str]) -> tuple[list[list[str]], list[list[str]]]:
    """A register line as registration options and registration outbound auth options."""
    transport = next((name for name in transports if "udp" in name), next(iter(transports), ""))
    user_part, _, host_part = line.rpartition("@")
    if "://" in user_part:
        prefix, _, rest = user_part.partition("://")
        if prefix in transports:
            transport, user_part = prefix, rest
    secret = authuser = ""
    fields = user_part.split(":")
    user = fields[0]
    if len(fields) >= 2:
        secret = fields[1]
    if len(fields) >= 3:
        authuser = fields[2]
    pre_expiry, _, expiry = host_part.partition("~")
    pre_extension, _, extension = pre_expiry.partition("/")
    host, _, port = pre_extension.partition(":")
    registration: list[list[str]] = []
    if extension:
        registration.append(["contact_user", extension])
    registration.append(["expiration", expiry or "120"])
    registration.append(["transport", transport])
    suffix = f":{port}" if port else ""
    registration.append(["client_uri", f"sip:{user}@{host}{suffix}"])
    registration.append(["server_uri", f"sip:{host}{suffix}"])
    auth = [["password", secret], ["username", authuser or user]] if secret else []
    return registration, auth


def _template(conn: sqlite3.Connection, tenant_uuid: str, label: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM endpoints WHERE template = 1 AND tenant_uuid = ? AND label = ?", (tenant_uuid, label)
    ).fetchone()
    return row


def _convert(
    conn: sqlite3.Connection, row: sqlite3.Row, register: str | None, transports: dict[str, str]
) -> tuple[dict[str, list[list[str]]], list[str], str | None]:
    aor = _Section(AOR_RENAMES, AOR_KEPT)
    auth = _Section(AUTH_RENAMES, AUTH_KEPT)
    endpoint = _Section(ENDPOINT_RENAMES, ENDPOINT_KEPT)
    for key, value in _chan_sip_options(row):
        for section in (aor, auth, endpoint):
            section.add(key, value)
    sections: dict[str, list[list[str]]] = {name: [] for name in seed.SECTIONS}
    sections["aor"] = aor.result()
    sections["auth"] = auth.result()
    sections["endpoint"] = endpoint.result()
    trunk = row["category"] == "trunk"
    if trunk:
        sections["outbound_auth"] = [list(pair) for pair in sections["auth"]]
        if row["host"] != "dynamic":
            port = json.loads(row["native"]).get("port") or 5060
            user = f"{row['username']}@" if row["username"] else ""
            sections["aor"].append(["contact", f"sip:{user}{row['host']}:{port}"])
    if register is not None:
        sections["registration"], sections["registration_outbound_auth"] = _registration(register, transports)
    label = "registration_trunk" if trunk and register is not None else "global"
    template = _template(conn, row["tenant_uuid"], label)
    templates = [template["uuid"]] if template is not None else []
    if template is not None:
        # options a template already gives are dropped from the endpoint (prune_pjsip_config)
        inherited = json.loads(template["sections"])
        for name, options in sections.items():
            sections[name] = [pair for pair in options if pair not in inherited.get(name, [])]
    transport = transports.get(json.loads(row["native"]).get("transport") or "")
    return sections, templates, transport


def upgrade(conn: sqlite3.Connection, target: Generation) -> None:
    """Migrate the state in place (inside the caller's write transaction)."""
    seed.generate_sip_templates(conn)
    transports = {
        r["name"]: r["uuid"] for r in conn.execute("SELECT name, uuid FROM transports ORDER BY name")
    }
    seq = int(conn.execute("SELECT value FROM meta WHERE key = 'endpoint_seq'").fetchone()["value"])
    for row in conn.execute("SELECT * FROM chan_sip_endpoints ORDER BY id").fetchall():
        trunk = conn.execute("SELECT * FROM trunks WHERE endpoint_sip_id = ?", (row["id"],)).fetchone()
        register = None
        if trunk is not None and trunk["register_sip_id"] is not None:
            line = conn.execute(
                "SELECT var_val FROM sip_registers WHERE id = ? AND commented = 0",
                (trunk["register_sip_id"],),
            ).fetchone()
            register = line["var_val"] if line is not None else None
        sections, templates, transport = _convert(conn, row, register, transports)
        endpoint_uuid = str(uuid.uuid4())
        seq += 1
        conn.execute(
            "INSERT INTO endpoints (uuid, seq, tenant_uuid, template, name, label, asterisk_id,"
            " transport_uuid, templates, sections, edited) VALUES (?, ?, ?, 0, ?, ?, NULL, ?, ?, ?, 0)",
            (
                endpoint_uuid,
                seq,
                row["tenant_uuid"],
                row["name"],
                row["name"],
                transport,
                json.dumps(templates),
                json.dumps(sections),
            ),
        )
        conn.execute(
            "INSERT INTO sip_names (name, kind, owner_uuid) VALUES (?, 'SIPEndpoint', ?)",
            (row["name"], endpoint_uuid),
        )
        if trunk is not None:
            conn.execute("UPDATE trunks SET endpoint_sip_uuid = ? WHERE id = ?", (endpoint_uuid, trunk["id"]))
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('endpoint_seq', ?)", (str(seq),))
    conn.execute("UPDATE trunks SET endpoint_sip_id = NULL, register_sip_id = NULL")
    conn.execute("DELETE FROM chan_sip_endpoints")
    conn.execute("DELETE FROM sip_registers")
    conn.execute("UPDATE meta SET value = ? WHERE key = 'api'", (target.version,))
