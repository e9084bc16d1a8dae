"""The one way microcred reads anything from elsewhere: an injected ``fetch(url) -> bytes``.

:class:`Fetcher` answers from given resources first (``--resource URL=FILE``), then, if allowed, from
the network under a :class:`NetworkPolicy`: HTTPS only; the host is resolved once and every address
vetted (no loopback, private, link-local, multicast or reserved address unless the policy opts in),
then the vetted address itself is connected to, with the name kept for the Host header and TLS; each
redirect is vetted the same way, and there are at most :data:`~microcred.limits.MAX_REDIRECTS`; one
deadline covers the whole request and a transfer slower than the policy's minimum rate is dropped;
the body has a hard size cap. A fetcher keeps what it fetched (and what failed) for the rest of its
run, so a batch fetches each URL once; :class:`FetchBudget` bounds one verification. Every failure
is a :class:`FetchError` naming the URL and the reason, never what the remote host sent or is.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final
from urllib.parse import urljoin, urlsplit

from . import limits
from .errors import FetchError

if TYPE_CHECKING:
    import http.client
    import os
    import ssl

log = logging.getLogger(__name__)

#: What everything that reads a remote document takes: a URL in, the bytes out (or FetchError).
Fetch = Callable[[str], bytes]
#: How a host name becomes addresses: ``(host, port) -> [address, ...]`` (injectable for tests).
Resolve = Callable[[str, int], Sequence[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_ACCEPT: Final = "application/did+ld+json, application/ld+json, application/json;q=0.9, */*;q=0.1"
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_CHUNK: Final = 16 * 1024
_INTRANET: Final = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
_NAT64: Final = ipaddress.ip_network("64:ff9b::/96")


def _without_fragment(url: str) -> str:
    return url.split("#", 1)[0]


def _parts(url: str, target: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of ``target``; a URL ``urllib`` cannot split is a FetchError."""
    try:
        parts = urlsplit(target)
        return parts.scheme, parts.hostname or "", parts.port
    except ValueError:
        raise FetchError(f"{url}: not a URL that can be fetched", code="fetch.scheme") from None


def _names_file(value: str) -> bool:
    if len(value) > 4096 or "\n" in value or value.lstrip().startswith(("{", "[")):
        return False
    try:
        return Path(value).is_file()
    except (OSError, ValueError):
        return False


def address_class(address: str | IPAddress) -> str:
    """What kind of address this is: ``public``, ``loopback``, ``private``, ``link-local``,
    ``multicast``, ``unspecified`` or ``reserved`` (IPv4 inside IPv6 is judged as the IPv4)."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            inner = address_class(embedded)
            if inner != "public":
                return inner
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_multicast:
        return "multicast"
    if ip.is_link_local:
        return "link-local"
    if any(ip in net for net in _INTRANET if net.version == ip.version):
        return "private"
    if not ip.is_global:
        return "reserved"
    return "public"


@dataclass(frozen=True)
class NetworkPolicy:
    """Where and how verification may fetch.

    By default only public addresses are connected to. ``allow_private`` admits RFC 1918, CGNAT and
    IPv6 unique-local addresses (an intranet deployment), ``allow_loopback`` this machine and
    ``allow_link_local`` link-local addresses (cloud metadata services live there); multicast,
    unspecified and reserved addresses are never connected to. ``deadline`` bounds a whole request
    (connect, headers, body, redirects); after ``rate_grace`` seconds a body arriving slower than
    ``min_rate`` bytes per second is dropped; at most ``max_redirects`` redirects are followed.
    """

    allow_private: bool = False
    allow_loopback: bool = False
    allow_link_local: bool = False
    deadline: float = limits.FETCH_DEADLINE_SECONDS
    min_rate: float = limits.FETCH_MIN_BYTES_PER_SECOND
    rate_grace: float = limits.FETCH_RATE_GRACE_SECONDS
    max_redirects: int = limits.MAX_REDIRECTS

    def refuses(self, address: str | IPAddress) -> str | None:
        """The class of ``address`` if this policy refuses to connect to it, else None."""
        kind = address_class(address)
        allowed = {
            "public": True,
            "private": self.allow_private,
            "loopback": self.allow_loopback,
            "link-local": self.allow_link_local,
        }
        return None if allowed.get(kind, False) else kind


#: The default: public addresses only, the limits of :mod:`microcred.limits`.
PUBLIC_ONLY: Final = NetworkPolicy()


def system_resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (one DNS lookup)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    out: list[str] = []
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]
        if address not in out:
            out.append(address)
    return out


@functools.cache
def _pinned_connections() -> tuple[
    Callable[..., http.client.HTTPConnection], Callable[..., http.client.HTTPConnection]
]:
    """The pinned HTTP and HTTPS connection classes, made on the first fetch: a process that never
    fetches (``microcred verify`` of a credential without a status list) never loads http.client."""
    import http.client

    class _PinnedHTTP(http.client.HTTPConnection):
        """An HTTP connection to a vetted address, with the host name kept for the Host header."""

        def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
            super().__init__(host, port, timeout=timeout)
            self.address = address

        def connect(self) -> None:
            self.sock = socket.create_connection((self.address, self.port), self.timeout)

    class _PinnedHTTPS(http.client.HTTPSConnection):
        """An HTTPS connection to a vetted address; the certificate is checked against the host name."""

        def __init__(self, host: str, port: int, address: str, timeout: float, tls: ssl.SSLContext) -> None:
            super().__init__(host, port, timeout=timeout, context=tls)
            self.address = address
            self.tls = tls

        def connect(self) -> None:
            raw = socket.create_connection((self.address, self.port), self.timeout)
            try:
                self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)
            except BaseException:
                raw.close()
                raise

    return _PinnedHTTP, _PinnedHTTPS


class _Watchdog:
    """Shuts a connection's socket at the deadline, so no blocking read outlives it."""

    def __init__(self, conn: http.client.HTTPConnection, seconds: float) -> None:
        self.fired = False
        self._conn = conn
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        sock = self._conn.sock
        if sock is not None:
            try:
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass

    def cancel(self) -> None:
        self._timer.cancel()


class VerifiedCache:
    """Conclusions drawn from fetched documents (a status list whose proof verified: its signer,
    document and bits), so a fetcher shared by a batch or a server checks and decodes each once. Keyed
    by what pins them (URL, SHA-256 of the exact bytes, verifier settings); an entry lives until its
    deadline, at most ``ttl`` s, within ``max_entries`` and ``max_bytes`` (least recently used out)."""

    def __init__(
        self,
        ttl: float = limits.VERIFIED_LIST_TTL_S,
        max_entries: int = limits.MAX_VERIFIED_LISTS,
        clock: Callable[[], float] = time.monotonic,
        max_bytes: int = limits.MAX_VERIFIED_CACHE_BYTES,
    ) -> None:
        self.ttl, self.max_entries, self.max_bytes, self.clock = ttl, max_entries, max_bytes, clock
        self._entries: dict[object, tuple[float, object, int]] = {}
        self.size, self._lock = 0, threading.Lock()  # size: the bytes held

    def get(self, key: object) -> object | None:
        """What was kept under ``key``, or None when there is nothing or it expired."""
        with self._lock:
            found = self._entries.pop(key, None)
            if found is not None and self.clock() < found[0]:
                self._entries[key] = found  # now the most recently used
                return found[1]
            self.size -= found[2] if found is not None else 0
            return None

    def put(self, key: object, value: object, seconds: float | None = None, size: int = 0) -> None:
        """Keep ``value`` (``size`` bytes) for ``seconds`` (at most the TTL; <= 0 or > max_bytes: not)."""
        life, room = self.ttl if seconds is None else min(self.ttl, seconds), self.max_bytes - size
        with self._lock:
            self.size -= self._entries.pop(key, (0, None, 0))[2]
            if life <= 0 or room < 0:
                return
            while self._entries and (len(self._entries) >= self.max_entries or self.size > room):
                self.size -= self._entries.pop(next(iter(self._entries)))[2]  # least recently used
            self._entries[key] = (self.clock() + life, value, size)
            self.size += size


class Fetcher:
    """Fetch URLs from ``resources`` first, then (if ``allow_network``) over HTTPS under ``policy``.

    ``resources`` maps a URL to bytes, a path (``os.PathLike``, or a ``str`` naming an existing file) to
    a file holding them, or the document text itself. A URL matches exactly, or else without its fragment.
    ``timeout``, when given, replaces the policy's whole-request deadline. ``resolve`` turns a host
    into addresses (default: one DNS lookup); ``tls`` is the TLS context (default: the system's
    trusted certificates, host names checked). What the network gave, and what it refused, is kept for
    the fetcher's life (up to :data:`~microcred.limits.MAX_CACHED_DOCUMENTS`), so one fetcher shared
    by a batch fetches each URL once; :attr:`verified` (a :class:`VerifiedCache`) keeps what was
    concluded from those documents, so it verifies each status list once.
    """

    def __init__(
        self,
        *,
        resources: Mapping[str, bytes | str | os.PathLike[str]] | None = None,
        allow_network: bool = True,
        timeout: float | None = None,
        max_bytes: int = limits.MAX_FETCH_BYTES,
        allowed_schemes: Sequence[str] = ("https",),
        policy: NetworkPolicy = PUBLIC_ONLY,
        resolve: Resolve = system_resolve,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.resources: dict[str, bytes | str | os.PathLike[str]] = dict(resources or {})
        self.allow_network = allow_network
        self.max_bytes = max_bytes
        self.allowed_schemes = tuple(allowed_schemes)
        if timeout is not None:
            policy = NetworkPolicy(**{**policy.__dict__, "deadline": float(timeout)})
        self.policy = policy
        self.resolve = resolve
        self._cache: dict[str, bytes | FetchError] = {}
        self._cached_bytes = 0
        self._lock = threading.Lock()
        self._tls = tls
        self.verified = VerifiedCache()

    @property
    def timeout(self) -> float:
        """The whole-request deadline, in seconds."""
        return self.policy.deadline

    def with_resources(self, resources: Mapping[str, bytes | str | os.PathLike[str]]) -> Fetcher:
        """A new fetcher with the same limits and policy that also answers ``resources``."""
        merged = dict(self.resources)
        merged.update(resources)
        return Fetcher(
            resources=merged,
            allow_network=self.allow_network,
            max_bytes=self.max_bytes,
            allowed_schemes=self.allowed_schemes,
            policy=self.policy,
            resolve=self.resolve,
            tls=self._tls,
        )

    def _resource(self, url: str) -> bytes | None:
        value = self.resources.get(url)
        if value is None:
            value = self.resources.get(_without_fragment(url))
        if value is None:
            return None
        if isinstance(value, bytes):
            data = value
        elif isinstance(value, str) and not _names_file(value):
            data = value.encode("utf-8")
        else:
            path = Path(value)
            try:
                with path.open("rb") as handle:
                    data = handle.read(self.max_bytes + 1)
            except OSError as exc:
                raise FetchError(
                    f"resource file {path} for {url} cannot be read: {exc.strerror or exc}"
                ) from None
        if len(data) > self.max_bytes:
            raise FetchError(f"{url}: resource is larger than {self.max_bytes} bytes", code="fetch.too_large")
        return data

    def __call__(self, url: str) -> bytes:
        """The bytes at ``url``; :class:`FetchError` if it cannot be had within the limits.

        Logged on the ``microcred.fetch`` logger: what was served from a resource or the run's cache
        (debug), fetched over the network, and how long it took (info), or refused and why (info).
        """
        if not isinstance(url, str) or not url:
            raise FetchError("no URL to fetch")
        found = self._resource(url)
        if found is not None:
            log.debug("served %s from a given resource (%d bytes)", url, len(found), extra={"url": url})
            return found
        key = _without_fragment(url)
        with self._lock:
            cached = self._cache.get(key)
        if isinstance(cached, FetchError):
            raise FetchError(cached.message, code=cached.code)
        if cached is not None:
            log.debug("served %s from this run's cache", url, extra={"url": url})
            return cached
        started = time.perf_counter()
        try:
            data = self._fetch(url)
        except FetchError as exc:
            log.info("did not fetch %s: %s", url, exc.message, extra={"url": url, "code": exc.code})
            if exc.code != "fetch.offline":
                self._keep(key, exc, 0)
            raise
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.info(
            "fetched %s: %d bytes in %.0f ms",
            url,
            len(data),
            elapsed_ms,
            extra={"url": url, "bytes": len(data), "duration_ms": elapsed_ms},
        )
        self._keep(key, data, len(data))
        return data

    def _keep(self, key: str, value: bytes | FetchError, size: int) -> None:
        with self._lock:
            if (
                len(self._cache) < limits.MAX_CACHED_DOCUMENTS
                and self._cached_bytes + size <= limits.MAX_CACHED_BYTES
            ):
                self._cache[key] = value
                self._cached_bytes += size

    def _fetch(self, url: str) -> bytes:
        if not self.allow_network:
            raise FetchError(
                f"{url} is not among the given resources and network access is off "
                "(give it with --resource URL=FILE)",
                code="fetch.offline",
            )
        target = _without_fragment(url)
        scheme, host, _ = _parts(url, target)
        if scheme not in self.allowed_schemes or not host:
            raise FetchError(
                f"{url}: only {'/'.join(self.allowed_schemes)} URLs are fetched", code="fetch.scheme"
            )
        deadline_at = time.monotonic() + self.policy.deadline
        for hop in range(self.policy.max_redirects + 1):
            status, location, data = self._exchange(url, target, deadline_at)
            if status in _REDIRECTS:
                if not location:
                    raise FetchError(f"{url}: HTTP {status} without a Location", code="fetch.redirect")
                if hop == self.policy.max_redirects:
                    raise FetchError(
                        f"{url}: more than {self.policy.max_redirects} redirects; refused",
                        code="fetch.redirect",
                    )
                try:
                    target = _without_fragment(urljoin(target, location))
                except ValueError:
                    raise FetchError(f"{url}: redirects to a bad URL", code="fetch.redirect") from None
                scheme, host, _ = _parts(url, target)
                if scheme not in self.allowed_schemes or not host:
                    raise FetchError(
                        f"{url} redirects to a {scheme or 'schemeless'} URL, which is not "
                        f"{'/'.join(self.allowed_schemes)}; refused",
                        code="fetch.redirect",
                    )
                continue
            if not 200 <= status < 300:
                raise FetchError(f"{url}: HTTP {status}", code="fetch.http")
            return data
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _addresses(self, url: str, host: str, port: int, redirected: bool) -> list[str]:
        """The addresses of ``host``, each vetted by the policy (one lookup; all must pass)."""
        try:
            literal: IPAddress | None = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None:
            addresses = [str(literal)]
        else:
            try:
                addresses = [str(a) for a in self.resolve(host, port)]
            except (OSError, UnicodeError, ValueError):
                raise FetchError(f"{url}: cannot resolve its host", code="fetch.network") from None
        if not addresses:
            raise FetchError(f"{url}: cannot resolve its host", code="fetch.network")
        for address in addresses:
            try:
                refused = self.policy.refuses(address)
            except ValueError:
                refused = "unparseable"
            if refused is not None:
                where = "redirects to a host that resolves" if redirected else "resolves"
                raise FetchError(
                    f"{url} {where} to a {refused} address, which the network policy refuses "
                    "(an intranet deployment may allow private addresses: --allow-private-network)",
                    code="fetch.address",
                )
        return addresses

    def _exchange(self, url: str, target: str, deadline_at: float) -> tuple[int, str | None, bytes]:
        """One GET of ``target`` at a vetted address: (status, Location, body)."""
        parts = urlsplit(target)
        _, host, given_port = _parts(url, target)
        port = given_port or (443 if parts.scheme == "https" else 80)
        addresses = self._addresses(url, host, port, redirected=target != _without_fragment(url))
        remaining = deadline_at - time.monotonic()
        if remaining <= 0:
            raise FetchError(f"{url}: no answer within {self.policy.deadline:g} s", code="fetch.timeout")
        import http.client  # only when fetching: no command line start-up loads them
        import ssl

        pinned_http, pinned_https = _pinned_connections()
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            if self._tls is None:
                self._tls = ssl.create_default_context()
            conn = pinned_https(host, port, addresses[0], remaining, self._tls)
        else:
            conn = pinned_http(host, port, addresses[0], remaining)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        watchdog: _Watchdog | None = None
        try:
            try:
                conn.connect()
            except ssl.SSLError:
                raise FetchError(f"{url}: the TLS handshake failed", code="fetch.tls") from None
            except OSError:
                if time.monotonic() >= deadline_at:
                    raise FetchError(
                        f"{url}: no answer within {self.policy.deadline:g} s", code="fetch.timeout"
                    ) from None
                raise FetchError(f"{url}: cannot connect", code="fetch.network") from None
            watchdog = _Watchdog(conn, deadline_at - time.monotonic())
            conn.request("GET", path, headers={"Accept": _ACCEPT, "User-Agent": "microcred"})
            response = conn.getresponse()
            if response.status in _REDIRECTS:
                return response.status, response.getheader("Location"), b""
            if not 200 <= response.status < 300:
                return response.status, None, b""
            data = self._body(url, conn, response, time.monotonic(), deadline_at)
            return response.status, None, data
        except FetchError:
            raise
        except (OSError, http.client.HTTPException, ValueError):
            if time.monotonic() >= deadline_at or (watchdog is not None and watchdog.fired):
                raise FetchError(
                    f"{url}: no complete answer within {self.policy.deadline:g} s", code="fetch.timeout"
                ) from None
            raise FetchError(f"{url}: the connection failed", code="fetch.network") from None
        finally:
            if watchdog is not None:
                watchdog.cancel()
            conn.close()

    def _body(
        self,
        url: str,
        conn: http.client.HTTPConnection,
        response: http.client.HTTPResponse,
        started: float,
        deadline_at: float,
    ) -> bytes:
        """The body, at most ``max_bytes``, before the deadline and (counted from ``started``, when the
        headers had arrived) no slower than the policy's minimum rate."""
        policy = self.policy
        chunks: list[bytes] = []
        received = 0
        while True:
            now = time.monotonic()
            if now >= deadline_at:
                raise FetchError(
                    f"{url}: no complete answer within {policy.deadline:g} s", code="fetch.timeout"
                )
            if conn.sock is not None:
                conn.sock.settimeout(max(0.01, min(deadline_at - now, policy.rate_grace)))
            try:
                chunk = response.read1(_CHUNK)
            except TimeoutError:
                if time.monotonic() >= deadline_at:
                    raise FetchError(
                        f"{url}: no complete answer within {policy.deadline:g} s", code="fetch.timeout"
                    ) from None
                raise FetchError(
                    f"{url}: the answer stalled for {policy.rate_grace:g} s; dropped",
                    code="fetch.too_slow",
                ) from None
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            received += len(chunk)
            if received > self.max_bytes:
                raise FetchError(
                    f"{url}: response is larger than {self.max_bytes} bytes", code="fetch.too_large"
                )
            elapsed = time.monotonic() - started
            if (
                not response.isclosed()
                and elapsed > policy.rate_grace
                and received < policy.min_rate * elapsed
            ):
                raise FetchError(
                    f"{url}: the answer arrives slower than {policy.min_rate:g} bytes per second; dropped",
                    code="fetch.too_slow",
                )


class FetchBudget:
    """``fetch`` for one verification: each URL asked for once (answers and failures kept), and at
    most ``max_documents`` distinct documents (URLs without fragment); beyond that a
    :class:`FetchError` with code ``fetch.budget``."""

    def __init__(self, fetch: Fetch, max_documents: int = limits.MAX_FETCHES_PER_VERIFICATION) -> None:
        self.fetch = fetch
        self.max_documents = max_documents
        self.documents: set[str] = set()
        self._answers: dict[str, bytes | FetchError] = {}
        #: the wrapped fetcher's :class:`VerifiedCache`, if it has one
        self.verified: VerifiedCache | None = getattr(fetch, "verified", None)

    def __call__(self, url: str) -> bytes:
        """The bytes at ``url``, from this verification's memory or (within budget) from ``fetch``."""
        if not isinstance(url, str) or not url:
            raise FetchError("no URL to fetch")
        known = self._answers.get(url)
        if isinstance(known, FetchError):
            raise FetchError(known.message, code=known.code)
        if known is not None:
            return known
        document = _without_fragment(url)
        if document not in self.documents:
            if len(self.documents) >= self.max_documents:
                raise FetchError(
                    f"{url}: not fetched; this verification already asked for {self.max_documents} "
                    "documents, its budget",
                    code="fetch.budget",
                )
            self.documents.add(document)
        try:
            data = self.fetch(url)
        except FetchError as exc:
            self._answers[url] = exc
            raise
        self._answers[url] = data
        return data


def offline_fetch(resources: Mapping[str, bytes | str | os.PathLike[str]] | None = None) -> Fetcher:
    """A :class:`Fetcher` that never touches the network: only ``resources`` answer."""
    return Fetcher(resources=resources, allow_network=False)
