"""The injected fetch: resources first, then HTTPS only, with a size cap and safe redirects."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from microcred.errors import FetchError
from microcred.fetch import Fetcher, NetworkPolicy, offline_fetch


def test_resources_answer_exact_then_without_fragment(tmp_path: Path) -> None:
    file = tmp_path / "did.json"
    file.write_bytes(b'{"id": "x"}')
    fetch = offline_fetch(
        {
            "https://a.example/key": b"bytes",
            "https://a.example/key#frag": "exact text",
            "https://b.example/did.json": file,
            "https://c.example/doc": str(file),
            "https://d.example/doc": '{"inline": true}',
        }
    )
    assert fetch("https://a.example/key#frag") == b"exact text"
    assert fetch("https://a.example/key#other") == b"bytes"
    assert fetch("https://b.example/did.json") == b'{"id": "x"}'
    assert fetch("https://c.example/doc#k") == b'{"id": "x"}'  # a str naming a file reads the file
    assert fetch("https://d.example/doc") == b'{"inline": true}'


def test_offline_fetch_names_the_url_and_the_way_out() -> None:
    with pytest.raises(FetchError, match=r"https://x\.example/k.*--resource") as info:
        offline_fetch()("https://x.example/k")
    assert info.value.code == "fetch.offline"


def test_resource_size_cap_and_unreadable_file(tmp_path: Path) -> None:
    fetch = Fetcher(
        resources={"https://a.example/": b"x" * 11, "https://b.example/": tmp_path / "gone"},
        allow_network=False,
        max_bytes=10,
    )
    with pytest.raises(FetchError, match="larger than 10 bytes"):
        fetch("https://a.example/")
    with pytest.raises(FetchError, match="cannot be read"):
        fetch("https://b.example/")


@pytest.mark.parametrize("url", ["http://example.edu/did.json", "file:///etc/passwd", "ftp://x/y", "nope"])
def test_network_is_https_only(url: str) -> None:
    with pytest.raises(FetchError, match="only https"):
        Fetcher()(url)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/big":
            body = b"x" * 2000
        elif self.path == "/redirect-away":
            self.send_response(302)
            self.send_header("Location", "ftp://elsewhere.example/doc")
            self.end_headers()
            return
        elif self.path == "/redirect-ok":
            self.send_response(302)
            self.send_header("Location", "/small")
            self.end_headers()
            return
        elif self.path == "/missing":
            self.send_response(404)
            self.end_headers()
            return
        else:
            body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_network_fetch_with_size_cap_redirects_and_errors(server: str) -> None:
    # plain http is allowed here only so that the test needs no certificate; the default is https only
    # and loopback is opted into (refused by default: tests/test_network_policy.py)
    fetch = Fetcher(
        allowed_schemes=("http",), max_bytes=1000, timeout=5, policy=NetworkPolicy(allow_loopback=True)
    )
    assert fetch(server + "/small#key-1") == b'{"ok": true}'
    assert fetch(server + "/redirect-ok") == b'{"ok": true}'
    with pytest.raises(FetchError, match="larger than 1000 bytes") as big:
        fetch(server + "/big")
    assert big.value.code == "fetch.too_large"
    with pytest.raises(FetchError, match="redirects to a ftp URL") as away:
        fetch(server + "/redirect-away")
    assert away.value.code == "fetch.redirect"
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch(server + "/missing")


def test_unreachable_host_is_a_fetch_error() -> None:
    fetch = Fetcher(allowed_schemes=("http",), timeout=2, policy=NetworkPolicy(allow_loopback=True))
    with pytest.raises(FetchError, match=r"127\.0\.0\.1:9"):
        fetch("http://127.0.0.1:9/x")
