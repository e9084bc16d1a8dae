"""What a running server holds: the ledger (owned by one thread), the signed status lists it
publishes (re-signed only when their bits change), and the fetch every verification uses."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from .. import _time
from ..errors import MicrocredError
from ..fetch import Fetcher, NetworkPolicy
from ..issuing import sign
from ..ledger.protocol import Ledger
from ..status.publishing import sign_status_list_credential
from .batch import GroupIssuer

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..fetch import Fetch
    from ..ledger.protocol import StatusListRecord
    from .config import ServerConfig

T = TypeVar("T")

#: How far before its signing a served status list says it is valid from: a verifier whose clock is
#: a little behind (or one that fixed "now" before fetching the list, as verify() does) must not find
#: a list fetched right after it was signed "not yet valid".
CLOCK_SKEW = timedelta(minutes=1)

#: How long a signed status list is served before its bits are read again from the ledger, in
#: seconds (a change made through this server is seen at once; one made by another process, within this).
LIST_RECHECK_S = 5.0


class ServerState:
    """The ledger thread, the published status lists and the fetch for verification."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self._ledger: Ledger | None = None
        self._ledger_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="microcred-ledger")
        self._lists: dict[str, StatusListRecord] = {}
        self._signed: dict[str, tuple[float, bytes, bytes]] = {}  # url → (read at, bits, document)
        self._lock = threading.Lock()
        self.issuer = GroupIssuer(self._ledger_thread, self._ledger_here)

    # ---------------------------------------------------------------------------------- the ledger

    def on_ledger(self, work: Callable[[Ledger], T]) -> T:
        """Run ``work(ledger)`` on the ledger's own thread (SQLite connections stay on one thread)."""
        return self._ledger_thread.submit(self._with_ledger, work).result()

    def _with_ledger(self, work: Callable[[Ledger], T]) -> T:
        return work(self._ledger_here())

    def _ledger_here(self) -> Ledger:
        """The ledger, opened on first use (call only on the ledger's thread)."""
        if self._ledger is None:
            if self.config.ledger_path is None:
                raise MicrocredError("this server has no ledger", code="server.no_ledger")
            self._ledger = Ledger.open(self.config.ledger_path)
        return self._ledger

    def close(self) -> None:
        """Close the ledger and stop its thread."""

        def shut(_: Ledger) -> None:
            if self._ledger is not None:
                self._ledger.close()
                self._ledger = None

        if self._ledger is not None:
            self._ledger_thread.submit(shut, self._ledger).result()
        self._ledger_thread.shutdown(wait=True)

    def changed(self) -> None:
        """Forget the signed lists after a status change made here, so the next read re-signs."""
        with self._lock:
            self._signed.clear()

    # ----------------------------------------------------------------------------- status lists

    def own_list_url(self, path: str) -> str | None:
        """The URL of this server's status list published at ``path``, if there is one."""
        if self.config.ledger_path is None or self.config.key is None:
            return None
        base = urlsplit(self.config.public_url)
        url = f"{base.scheme}://{base.netloc}{path}"
        if url not in self._lists:
            self._lists = {r.url: r for r in self.on_ledger(lambda ledger: ledger.lists())}
        return url if url in self._lists else None

    def list_document(self, url: str) -> bytes:
        """The signed ``BitstringStatusListCredential`` for ``url`` (a URL :meth:`own_list_url` gave)."""
        key = self.config.key
        record = self._lists[url]
        assert key is not None  # own_list_url answers only when there is a key
        with self._lock:
            cached = self._signed.get(url)
        if cached is not None and time.monotonic() - cached[0] < LIST_RECHECK_S:
            return cached[2]
        bits = self.on_ledger(lambda ledger: ledger.list_bits(url))
        if cached is not None and cached[1] == bits:
            document = cached[2]
        else:
            moment = _time.now()
            signed = sign_status_list_credential(
                url,
                record.purpose,
                bits,
                issuer=record.issuer or key.controller,
                sign=lambda doc: dict(sign(doc, key, format="di", now=moment).credential),
                valid_from=moment - CLOCK_SKEW,
            )
            document = json.dumps(signed).encode()
        with self._lock:
            self._signed[url] = (time.monotonic(), bits, document)
        return document

    # -------------------------------------------------------------------------------------- fetch

    def request_fetch(self) -> Fetch:
        """The fetch for one request: this server's own status lists from the ledger, anything else
        through a new library fetcher (its network policy; what it caches dies with the request)."""
        config = self.config
        network = config.fetch or Fetcher(
            resources=config.resources,
            allow_network=config.allow_network,
            policy=NetworkPolicy(allow_private=config.allow_private_network),
        )
        base = config.public_url.rstrip("/") + "/"

        def fetch(url: str) -> bytes:
            plain = url.split("#", 1)[0]
            if plain.startswith(base):
                own = self.own_list_url(urlsplit(plain).path)
                if own is not None:
                    return self.list_document(own)
            return network(url)

        return fetch
