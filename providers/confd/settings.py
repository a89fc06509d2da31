"""Provider settings: stack config through `configure()`, environment variables as the fallback.

The settings live in one process-level registry, never on a provider object (providers are pickled
into the state) and never in a resource's inputs or outputs.
"""

from __future__ import annotations

import ipaddress
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from providers.confd.errors import ConfdConfigError

NAMESPACE = "wazo-voip"
CONFD_LAYOUT = "/api/confd/1.1"
AUTH_LAYOUT = "/api/auth/0.1"
CALLD_LAYOUT = "/api/calld/1.0"

# setting name -> (config key without namespace, environment variable)
KEYS: dict[str, tuple[str, str]] = {
    "url": ("url", "WAZO_URL"),
    "tenant": ("tenant", "WAZO_TENANT"),
    "username": ("username", "WAZO_USERNAME"),
    "password": ("password", "WAZO_PASSWORD"),
    "token": ("token", "WAZO_TOKEN"),
    "ca_bundle": ("caBundle", "WAZO_CA_BUNDLE"),
    "insecure": ("insecure", "WAZO_INSECURE"),
    "confd_url": ("confdUrl", "WAZO_CONFD_URL"),
    "auth_url": ("authUrl", "WAZO_AUTH_URL"),
    "calld_url": ("calldUrl", "WAZO_CALLD_URL"),
}


def key_names(setting: str) -> str:
    """'password' -> "wazo-voip:password (or WAZO_PASSWORD)"."""
    config_key, env = KEYS[setting]
    return f"{NAMESPACE}:{config_key} (or {env})"


@dataclass(frozen=True)
class Settings:
    """How to reach one Wazo and with which credentials."""

    url: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    ca_bundle: str | None = None
    insecure: bool = False
    tenant: str | None = None
    confd_url: str | None = None
    auth_url: str | None = None
    calld_url: str | None = None
    timeout: float = 15.0
    retries: int = 3
    backoff: float = 0.2
    token_lifetime: int = 3600

    @property
    def confd_base(self) -> str:
        return (self.confd_url or self.url.rstrip("/") + CONFD_LAYOUT).rstrip("/")

    @property
    def auth_base(self) -> str:
        return (self.auth_url or self.url.rstrip("/") + AUTH_LAYOUT).rstrip("/")

    @property
    def calld_base(self) -> str:
        return (self.calld_url or self.url.rstrip("/") + CALLD_LAYOUT).rstrip("/")

    def validate(self, calld: bool = False) -> Settings:
        """Refuse unusable or unsafe settings before any connection is made.

        calld's URL is checked only by the tools that call it (`calld=True`): the program never
        does, and a stack must not fail to deploy over a setting it does not use.
        """
        if not self.url:
            raise ConfdConfigError(f"no Wazo URL: set {key_names('url')}")
        if not self.token and not (self.username and self.password):
            raise ConfdConfigError(
                "no credentials: set "
                + key_names("token")
                + ", or both "
                + key_names("username")
                + " and "
                + key_names("password")
            )
        bases = [(self.confd_base, "confd_url"), (self.auth_base, "auth_url")]
        if calld:
            bases.append((self.calld_base, "calld_url"))
        for base, setting in bases:
            parts = urlsplit(base)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                # name the key the URL came from: the service's own override, else `url`
                key = setting if getattr(self, setting) else "url"
                raise ConfdConfigError(f"{base!r} is not an http(s) URL: check {key_names(key)}")
            if parts.scheme == "http" and not self.insecure and not is_loopback(parts.hostname):
                raise ConfdConfigError(
                    f"refusing to send credentials over plain http to {parts.hostname}: use https, "
                    f"or set {key_names('insecure')} to true if this network is trusted"
                )
        return self

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def settings_from(get: Callable[[str], Any], environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from a getter of namespaced config keys, falling back to the environment.

    Explicit config wins; a value missing from both is left unset (validate() names the keys).
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting, (config_key, env_name) in KEYS.items():
        value = get(f"{NAMESPACE}:{config_key}")
        if value is None or value == "":
            value = env.get(env_name) or None
        values[setting] = value
    return Settings(
        url=str(values["url"] or ""),
        username=values["username"],
        password=values["password"],
        token=values["token"],
        ca_bundle=values["ca_bundle"],
        insecure=_truthy(values["insecure"]) if values["insecure"] is not None else False,
        tenant=values["tenant"],
        confd_url=values["confd_url"],
        auth_url=values["auth_url"],
        calld_url=values["calld_url"],
    )


class _Registry:
    """The process's settings: set once by configure(), read by every provider call."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settings: Settings | None = None

    def set(self, settings: Settings | None) -> None:
        with self._lock:
            self._settings = settings

    def get(self) -> Settings:
        with self._lock:
            settings = self._settings
        if settings is None:
            # never configured (e.g. a provider used outside the engine): environment only
            settings = settings_from(lambda _key: None)
        return settings.validate()


_REGISTRY = _Registry()


def configure(settings: Settings | None) -> None:
    """Set the process's settings explicitly (tests, tools); None goes back to the environment."""
    _REGISTRY.set(settings)


def configure_from_config(get: Callable[[str], Any]) -> None:
    """Set the process's settings from a getter of namespaced stack config keys ('wazo-voip:url').

    This is what every provider's `configure()` calls with the engine's config; environment
    variables fill what the config leaves out.
    """
    _REGISTRY.set(settings_from(get))


def current_settings() -> Settings:
    """The settings to use now, validated (raises ConfdConfigError naming the keys to set)."""
    return _REGISTRY.get()
