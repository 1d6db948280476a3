"""The local ClickMeter service: a Starlette app over SQLite that behaves as the live one.

`create_app` builds it (in-process targets, tests), `serve_http` runs it over
HTTP (`serve`), `ServiceVariant` picks which plausible live behaviour it shows.
It shares only `reconciler.apishapes` (and the `ReconcilerError` base) with the client.
"""

from reconciler.server.app import create_app
from reconciler.server.db import default_account_key
from reconciler.server.serving import ServeError, serve_http
from reconciler.server.variant import ServiceVariant, VariantError

__all__ = ["ServeError", "ServiceVariant", "VariantError", "create_app", "default_account_key", "serve_http"]
