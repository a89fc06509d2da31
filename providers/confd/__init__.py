"""The only code that speaks HTTP: settings, token sources, the confd and calld clients, their errors."""

from providers.confd.calld import CalldClient, TrunkStatus, calld_client
from providers.confd.client import ConfdClient, PostResult, connect
from providers.confd.errors import (
    ConfdAlreadyExists,
    ConfdAuthError,
    ConfdConfigError,
    ConfdConnectionError,
    ConfdError,
    ConfdMismatch,
    ConfdNotFound,
    ConfdNotSent,
    ConfdRedirect,
    ConfdServerError,
    ConfdUncertainWrite,
    ConfdValidationError,
)
from providers.confd.settings import (
    Settings,
    configure,
    configure_from_config,
    current_settings,
    settings_from,
)

__all__ = [
    "CalldClient",
    "ConfdAlreadyExists",
    "ConfdAuthError",
    "ConfdClient",
    "ConfdConfigError",
    "ConfdConnectionError",
    "ConfdError",
    "ConfdMismatch",
    "ConfdNotFound",
    "ConfdNotSent",
    "ConfdRedirect",
    "ConfdServerError",
    "ConfdUncertainWrite",
    "ConfdValidationError",
    "PostResult",
    "Settings",
    "TrunkStatus",
    "calld_client",
    "configure",
    "configure_from_config",
    "connect",
    "current_settings",
    "settings_from",
]
