"""A static HTTPS server for a folder written by ``microcred publish``, for tests only.

It serves the folder the way the generated nginx snippet says a real server must: every
``location = /url { … try_files /file.json =404; }`` answers ``/url`` from that file as
``application/json``, ``.json`` and ``.jsonld`` files get the media types the snippet's regex locations
give them, and nothing else is rewritten. The rules are read from the snippet itself (a test holds the
``.htaccess`` to the same mapping), so the server honours what was generated, not a copy of the logic.

HTTPS on 127.0.0.1 only, with a throwaway CA made here (:func:`make_tls`): a client trusts it through
``SSL_CERT_FILE`` (Python/OpenSSL) or ``NODE_EXTRA_CA_CERTS`` (Node). The server stops when its context
manager exits, or by itself after ``lifetime`` seconds.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_EXACT = re.compile(r"location = (\S+) \{[^}]*?try_files (\S+) =404; \}")
_SUFFIX = re.compile(r"location ~\* \\\.(\w+)\$ \{ types \{ \} default_type ([^;]+);")
_HTACCESS_RULE = re.compile(r"^RewriteRule \^(\S+)\$ (\S+) \[T=application/json,L\]$", re.M)
_HTACCESS_TYPE = re.compile(r"^AddType (\S+) \.(\w+)$", re.M)
_HTACCESS_BASE = re.compile(r"^RewriteBase (\S+)$", re.M)


def nginx_mapping(snippet: str) -> tuple[dict[str, str], dict[str, str]]:
    """(URL path → file path, file suffix → media type) as the nginx snippet states them."""
    return dict(_EXACT.findall(snippet)), {s: t.strip() for s, t in _SUFFIX.findall(snippet)}


def htaccess_mapping(text: str) -> tuple[dict[str, str], dict[str, str]]:
    """The same two tables as the ``.htaccess`` states them (rules relative to its RewriteBase)."""
    base_match = _HTACCESS_BASE.search(text)
    base = base_match.group(1) if base_match else "/"
    rewrites = {}
    for pattern, target in _HTACCESS_RULE.findall(text):
        source = re.sub(r"\\(.)", r"\1", pattern)
        rewrites[base + source] = base + target
    return rewrites, {suffix: kind for kind, suffix in _HTACCESS_TYPE.findall(text)}


@dataclass(frozen=True)
class Tls:
    ca_file: Path
    cert_file: Path
    key_file: Path


def make_tls(folder: Path) -> Tls:
    """A throwaway CA and a server certificate for 127.0.0.1 signed by it, as PEM files in ``folder``."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "microcred test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    tls = Tls(folder / "ca.pem", folder / "server.pem", folder / "server-key.pem")
    tls.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    tls.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    tls.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return tls


class SiteServer:
    """Serves ``root`` (a published site) over HTTPS on 127.0.0.1:``port``; ``requests`` logs each path."""

    def __init__(self, root: Path, sock: socket.socket, tls: Tls) -> None:
        self.root = root
        self.requests: list[tuple[str, int, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, kind, body = server.answer(self.path)
                server.requests.append((self.path, status, kind))
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
        self.httpd.socket.close()
        self.httpd.socket = sock
        self.httpd.server_address = sock.getsockname()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls.cert_file, tls.key_file)
        self.httpd.socket = context.wrap_socket(sock, server_side=True)

    def rules(self) -> tuple[dict[str, str], dict[str, str]]:
        snippet = self.root / "nginx-microcred.conf"
        return nginx_mapping(snippet.read_text(encoding="utf-8")) if snippet.is_file() else ({}, {})

    def answer(self, raw_path: str) -> tuple[int, str, bytes]:
        path = unquote(urlsplit(raw_path).path)
        rewrites, types = self.rules()
        kind = None
        if path in rewrites:
            path, kind = rewrites[path], "application/json"
        parts = [p for p in path.split("/") if p]
        if path.endswith("/"):
            parts.append("index.html")
        parts = parts or ["index.html"]
        target = self.root.joinpath(*parts)
        if ".." in parts or not target.is_file() or target.name in ("nginx-microcred.conf", ".htaccess"):
            return 404, "text/plain", b"not found"
        suffix = target.suffix.lstrip(".")
        if kind is None:
            fallback = "text/html; charset=utf-8" if suffix == "html" else "application/octet-stream"
            kind = types.get(suffix) or fallback
        return 200, kind, target.read_bytes()


def reserve_port() -> socket.socket:
    """A listening socket on 127.0.0.1 with a free port (its URL can be put in credentials first)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    return sock


@contextmanager
def serving(root: Path, sock: socket.socket, tls: Tls, *, lifetime: float = 600.0) -> Iterator[SiteServer]:
    """Serve ``root`` on ``sock`` until the block ends (or ``lifetime`` seconds pass)."""
    server = SiteServer(root, sock, tls)
    thread = threading.Thread(target=server.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    timer = threading.Timer(lifetime, server.httpd.shutdown)
    timer.daemon = True
    timer.start()
    try:
        yield server
    finally:
        timer.cancel()
        server.httpd.shutdown()
        server.httpd.server_close()
        thread.join(timeout=10)
