"""Which confd API a Wazo speaks: the chan_sip one (20.12 and before) or the PJSIP one (20.13 on).

Two facts, as docs/confd-contract.md 9.5 describes them: the paths of confd's own API spec
(`GET /api/api.yml`, served without credentials: `/registers/sip` only before 20.13,
`/endpoints/sip/templates` only from 20.13), and the release `GET /infos` reports as
`wazo_version`. The paths decide which API the program speaks. The release is read only when the
answer needs it: on a chan_sip server (every refusal there names it, and it must agree with the
paths) and on a server that serves neither API or both (refused, naming it). A PJSIP server costs
one request, a chan_sip one two; `with_version` reads the release in every case (`stacks show`).
A run asks once (the program, before it plans anything) and passes the answer to what needs it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

import yaml

from providers.confd.client import ConfdClient
from providers.confd.errors import ConfdAuthError, ConfdError

CHAN_SIP_PATH = "/registers/sip"
PJSIP_PATH = "/endpoints/sip/templates"
FIRST_PJSIP_RELEASE = (20, 13)
VERSION = re.compile(r"^(\d{2})\.(\d{2})(?:\.\d+)?$")


class ConfdUnknownGeneration(ConfdError):
    """The server is neither a chan_sip-era nor a PJSIP-era wazo-confd this product knows."""


@dataclass(frozen=True)
class ServerGeneration:
    """What one Wazo answered: its release (when readable) and the SIP API its confd speaks."""

    version: str | None
    api: Literal["chan_sip", "pjsip"]

    @property
    def chan_sip(self) -> bool:
        return self.api == "chan_sip"

    def describe(self) -> str:
        """'Wazo 20.12, chan_sip API (/registers/sip)'; without a version, what the paths imply."""
        if self.version:
            release = f"Wazo {self.version}"
        else:
            release = "Wazo 20.12 or older" if self.chan_sip else "Wazo 20.13 or later"
        if self.chan_sip:
            return f"{release}, chan_sip API (/registers/sip)"
        return f"{release}, PJSIP API (/endpoints/sip/templates)"


def _release(version: str | None) -> tuple[int, int] | None:
    match = VERSION.match(version or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def _spec_paths(text: str) -> set[str]:
    loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        spec = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        return set()
    paths = spec.get("paths") if isinstance(spec, dict) else None
    return set(paths) if isinstance(paths, dict) else set()


def _version(client: ConfdClient) -> str | None:
    try:
        infos = client.get("/infos")
    except ConfdAuthError:
        # the token may lack confd.infos.read: the spec's paths still tell the API apart
        return None
    version = infos.get("wazo_version") if isinstance(infos, dict) else None
    return str(version) if version is not None else None


def _decide(version: str | None, paths: set[str], where: str) -> ServerGeneration:
    has_chan_sip, has_pjsip = CHAN_SIP_PATH in paths, PJSIP_PATH in paths
    reported = f"reports wazo_version {version!r}" if version else "did not report its version"
    release = _release(version)
    if has_chan_sip == has_pjsip:
        serves = "both" if has_chan_sip else "neither"
        raise ConfdUnknownGeneration(
            f"the Wazo at {where} {reported} and its confd serves {serves} of the chan_sip API "
            f"({CHAN_SIP_PATH}, Wazo 20.12 and before) and the PJSIP API ({PJSIP_PATH}, 20.13 and "
            f"later): this product knows only those two. Check that the url (or confdUrl) points "
            f"at wazo-confd; nothing was written"
        )
    generation = ServerGeneration(version, "chan_sip" if has_chan_sip else "pjsip")
    if version is not None and release is None:
        raise ConfdUnknownGeneration(
            f"the Wazo at {where} {reported}, which is not a Wazo release (YY.NN): nothing was written"
        )
    if release is not None and (release < FIRST_PJSIP_RELEASE) != generation.chan_sip:
        raise ConfdUnknownGeneration(
            f"the Wazo at {where} {reported} but its confd serves the {generation.api} API, which "
            f"{'ended with 20.12' if generation.chan_sip else 'began with 20.13'}: a proxy may "
            f"mix two servers. Check the url (or confdUrl); nothing was written"
        )
    return generation


def detect(client: ConfdClient, with_version: bool = False) -> ServerGeneration:
    """The server's generation: one GET on a PJSIP server, two on any other (or `with_version`)."""
    paths = _spec_paths(client.get_document("/api/api.yml"))
    if PJSIP_PATH in paths and CHAN_SIP_PATH not in paths and not with_version:
        # what to send is settled; the release would be shown nowhere (PJSIP messages do not name it)
        return ServerGeneration(None, "pjsip")
    return _decide(_version(client), paths, client.confd_base)
