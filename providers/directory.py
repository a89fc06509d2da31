"""What the component looks up in the tenant before it declares anything: contexts, templates, users."""

from __future__ import annotations

from typing import Any, Protocol

from providers.confd.client import ConfdClient
from providers.model import IncallRange
from providers.plan import ContextInfo, PlanError


class Directory(Protocol):
    """Read-only facts about one tenant."""

    def contexts(self, type_: str) -> list[ContextInfo]:
        """The tenant's contexts of a type (not its sub-tenants')."""
        ...

    def context(self, name: str) -> ContextInfo | None:
        """A context of the tenant by name."""
        ...

    def template_uuid(self, label: str) -> str:
        """The uuid of the tenant's SIP template with that label (global, registration_trunk...)."""
        ...

    def transport_uuid(self, name: str) -> str:
        """The uuid of a SIP transport by name."""
        ...

    def user_id(self, email: str) -> int:
        """The id of the tenant's user with that email."""
        ...


def _context_info(item: dict[str, Any]) -> ContextInfo:
    ranges = tuple(
        IncallRange(start=r["start"], end=r.get("end"), did_length=r.get("did_length") or 0)
        for r in item.get("incall_ranges") or []
    )
    return ContextInfo(
        name=item["name"], label=item.get("label") or "", type=item["type"], incall_ranges=ranges
    )


class ConfdDirectory:
    """A Directory read from confd, one request per distinct question."""

    def __init__(self, client: ConfdClient) -> None:
        self._client = client
        self._cache: dict[tuple[str, str], Any] = {}

    def _once(self, key: tuple[str, str], fetch: Any) -> Any:
        if key not in self._cache:
            self._cache[key] = fetch()
        return self._cache[key]

    def contexts(self, type_: str) -> list[ContextInfo]:
        items = self._once(("contexts", type_), lambda: self._client.find("/contexts", type=type_))
        return [_context_info(item) for item in items]

    def context(self, name: str) -> ContextInfo | None:
        items = self._once(("context", name), lambda: self._client.find("/contexts", name=name))
        return _context_info(items[0]) if items else None

    def template_uuid(self, label: str) -> str:
        items = self._once(
            ("template", label), lambda: self._client.find("/endpoints/sip/templates", label=label)
        )
        if len(items) != 1:
            found = "none" if not items else f"{len(items)}"
            raise PlanError(
                f"the tenant has {found} SIP template labelled {label!r}; confd generates one per tenant "
                f"(run wazo-confd-sync-db on the Wazo, or restore the template)"
            )
        return str(items[0]["uuid"])

    def transport_uuid(self, name: str) -> str:
        items = self._once(("transport", name), lambda: self._client.find("/sip/transports", name=name))
        if not items:
            raise PlanError(
                f"the Wazo has no SIP transport named {name!r}: set the provider's transport to an "
                f"existing one (e.g. transport-udp)"
            )
        return str(items[0]["uuid"])

    def user_id(self, email: str) -> int:
        items = self._once(("user", email), lambda: self._client.find("/users", email=email))
        if len(items) != 1:
            raise PlanError(
                f"no single user of the tenant has the email {email!r} ({len(items)} found): "
                f"fix the DID's destination or use user_id"
            )
        return int(items[0]["id"])
