"""One TLS context per process for every client this package builds.

Building a default ``ssl.SSLContext`` loads the whole CA bundle (~45 ms here). Short-lived clients
(a CLI command, one component run, a trigger handler) would pay that on every construction; an
``SSLContext`` is safe to share across threads and clients, so it is built once.
"""

from __future__ import annotations

import ssl
from functools import cache

import httpx


@cache
def default_ssl_context() -> ssl.SSLContext:
    """httpx's own default (certifi, or ``SSL_CERT_FILE``/``SSL_CERT_DIR`` when set), built once."""
    return httpx.create_ssl_context()
