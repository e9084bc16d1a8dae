"""Issue 10, class 10 for classes 2 and 7: generated cases in bounded time (fixed seeds, capped example
counts, a server on 127.0.0.1 that stops with the module), so a regression is caught in CI.

- any URL, however malformed, and any DNS answer: the fetcher raises only FetchError;
- any redirect chain mixing hops to the test server and hops to refused addresses: a refused hop is
  never connected to, more than three redirects are refused, and a chain is followed otherwise;
- any CSV with oversized lines among good ones: each oversized line is one row error, the rest read.
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microcred import limits
from microcred.cohort.rows import CohortRowError, scan_cohort
from microcred.errors import FetchError
from microcred.fetch import Fetcher, NetworkPolicy


class _Chain(BaseHTTPRequestHandler):
    """``/c/<id>/<n>`` redirects to the chain's hop n (a URL the test set), or answers at the end."""

    server: _Server

    def do_GET(self) -> None:
        self.server.seen.append(self.path)
        hops = self.server.chains.get(self.path.split("/")[2], []) if self.path.startswith("/c/") else []
        n = int(self.path.rsplit("/", 1)[1]) if self.path.startswith("/c/") else 0
        if n < len(hops):
            self.send_response(302)
            self.send_header("Location", hops[n])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b'{"end": true}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Chain)
        self.seen: list[str] = []
        self.chains: dict[str, list[str]] = {}


@pytest.fixture(scope="module")
def server() -> Iterator[_Server]:
    httpd = _Server()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@dataclass(frozen=True)
class _OnePublic(NetworkPolicy):
    """The test server (127.0.0.1) stands in for a public host; every other address as by default."""

    def refuses(self, address):  # type: ignore[no-untyped-def]
        return None if address == "127.0.0.1" else super().refuses(address)


_REFUSED = ["10.0.0.1", "127.0.0.2", "[::1]", "169.254.169.254", "[fd00::5]", "0.0.0.0", "224.0.0.9"]
_FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None)


@_FUZZ
@given(
    st.one_of(
        st.text(max_size=60),
        st.builds(
            lambda scheme, host, port, path: f"{scheme}://{host}{port}{path}",
            st.sampled_from(["https", "http", "HTTPS", "ftp", "", "file"]),
            st.one_of(st.text(max_size=20), st.sampled_from(["[::1", "[zz]", "a..b", "xn--", "%00", "@h"])),
            st.sampled_from(["", ":0", ":99999", ":-1", ":abc", ":443"]),
            st.text(max_size=20),
        ),
    ),
    # no public address: the test must never reach for the real network
    st.lists(
        st.sampled_from(["127.0.0.1", "10.1.1.1", "::1", "fe80::1", "::ffff:10.0.0.1", "bogus"]), max_size=3
    ),
)
def test_any_url_and_any_dns_answer_give_only_fetch_errors(url: str, answer: list[str]) -> None:
    fetch = Fetcher(
        allowed_schemes=("https",),
        resolve=lambda host, port: answer,
        policy=NetworkPolicy(deadline=0.5),
    )
    try:
        fetch(url)
    except FetchError as exc:
        assert exc.code.startswith("fetch.")
        assert "Traceback" not in exc.message


_hop = st.one_of(
    st.just("ok"),  # another redirect on the test server
    st.sampled_from(_REFUSED),
    st.just("internal.example"),  # a name that resolves to a private address
)


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(_hop, max_size=6))
def test_generated_redirect_chains(server: _Server, hops: list[str]) -> None:
    chain = str(len(server.chains))
    urls = []
    for n, hop in enumerate(hops, start=1):
        if hop == "ok":
            urls.append(f"/c/{chain}/{n}")
        else:
            urls.append(f"http://{hop}:{server.server_address[1]}/c/{chain}/{n}")
    server.chains[chain] = urls
    before = len(server.seen)
    fetch = Fetcher(
        allowed_schemes=("http",),
        policy=_OnePublic(),
        resolve=lambda host, port: ["127.0.0.1"] if host == "127.0.0.1" else ["192.168.7.7"],
    )
    first_refused = next((i for i, h in enumerate(hops) if h != "ok"), None)
    try:
        data = fetch(f"http://127.0.0.1:{server.server_address[1]}/c/{chain}/0")
    except FetchError as exc:
        requests = len(server.seen) - before
        if first_refused is not None and first_refused < limits.MAX_REDIRECTS:
            assert exc.code == "fetch.address", exc.message
            assert requests == first_refused + 1  # the refused hop itself was never asked
        else:
            assert exc.code == "fetch.redirect" and len(hops) > limits.MAX_REDIRECTS
            assert requests == limits.MAX_REDIRECTS + 1
    else:
        assert data == b'{"end": true}'
        assert first_refused is None and len(hops) <= limits.MAX_REDIRECTS


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(st.lists(st.sampled_from(["good", "long", "long-quoted"]), min_size=1, max_size=8))
def test_generated_csvs_with_oversized_lines(
    tmp_path_factory: pytest.TempPathFactory, kinds: list[str]
) -> None:
    path = Path(tmp_path_factory.mktemp("csv")) / "cohort.csv"
    text = io.StringIO()
    out = csv.writer(text, lineterminator="\n")
    out.writerow(["email", "name"])
    huge = "Z" * (limits.MAX_CSV_LINE_CHARS + 10)
    for i, kind in enumerate(kinds):
        name = {"good": f"Learner {i}", "long": huge, "long-quoted": huge.replace("ZZ", "Z,", 99)}[kind]
        out.writerow([f"l{i}@example.org", name])
    path.write_text(text.getvalue(), encoding="utf-8")
    items = list(scan_cohort(path))
    assert len(items) == len(kinds)
    for line, (kind, item) in enumerate(zip(kinds, items, strict=True), start=2):
        if kind == "good":
            assert not isinstance(item, CohortRowError), item
        else:
            assert isinstance(item, CohortRowError) and item.line == line
            assert item.code == "cohort.line_too_long"
