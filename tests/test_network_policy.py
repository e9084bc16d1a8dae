"""Issue 10, class 2: the network policy of verification's fetcher, against real servers on 127.0.0.1.

Loopback is refused by default, so every test that needs its server opts in explicitly
(``NetworkPolicy(allow_loopback=True)``) or stands the server in for a public host with a policy that
calls exactly that one address public. Servers listen on 127.0.0.1 only, every loop they run is
bounded, and each stops when its test ends (or when the client hangs up).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microcred.errors import FetchError
from microcred.fetch import PUBLIC_ONLY, FetchBudget, Fetcher, NetworkPolicy, address_class

LOOPBACK_OK = NetworkPolicy(allow_loopback=True)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self.server.requests.append((self.path, self.headers.get("Host")))
        path = self.path.split("?", 1)[0]
        if path == "/doc":
            self._send(200, b'{"ok": true}')
        elif path == "/secret-error":
            self.send_response(500, "db at 10.1.2.3 refused user admin")
            self.send_header("X-Backend", "10.1.2.3:5432")
            self.send_header("Content-Length", "26")
            self.end_headers()
            self.wfile.write(b"stack trace of the backend")
        elif path.startswith("/redirect/"):
            self.send_response(302)
            self.send_header("Location", self.server.redirects[path])
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path.startswith("/hop/"):  # /hop/N redirects to /hop/N+1, for ever
            n = int(path.rsplit("/", 1)[1])
            self.send_response(302)
            self.send_header("Location", f"/hop/{n + 1}")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/drip":  # a body of one byte per tick: at most 400 ticks
            self.send_response(200)
            self.send_header("Content-Length", "400")
            self.end_headers()
            self._drip(b"x" * 400)
        elif path == "/slow-headers":  # the status line, then headers one byte per tick
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            self._drip(b"X-Padding: " + b"a" * 400 + b"\r\n\r\n")
        else:
            self._send(404, b"")

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _drip(self, data: bytes) -> None:
        for i in range(len(data)):
            if self.server.stopping.is_set():
                return
            try:
                self.wfile.write(data[i : i + 1])
                self.wfile.flush()
            except OSError:  # the client hung up: stop
                return
            time.sleep(0.02)

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[str, str | None]] = []
        self.redirects: dict[str, str] = {}
        self.stopping = threading.Event()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def server() -> Iterator[_Server]:
    httpd = _Server()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.stopping.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def http_fetcher(policy: NetworkPolicy = PUBLIC_ONLY, **kwargs) -> Fetcher:
    # plain http only so that the servers need no certificate; the default is https only
    return Fetcher(allowed_schemes=("http",), policy=policy, **kwargs)


@dataclass(frozen=True)
class _OnePublic(NetworkPolicy):
    """Stands the test server (127.0.0.1) in for a public host; everything else as the default."""

    def refuses(self, address):  # type: ignore[no-untyped-def]
        return None if address == "127.0.0.1" else super().refuses(address)


# ---- refused by default, after DNS, on every redirect ------------------------------------------


def test_loopback_is_refused_by_default_before_any_connection(server: _Server) -> None:
    with pytest.raises(FetchError) as info:
        http_fetcher()(server.base + "/doc")
    assert info.value.code == "fetch.address" and "loopback" in info.value.message
    assert server.requests == []
    assert http_fetcher(LOOPBACK_OK)(server.base + "/doc") == b'{"ok": true}'


def test_a_name_is_vetted_after_dns_and_the_vetted_address_is_connected(server: _Server) -> None:
    lookups: list[str] = []

    def resolve(host: str, port: int) -> list[str]:  # a rebinding DNS: loopback once, then public
        lookups.append(host)
        return ["127.0.0.1"] if len(lookups) == 1 else ["93.184.216.34"]

    url = f"http://badges.example:{server.port}/doc"
    with pytest.raises(FetchError) as info:
        http_fetcher(resolve=lambda h, p: ["127.0.0.1"])(url)
    assert info.value.code == "fetch.address" and "127.0.0.1" not in info.value.message
    assert http_fetcher(LOOPBACK_OK, resolve=resolve)(url) == b'{"ok": true}'
    assert lookups == ["badges.example"]  # one lookup, and its vetted answer was the one used
    assert server.requests == [("/doc", f"badges.example:{server.port}")]  # the Host kept


def test_a_host_with_any_refused_address_is_refused(server: _Server) -> None:
    fetch = http_fetcher(_OnePublic(), resolve=lambda h, p: ["127.0.0.1", "10.0.0.8"])
    with pytest.raises(FetchError, match="private address") as info:
        fetch(f"http://mixed.example:{server.port}/doc")
    assert "10.0.0.8" not in info.value.message and server.requests == []


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.2:{port}/doc",  # loopback
        "http://10.0.0.1/doc",  # private
        "http://169.254.169.254/latest/meta-data/",  # link-local: cloud metadata
        "http://[::1]:{port}/doc",
        "http://[::ffff:127.0.0.1]:{port}/doc",
        "http://internal.example:{port}/doc",  # resolves to a private address
        "http://0.0.0.0:{port}/doc",
    ],
)
def test_every_redirect_hop_is_vetted(server: _Server, target: str) -> None:
    server.redirects["/redirect/a"] = target.format(port=server.port)
    fetch = http_fetcher(_OnePublic(), resolve=lambda h, p: ["192.168.1.20"])
    with pytest.raises(FetchError) as info:
        fetch(server.base + "/redirect/a")
    assert info.value.code == "fetch.address" and "redirects" in info.value.message
    assert [p for p, _ in server.requests] == ["/redirect/a"]  # the hop was never connected to


def test_redirects_are_capped(server: _Server) -> None:
    with pytest.raises(FetchError, match="more than 3 redirects") as info:
        http_fetcher(LOOPBACK_OK)(server.base + "/hop/0")
    assert info.value.code == "fetch.redirect"
    assert len(server.requests) == 4  # the first request and three redirects, no more
    server.redirects["/redirect/ok"] = "/doc"
    assert http_fetcher(LOOPBACK_OK)(server.base + "/redirect/ok") == b'{"ok": true}'


def test_intranet_opt_in_admits_private_but_never_link_local_or_reserved() -> None:
    intranet = NetworkPolicy(allow_private=True)
    assert intranet.refuses("10.20.30.40") is None and intranet.refuses("fd12::1") is None
    for address in ("169.254.169.254", "127.0.0.1", "224.0.0.1", "0.0.0.0", "240.0.0.1"):
        assert intranet.refuses(address) is not None, address
    assert NetworkPolicy().refuses("10.20.30.40") == "private"


# ---- deadline and minimum rate -----------------------------------------------------------------


def test_a_dripping_body_fails_on_the_minimum_rate(server: _Server) -> None:
    policy = NetworkPolicy(allow_loopback=True, rate_grace=0.3, min_rate=1000, deadline=60)
    with pytest.raises(FetchError) as info:
        http_fetcher(policy)(server.base + "/drip")
    assert info.value.code == "fetch.too_slow"


def test_dripping_headers_fail_on_the_whole_request_deadline(server: _Server) -> None:
    policy = NetworkPolicy(allow_loopback=True, deadline=0.5)
    with pytest.raises(FetchError) as info:
        http_fetcher(policy)(server.base + "/slow-headers")
    assert info.value.code == "fetch.timeout"


def test_a_silent_server_fails_on_the_deadline() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:  # accepts (backlog) but never answers
        port = listener.getsockname()[1]
        policy = NetworkPolicy(allow_loopback=True, deadline=0.5)
        with pytest.raises(FetchError) as info:
            http_fetcher(policy)(f"http://127.0.0.1:{port}/doc")
    assert info.value.code == "fetch.timeout"


# ---- what the error says, the per-run cache, the budget ----------------------------------------


def test_errors_do_not_repeat_what_the_remote_host_said(server: _Server) -> None:
    with pytest.raises(FetchError) as info:
        http_fetcher(LOOPBACK_OK)(server.base + "/secret-error")
    message = info.value.message
    assert info.value.code == "fetch.http" and "HTTP 500" in message
    for leak in ("10.1.2.3", "admin", "stack trace", "5432"):
        assert leak not in message


def test_a_fetcher_fetches_each_url_once_per_run(server: _Server) -> None:
    fetch = http_fetcher(LOOPBACK_OK)
    for _ in range(3):
        assert fetch(server.base + "/doc#key-1") == b'{"ok": true}'
        with pytest.raises(FetchError):
            fetch(server.base + "/missing")
    assert sorted(p for p, _ in server.requests) == ["/doc", "/missing"]


def test_the_budget_bounds_distinct_documents_and_answers_repeats_from_memory() -> None:
    asked: list[str] = []

    def fetch(url: str) -> bytes:
        asked.append(url)
        return url.encode()

    budget = FetchBudget(fetch, max_documents=5)
    for i in range(5):
        assert budget(f"https://h.example/{i}#a") == f"https://h.example/{i}#a".encode()
        budget(f"https://h.example/{i}#a")
    with pytest.raises(FetchError) as info:
        budget("https://h.example/5")
    assert info.value.code == "fetch.budget" and len(asked) == 5
    assert budget("https://h.example/0#b")  # another key of a document already counted


# ---- the address classes, generated -----------------------------------------------------------

_NETS = {
    "loopback": ["127.0.0.0/8", "::1/128"],
    "private": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"],
    "link-local": ["169.254.0.0/16", "fe80::/10"],
    "multicast": ["224.0.0.0/4", "ff00::/8"],
    "reserved": ["240.0.0.0/5", "192.0.2.0/24", "198.18.0.0/15", "2001:db8::/32"],
}


@st.composite
def _in_class(draw: st.DrawFn) -> tuple[str, str]:
    kind = draw(st.sampled_from(sorted(_NETS)))
    net = ipaddress.ip_network(draw(st.sampled_from(_NETS[kind])))
    offset = draw(st.integers(0, net.num_addresses - 1))
    address = net.network_address + offset
    if isinstance(address, ipaddress.IPv4Address) and draw(st.booleans()):
        return kind, f"::ffff:{address}"  # the same address, IPv4-mapped
    return kind, str(address)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_in_class())
def test_every_non_public_address_is_refused_by_default(case: tuple[str, str]) -> None:
    kind, address = case
    assert address_class(address) == kind
    assert NetworkPolicy().refuses(address) == kind
    allowed = NetworkPolicy(allow_private=True, allow_loopback=True, allow_link_local=True)
    assert (allowed.refuses(address) is None) == (kind in ("private", "loopback", "link-local"))


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("2002:7f00:1::1", "loopback"),  # 6to4 around 127.0.0.1
        ("64:ff9b::a00:1", "private"),  # NAT64 around 10.0.0.1
        ("8.8.8.8", "public"),
        ("2606:4700:4700::1111", "public"),
    ],
)
def test_addresses_hidden_inside_ipv6_are_judged_as_themselves(address: str, kind: str) -> None:
    assert address_class(address) == kind


# ---- HTTPS: the vetted address is connected, the name is what TLS checks -------------------------


def _self_signed(tmp_path, name: str) -> tuple[str, str]:
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(cert_path), str(key_path)


def test_https_connects_to_the_vetted_address_and_checks_the_name(tmp_path) -> None:
    import ssl

    cert, key = _self_signed(tmp_path, "badges.test")
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    names: list[str | None] = []
    server_tls.sni_callback = lambda sock, name, ctx: names.append(name)  # type: ignore[assignment]
    httpd = _Server()
    httpd.socket = server_tls.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        client_tls = ssl.create_default_context(cafile=cert)
        fetch = Fetcher(policy=LOOPBACK_OK, resolve=lambda h, p: ["127.0.0.1"], tls=client_tls)
        assert fetch(f"https://badges.test:{httpd.port}/doc") == b'{"ok": true}'
        assert names == ["badges.test"]  # SNI is the name, not the address connected to
        assert httpd.requests == [("/doc", f"badges.test:{httpd.port}")]
        with pytest.raises(FetchError) as info:  # same address, another name: the certificate decides
            fetch(f"https://impostor.test:{httpd.port}/doc")
        assert info.value.code == "fetch.tls" and "impostor.test" in info.value.message
        with pytest.raises(FetchError) as refused:  # and by default the address is refused outright
            Fetcher(resolve=lambda h, p: ["127.0.0.1"], tls=client_tls)(f"https://badges.test:{httpd.port}/x")
        assert refused.value.code == "fetch.address"
    finally:
        httpd.stopping.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
