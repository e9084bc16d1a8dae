"""The one way microcred reads anything from elsewhere: an injected ``fetch(url) -> bytes``.

:class:`Fetcher` answers from given resources first (``--resource URL=FILE``), then, if allowed, from
the network: HTTPS only, through ``urllib``, with a timeout, a hard size cap and no redirect to a
non-HTTPS URL. Every failure is a :class:`FetchError` naming the URL and the reason.
"""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from .errors import FetchError

if TYPE_CHECKING:
    import os

log = logging.getLogger(__name__)

#: What everything that reads a remote document takes: a URL in, the bytes out (or FetchError).
Fetch = Callable[[str], bytes]

_ACCEPT: Final = "application/did+ld+json, application/ld+json, application/json;q=0.9, */*;q=0.1"


def _without_fragment(url: str) -> str:
    return url.split("#", 1)[0]


def _names_file(value: str) -> bool:
    if len(value) > 4096 or "\n" in value or value.lstrip().startswith(("{", "[")):
        return False
    try:
        return Path(value).is_file()
    except (OSError, ValueError):
        return False


class _SafeRedirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, allowed_schemes: Sequence[str]) -> None:
        self._allowed = tuple(allowed_schemes)

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        scheme = urlsplit(newurl).scheme
        if scheme not in self._allowed:
            raise FetchError(
                f"{req.full_url} redirects to {newurl}, which is not {'/'.join(self._allowed)}; refused",
                code="fetch.redirect",
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class Fetcher:
    """Fetch URLs from ``resources`` first, then (if ``allow_network``) over HTTPS with limits.

    ``resources`` maps a URL to bytes, a path (``os.PathLike``, or a ``str`` naming an existing file) to
    a file holding them, or the document text itself. A URL matches exactly, or else without its fragment.
    """

    def __init__(
        self,
        *,
        resources: Mapping[str, bytes | str | os.PathLike[str]] | None = None,
        allow_network: bool = True,
        timeout: float = 10.0,
        max_bytes: int = 2_000_000,
        allowed_schemes: Sequence[str] = ("https",),
    ) -> None:
        self.resources: dict[str, bytes | str | os.PathLike[str]] = dict(resources or {})
        self.allow_network = allow_network
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.allowed_schemes = tuple(allowed_schemes)

    def with_resources(self, resources: Mapping[str, bytes | str | os.PathLike[str]]) -> Fetcher:
        """A new fetcher with the same limits that also answers ``resources``."""
        merged = dict(self.resources)
        merged.update(resources)
        return Fetcher(
            resources=merged,
            allow_network=self.allow_network,
            timeout=self.timeout,
            max_bytes=self.max_bytes,
            allowed_schemes=self.allowed_schemes,
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

        Logged on the ``microcred.fetch`` logger: what was served from a resource (debug), fetched
        over the network, and how long it took (info), or refused and why (info).
        """
        if not isinstance(url, str) or not url:
            raise FetchError("no URL to fetch")
        found = self._resource(url)
        if found is not None:
            log.debug("served %s from a given resource (%d bytes)", url, len(found), extra={"url": url})
            return found
        started = time.perf_counter()
        try:
            data = self._fetch(url)
        except FetchError as exc:
            log.info("did not fetch %s: %s", url, exc.message, extra={"url": url, "code": exc.code})
            raise
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.info(
            "fetched %s: %d bytes in %.0f ms",
            url,
            len(data),
            elapsed_ms,
            extra={"url": url, "bytes": len(data), "duration_ms": elapsed_ms},
        )
        return data

    def _fetch(self, url: str) -> bytes:
        if not self.allow_network:
            raise FetchError(
                f"{url} is not among the given resources and network access is off "
                "(give it with --resource URL=FILE)",
                code="fetch.offline",
            )
        target = _without_fragment(url)
        parts = urlsplit(target)
        if parts.scheme not in self.allowed_schemes or not parts.netloc:
            raise FetchError(
                f"{url}: only {'/'.join(self.allowed_schemes)} URLs are fetched", code="fetch.scheme"
            )
        opener = urllib.request.build_opener(_SafeRedirects(self.allowed_schemes))
        request = urllib.request.Request(target, headers={"Accept": _ACCEPT, "User-Agent": "microcred"})
        try:
            with opener.open(request, timeout=self.timeout) as response:
                final = response.geturl()
                if urlsplit(final).scheme not in self.allowed_schemes:
                    raise FetchError(f"{url} ended at non-HTTPS {final}; refused", code="fetch.redirect")
                data: bytes = response.read(self.max_bytes + 1)
        except FetchError:
            raise
        except urllib.error.HTTPError as exc:
            raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}", code="fetch.http") from None
        except urllib.error.URLError as exc:
            raise FetchError(f"{url}: cannot connect ({exc.reason})", code="fetch.network") from None
        except TimeoutError:
            raise FetchError(f"{url}: timed out after {self.timeout} s", code="fetch.timeout") from None
        except (OSError, ValueError) as exc:
            raise FetchError(f"{url}: {exc}", code="fetch.network") from None
        if len(data) > self.max_bytes:
            raise FetchError(f"{url}: response is larger than {self.max_bytes} bytes", code="fetch.too_large")
        return data


def offline_fetch(resources: Mapping[str, bytes | str | os.PathLike[str]] | None = None) -> Fetcher:
    """A :class:`Fetcher` that never touches the network: only ``resources`` answer."""
    return Fetcher(resources=resources, allow_network=False)
