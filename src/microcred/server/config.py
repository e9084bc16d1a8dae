"""How a server is set up: the issuer's key, the ledger, who may issue, where it is reached, limits."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import os
    from collections.abc import Mapping
    from pathlib import Path

    from ..fetch import Fetch
    from ..keys.material import IssuerKey

#: Default cap on a JSON request body (VC-API) and on an upload from the page, in bytes.
MAX_BODY = 1_000_000
MAX_UPLOAD = 5_000_000


@dataclass(frozen=True)
class ServerConfig:
    """Everything :func:`~microcred.server.create_app` needs.

    ``public_url`` is the https origin (and path prefix) the credentials name, as seen from outside
    (behind a reverse proxy, the proxy's); status lists are published under ``status_path`` of it.
    ``key`` and ``ledger_path`` enable issuing and status changes; ``api_keys`` guard them (none: those
    endpoints answer 401). Each request verifies with a fresh library :class:`~microcred.fetch.Fetcher`
    (its network policy, limits and a cache that lives for that request only) answering ``resources``
    first and the network only if ``allow_network``, under the library's network policy (public
    addresses only; ``allow_private_network`` admits intranet ones); ``fetch`` replaces it (tests).
    """

    public_url: str = "https://127.0.0.1:8443"
    key: IssuerKey | None = None
    ledger_path: Path | str | None = None
    api_keys: tuple[str, ...] = ()
    status_path: str = "/status"
    suspension: bool = False
    max_body: int = MAX_BODY
    max_upload: int = MAX_UPLOAD
    resources: Mapping[str, bytes | str | os.PathLike[str]] = field(default_factory=dict)
    allow_network: bool = True
    allow_private_network: bool = False
    fetch: Fetch | None = None

    @property
    def status_base_url(self) -> str:
        """Where this server's status lists live: ``public_url`` + ``status_path``."""
        return self.public_url.rstrip("/") + "/" + self.status_path.strip("/")

    def api_key_ok(self, presented: str | None) -> bool:
        """True when ``presented`` is one of the API keys (compared in constant time)."""
        if not presented:
            return False
        return any(hmac.compare_digest(presented.encode(), k.encode()) for k in self.api_keys)
