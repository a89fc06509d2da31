"""The confd and wazo-auth rules: no HTTP here, only the store and typed errors."""
