"""The seeded data and its fixed identifiers (tests may import this module)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from sandbox.generations import CURRENT, Generation

WAZO_UUID = "5a3c1f0e-7d2b-4c89-9e61-0a1b2c3d4e5f"
WAZO_VERSION = CURRENT.version

MASTER_TENANT = "aaaaaaaa-0000-4000-8000-000000000001"
ACME_TENANT = "11111111-1111-4111-8111-111111111111"
OTHER_TENANT = "22222222-2222-4222-8222-222222222222"
BARE_TENANT = "33333333-3333-4333-8333-333333333333"


@dataclass(frozen=True)
class Tenant:
    """A seeded tenant."""

    uuid: str
    name: str
    slug: str
    parent_uuid: str | None
    index: int  # a digit used to build the tenant's other fixed identifiers


TENANTS = {
    "master": Tenant(MASTER_TENANT, "master", "master", None, 0),
    "acme": Tenant(ACME_TENANT, "acme", "acme", MASTER_TENANT, 1),
    "other": Tenant(OTHER_TENANT, "other", "other", MASTER_TENANT, 2),
    "bare": Tenant(BARE_TENANT, "bare", "bare", MASTER_TENANT, 3),
}

TRANSPORT_UDP = "7f2a0d3c-5e1b-4a6f-8c9d-000000000001"
TRANSPORT_WSS = "7f2a0d3c-5e1b-4a6f-8c9d-000000000002"

TEMPLATE_LABELS = ("global", "webrtc", "meeting_guest", "registration_trunk", "twilio_trunk")


def template_uuid(tenant: str, label: str) -> str:
    """Fixed uuid of a tenant's default SIP template, e.g. template_uuid("acme", "global")."""
    index = TENANTS[tenant].index
    return f"5eed{index:04d}-0000-4000-8000-{TEMPLATE_LABELS.index(label) + 1:012d}"


def template_name(tenant: str, label: str) -> str:
    """Fixed 8-character name of a default template (confd makes them random)."""
    return f"t{TENANTS[tenant].index}{TEMPLATE_LABELS.index(label)}{tenant[:5]:x<5}"


@dataclass(frozen=True)
class Context:
    """A seeded context."""

    id: int
    uuid: str
    tenant: str
    type: str
    label: str

    @property
    def name(self) -> str:
        """The name confd generates (23.12 and later)."""
        return f"ctx-{TENANTS[self.tenant].slug}-{self.type}-{self.uuid}"

    @property
    def legacy_name(self) -> str:
        """The name an operator chose before confd generated them: 1..39 of [a-zA-Z0-9_-]."""
        return f"{TENANTS[self.tenant].slug}-{self.type}"

    def name_in(self, generation: Generation) -> str:
        return self.name if generation.context_names_generated else self.legacy_name


def _context(id: int, tenant: str, type: str) -> Context:
    index = TENANTS[tenant].index
    uuid = f"c0c0{index:04d}-0000-4000-8000-{id:012d}"
    return Context(id, uuid, tenant, type, f"{tenant.capitalize()} {type}")


CONTEXTS = {
    ("acme", "internal"): _context(1, "acme", "internal"),
    ("acme", "incall"): _context(2, "acme", "incall"),
    ("acme", "outcall"): _context(3, "acme", "outcall"),
    ("other", "internal"): _context(4, "other", "internal"),
    ("other", "incall"): _context(5, "other", "incall"),
    ("other", "outcall"): _context(6, "other", "outcall"),
}

INCALL_RANGES = {
    "acme": {"start": "15551230000", "end": "15551239999", "did_length": 10},
    "other": {"start": "33140000000", "end": "33149999999", "did_length": 9},
}


@dataclass(frozen=True)
class AuthUser:
    """A wazo-auth user."""

    username: str
    password: str
    tenant: str
    acl: tuple[str, ...]
    uuid: str


# The deployers may also read their trunks' status from wazo-calld (`python -m stacks status`);
# acme-readonly may not, so that calld's 401 for a missing ACL can be exercised.
DEPLOYER_ACL = ("confd.#", "calld.trunks.read")

AUTH_USERS = {
    "root": AuthUser("root", "root-secret", "master", DEPLOYER_ACL, "a0000000-0000-4000-8000-000000000001"),
    "acme-admin": AuthUser(
        "acme-admin", "acme-secret", "acme", DEPLOYER_ACL, "a0000000-0000-4000-8000-000000000002"
    ),
    "acme-readonly": AuthUser(
        "acme-readonly", "readonly-secret", "acme", ("confd.#.read",), "a0000000-0000-4000-8000-000000000003"
    ),
    "acme-noacl": AuthUser("acme-noacl", "noacl-secret", "acme", (), "a0000000-0000-4000-8000-000000000004"),
    "other-admin": AuthUser(
        "other-admin", "other-secret", "other", DEPLOYER_ACL, "a0000000-0000-4000-8000-000000000005"
    ),
    "bare-admin": AuthUser(
        "bare-admin", "bare-secret", "bare", DEPLOYER_ACL, "a0000000-0000-4000-8000-000000000006"
    ),
}


@dataclass(frozen=True)
class User:
    """A confd user (an incall destination)."""

    id: int
    uuid: str
    tenant: str
    firstname: str
    lastname: str
    email: str


USERS = {
    1: User(1, "a5e40000-0000-4000-8000-000000000001", "acme", "Alice", "Acme", "alice@acme.example"),
    2: User(2, "a5e40000-0000-4000-8000-000000000002", "acme", "Bob", "Acme", "bob@acme.example"),
    3: User(3, "a5e40000-0000-4000-8000-000000000003", "acme", "Carol", "Acme", "carol@acme.example"),
    4: User(4, "a5e40000-0000-4000-8000-000000000004", "other", "Oscar", "Other", "oscar@other.example"),
    5: User(5, "a5e40000-0000-4000-8000-000000000005", "other", "Olga", "Other", "olga@other.example"),
    6: User(6, "a5e40000-0000-4000-8000-000000000006", "bare", "Bea", "Bare", "bea@bare.example"),
}

CREATED_AT = "2026-01-01T00:00:00.000000"

# One object of each destination kind per user-bearing tenant: acme id 1, other id 2, bare id 3.
TARGET_TENANTS = ("acme", "other", "bare")
TARGET_KINDS = (
    "group",
    "queue",
    "ivr",
    "voicemail",
    "conference",
    "switchboard",
    "moh",
    "application",
    "skill_rule",
)


def target_id(kind: str, tenant: str) -> int:
    """Integer id of the seeded destination object of that kind in that tenant."""
    return TARGET_TENANTS.index(tenant) + 1


def target_uuid(kind: str, tenant: str) -> str:
    """uuid of the seeded destination object (switchboards, music on hold and applications use it)."""
    return (
        f"d0{TARGET_KINDS.index(kind):02d}000{TARGET_TENANTS.index(tenant) + 1}-0000-4000-8000-000000000000"
    )


def _target_data(kind: str, tenant: str) -> dict[str, str]:
    title = tenant.capitalize()
    names = {
        "group": {"name": f"grp-{tenant}-sales", "label": f"{title} sales"},
        "queue": {"name": f"{tenant}-support", "label": f"{title} support"},
        "ivr": {"name": f"{tenant}-ivr"},
        "voicemail": {"name": f"{title} voicemail", "number": "8000"},
        "conference": {"name": f"{title} conference"},
        "switchboard": {"name": f"{title} switchboard"},
        "moh": {"name": f"{tenant}-moh", "label": f"{title} music"},
        "application": {"name": f"{tenant}-app"},
        "skill_rule": {"name": f"{tenant}-rule"},
    }
    return names[kind]


# -- default SIP templates (content as a real tenant gets them) -----------------------------

_GLOBAL_AOR = [
    ["maximum_expiration", "3600"],
    ["default_expiration", "120"],
    ["minimum_expiration", "60"],
    ["qualify_frequency", "60"],
    ["remove_existing", "true"],
    ["max_contacts", "1"],
]
_GLOBAL_ENDPOINT = [
    ["rtp_timeout", "7200"],
    ["allow_transfer", "yes"],
    ["use_ptime", "yes"],
    ["callerid", "wazo"],
    ["direct_media", "no"],
    ["dtmf_mode", "rfc4733"],
    ["language", "en_US"],
    ["inband_progress", "no"],
    ["rtp_timeout_hold", "0"],
    ["timers_sess_expires", "600"],
    ["timers_min_se", "90"],
    ["trust_id_inbound", "no"],
    ["allow_subscribe", "yes"],
    ["allow", "!all,ulaw"],
    ["set_var", "TIMEOUT(absolute)=36000"],
    ["set_var", "DYNAMIC_FEATURES=togglerecord"],
    ["notify_early_inuse_ringing", "yes"],
]
_WEBRTC_AOR = [["max_contacts", "10"], ["remove_existing", "false"]]
_WEBRTC_ENDPOINT = [
    ["dtls_auto_generate_cert", "yes"],
    ["webrtc", "yes"],
    ["timers_min_se", "90"],
    ["timers_sess_expires", "300"],
    ["timers", "always"],
    ["max_audio_streams", "1"],
    ["max_video_streams", "25"],
    ["allow", "!all,opus,g722,alaw,ulaw,vp9,vp8,h264"],
]
_REGISTRATION = [
    ["forbidden_retry_interval", "30"],
    ["retry_interval", "20"],
    ["max_retries", "10000"],
    ["auth_rejection_permanent", "no"],
    ["fatal_retry_interval", "30"],
]
TWILIO_IPS = tuple(
    f"{network}.{host}" for network in ("54.172.60", "54.244.51") for host in range(4)
) + tuple(
    f"{network}.{base + host}"
    for network, base in (
        ("54.171.127", 192),
        ("35.156.191", 128),
        ("54.65.63", 192),
        ("54.169.127", 128),
        ("54.252.254", 64),
        ("177.71.206", 192),
    )
    for host in range(4)
)

SECTIONS = (
    "aor",
    "auth",
    "endpoint",
    "identify",
    "registration",
    "registration_outbound_auth",
    "outbound_auth",
)


def _template_content(tenant: str, label: str) -> tuple[dict[str, list[list[str]]], list[str], str | None]:
    sections: dict[str, list[list[str]]] = {name: [] for name in SECTIONS}
    parents: list[str] = []
    transport: str | None = None
    if label == "global":
        sections["aor"] = [list(o) for o in _GLOBAL_AOR]
        sections["endpoint"] = [list(o) for o in _GLOBAL_ENDPOINT]
        transport = TRANSPORT_UDP
    elif label == "webrtc":
        sections["aor"] = [list(o) for o in _WEBRTC_AOR]
        sections["endpoint"] = [list(o) for o in _WEBRTC_ENDPOINT]
        parents = [template_uuid(tenant, "global")]
        transport = TRANSPORT_WSS
    elif label == "meeting_guest":
        parents = [template_uuid(tenant, "webrtc")]
    elif label == "registration_trunk":
        sections["registration"] = [list(o) for o in _REGISTRATION]
        parents = [template_uuid(tenant, "global")]
    elif label == "twilio_trunk":
        sections["identify"] = [["match", ip] for ip in TWILIO_IPS]
        parents = [template_uuid(tenant, "registration_trunk")]
    return sections, parents, transport


def generate_sip_templates(conn: sqlite3.Connection) -> None:
    """Each tenant's five default SIP templates, as confd generates them (20.13 and later)."""
    seq_row = conn.execute("SELECT value FROM meta WHERE key = 'endpoint_seq'").fetchone()
    seq = int(seq_row["value"]) if seq_row else 0
    for key, seeded_tenant in TENANTS.items():
        conn.execute(
            "UPDATE tenants SET sip_templates_generated = 1, global_sip_template_uuid = ?,"
            " webrtc_sip_template_uuid = ?, registration_trunk_sip_template_uuid = ?,"
            " meeting_guest_sip_template_uuid = ?, twilio_trunk_sip_template_uuid = ? WHERE uuid = ?",
            (
                template_uuid(key, "global"),
                template_uuid(key, "webrtc"),
                template_uuid(key, "registration_trunk"),
                template_uuid(key, "meeting_guest"),
                template_uuid(key, "twilio_trunk"),
                seeded_tenant.uuid,
            ),
        )
        for label in TEMPLATE_LABELS:
            seq += 1
            sections, parents, transport = _template_content(key, label)
            uuid = template_uuid(key, label)
            name = template_name(key, label)
            conn.execute(
                "INSERT INTO endpoints (uuid, seq, tenant_uuid, template, name, label, asterisk_id,"
                " transport_uuid, templates, sections) VALUES (?, ?, ?, 1, ?, ?, NULL, ?, ?, ?)",
                (
                    uuid,
                    seq,
                    seeded_tenant.uuid,
                    name,
                    label,
                    transport,
                    json.dumps(parents),
                    json.dumps(sections),
                ),
            )
            conn.execute(
                "INSERT INTO sip_names (name, kind, owner_uuid) VALUES (?, 'SIPEndpointTemplate', ?)",
                (name, uuid),
            )
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('endpoint_seq', ?)", (str(seq),))


def seed(conn: sqlite3.Connection, generation: Generation = CURRENT) -> None:
    """Insert the seeded data into an empty schema (inside the caller's transaction).

    Before 20.13 a Wazo had no SIP templates, and its contexts were named by whoever made them.
    """
    conn.execute("INSERT INTO meta (key, value) VALUES ('seeded', '1')")
    conn.execute("INSERT INTO meta (key, value) VALUES ('wazo_uuid', ?)", (WAZO_UUID,))
    conn.execute("INSERT INTO meta (key, value) VALUES ('api', ?)", (generation.version,))
    for uuid, name, options in (
        (TRANSPORT_UDP, "transport-udp", [["protocol", "udp"], ["bind", "0.0.0.0:5060"]]),
        (TRANSPORT_WSS, "transport-wss", [["protocol", "wss"], ["bind", "0.0.0.0:5060"]]),
    ):
        conn.execute(
            "INSERT INTO transports (uuid, name, options) VALUES (?, ?, ?)", (uuid, name, json.dumps(options))
        )
        conn.execute(
            "INSERT INTO sip_names (name, kind, owner_uuid) VALUES (?, 'Transport', ?)", (name, uuid)
        )

    for seeded_tenant in TENANTS.values():
        conn.execute(
            "INSERT INTO tenants (uuid, name, slug, parent_uuid) VALUES (?, ?, ?, ?)",
            (seeded_tenant.uuid, seeded_tenant.name, seeded_tenant.slug, seeded_tenant.parent_uuid),
        )
    if not generation.chan_sip:
        generate_sip_templates(conn)

    for user in AUTH_USERS.values():
        conn.execute(
            "INSERT INTO auth_users (uuid, username, password, tenant_uuid, acl) VALUES (?, ?, ?, ?, ?)",
            (user.uuid, user.username, user.password, TENANTS[user.tenant].uuid, json.dumps(list(user.acl))),
        )

    for context in CONTEXTS.values():
        ranges: dict[str, list[dict[str, object]]] = {
            "user_ranges": [],
            "group_ranges": [],
            "queue_ranges": [],
            "conference_room_ranges": [],
            "incall_ranges": [],
        }
        if context.type == "internal":
            ranges["user_ranges"] = [{"start": "1000", "end": "1999"}]
            ranges["group_ranges"] = [{"start": "2000", "end": "2999"}]
            ranges["queue_ranges"] = [{"start": "3000", "end": "3999"}]
            ranges["conference_room_ranges"] = [{"start": "4000", "end": "4999"}]
        elif context.type == "incall":
            ranges["incall_ranges"] = [dict(INCALL_RANGES[context.tenant])]
        conn.execute(
            "INSERT INTO contexts (id, uuid, name, tenant_uuid, label, type, description, enabled, ranges)"
            " VALUES (?, ?, ?, ?, ?, ?, NULL, 1, ?)",
            (
                context.id,
                context.uuid,
                context.name_in(generation),
                TENANTS[context.tenant].uuid,
                context.label,
                context.type,
                json.dumps(ranges),
            ),
        )
    for tenant_key in ("acme", "other"):
        internal = CONTEXTS[(tenant_key, "internal")]
        outcall = CONTEXTS[(tenant_key, "outcall")]
        conn.execute(
            "INSERT INTO context_includes (context_id, include_id, position) VALUES (?, ?, 0)",
            (internal.id, outcall.id),
        )

    for confd_user in USERS.values():
        conn.execute(
            "INSERT INTO users (id, uuid, tenant_uuid, firstname, lastname, email, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                confd_user.id,
                confd_user.uuid,
                TENANTS[confd_user.tenant].uuid,
                confd_user.firstname,
                confd_user.lastname,
                confd_user.email,
                CREATED_AT,
            ),
        )

    for kind in TARGET_KINDS:
        for target_tenant in TARGET_TENANTS:
            conn.execute(
                "INSERT INTO targets (kind, id, uuid, tenant_uuid, data) VALUES (?, ?, ?, ?, ?)",
                (
                    kind,
                    target_id(kind, target_tenant),
                    target_uuid(kind, target_tenant),
                    TENANTS[target_tenant].uuid,
                    json.dumps(_target_data(kind, target_tenant)),
                ),
            )
