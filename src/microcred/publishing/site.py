"""The static site an issuer uploads so anyone can verify its credentials (:func:`publish_site`).

One folder holds: the issuer's key documents (did:web DID document, or the controller document at an
https issuer's URL, and a JWKS), an issuer profile, every signed status list at the path its URL names
(as ``<path>.json``), a copy of each packaged microcred extension context and schema, one HTML page and
one JSON document per achievement, an index page, and the server rules (``.htaccess`` and an nginx
snippet) that serve each extension-less URL from its ``.json`` file as ``application/json``.

A run builds the whole site in a staging folder first (every list signed, every page rendered), then
moves each file into place with an atomic rename and removes the files an earlier run made that are no
longer part of the site: a failure before the moves leaves the published site untouched, and a reader
never sees a half-written file.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from .. import _json, _time
from .._files import sync_folder
from ..credential.builder import build_credential
from ..credential.inspection import ELEMENT_LABELS, credential_elements, describe_element
from ..credential.schema import _SCHEMAS  # the packaged schemas and the URLs they answer
from ..errors import InputError
from ..jsonld.loader import default_loader, known_context_urls
from ..keys.dids import controller_document, did_web_document, did_web_url, jwks
from ..status.publishing import PublishedList, signed_status_lists
from ..suites.jwt import read_jwt

#: Pages load nothing from anywhere; only their own inline style applies.
_CSP = (
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
)

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from ..keys.material import IssuerKey
    from ..ledger.protocol import Ledger
    from ..model.definition import Definition

#: URLs under this prefix are microcred's own published documents (every extension context version).
EXTENSION_PREFIX = "https://w3id.org/microcred/"
#: The folder of the site that mirrors them (``contexts/microcred/v1/context.jsonld`` …).
MIRROR_FOLDER = "contexts"
#: The manifest each run writes last; its presence marks a folder as a microcred site.
MANIFEST = ".microcred-site.json"
HTACCESS = ".htaccess"
NGINX = "nginx-microcred.conf"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"

#: The media type each file name ending is served with.
MEDIA_TYPES = {
    ".json": "application/json",
    ".jsonld": "application/ld+json",
    ".html": "text/html; charset=utf-8",
    ".conf": "text/plain; charset=utf-8",
}

_ELEMENTS_OF_AN_ACHIEVEMENT = tuple(
    name for name in ELEMENT_LABELS if name not in ("learner", "issued", "evidence", "expires")
)
_SLUG = re.compile(r"[^a-z0-9]+")
_REGEX_META = re.compile(r"([.^$*+?()[\]{}|\\])")


@dataclass(frozen=True)
class PublishedAchievement:
    """One achievement's pages: ``page`` (HTML) and ``document`` (JSON), paths relative to the site."""

    id: str
    name: str
    page: str
    document: str


@dataclass(frozen=True)
class PublishedSite:
    """What :func:`publish_site` wrote.

    ``files`` are paths relative to ``folder``; ``rewrites`` maps each extension-less URL path the site
    answers (``/status/revocation-1``) to the file that answers it (``/status/revocation-1.json``),
    exactly what ``.htaccess`` and the nginx snippet encode; ``mirrors`` maps each extension document's
    own URL to its copy in the site.
    """

    folder: Path
    site_url: str
    issuer: str
    files: tuple[str, ...]
    rewrites: dict[str, str]
    mirrors: dict[str, str]
    status_lists: tuple[PublishedList, ...]
    achievements: tuple[PublishedAchievement, ...]
    removed: tuple[str, ...] = field(default=())


def _fail(message: str, code: str = "publish.invalid", path: str | None = None) -> InputError:
    return InputError(message, code=code, path=path)


def _site_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise _fail(f"the site URL must be an absolute https:// URL, not {value!r}", path="site_url")
    if parts.query or parts.fragment:
        raise _fail(f"the site URL {value!r} must have no query or fragment", path="site_url")
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise _fail(f"the site URL {value!r} must be https:// (verifiers fetch over HTTPS)", path="site_url")
    return value if value.endswith("/") else value + "/"


def default_site_url(issuer: str) -> str | None:
    """Where an issuer's site is naturally served: its did:web host (and path), or its https origin."""
    if issuer.startswith("did:web:"):
        document_url = did_web_url(issuer)
        return (
            document_url.rsplit("/", 2)[0] + "/"
            if "/.well-known/" in document_url
            else (document_url.rsplit("/", 1)[0] + "/")
        )
    parts = urlsplit(issuer)
    if parts.scheme == "https" and parts.netloc:
        return f"https://{parts.netloc}/"
    return None


def _site_path(url: str, site_url: str, what: str) -> str:
    """The path of ``url`` inside the site (no leading slash), or an error naming both."""
    plain = url.split("#", 1)[0]
    if not plain.startswith(site_url):
        raise _fail(
            f"{what} {url} is not under the site URL {site_url}: a site published there cannot answer it "
            "(publish with the site URL that serves it)",
            code="publish.outside_site",
        )
    rest = plain[len(site_url) :]
    if "?" in rest:
        raise _fail(f"{what} {url} has a query; a static site cannot answer it", code="publish.outside_site")
    parts = unquote(rest).split("/")
    if not rest or any(p in ("", ".", "..") or "\\" in p for p in parts):
        raise _fail(f"{what} {url} does not name a file under {site_url}", code="publish.outside_site")
    if any(p.startswith(".") and p != ".well-known" for p in parts):
        raise _fail(f"{what} {url} names a hidden path", code="publish.outside_site")
    return "/".join(parts)


def _json_bytes(document: Any) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _slug(achievement_id: str, taken: set[str]) -> str:
    tail = achievement_id.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    base = _SLUG.sub("-", tail.lower()).strip("-")[:60] or "achievement"
    slug = base
    if slug in taken:
        slug = f"{base}-{hashlib.sha256(achievement_id.encode()).hexdigest()[:8]}"
    taken.add(slug)
    return slug


def _credential_json(data: bytes) -> dict[str, Any] | None:
    text = data.decode("utf-8", errors="replace").strip()
    if text.startswith("{"):
        try:
            value = _json.loads(text)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None
    try:
        return read_jwt(text).credential
    except InputError:
        return None


def _achievement_sources(
    ledger: Ledger | None, definitions: Sequence[Definition], issuer: str
) -> dict[str, dict[str, Any]]:
    """Achievement id → a credential stating it (``issuer``'s latest issued; else a definition's)."""
    found: dict[str, dict[str, Any]] = {}
    for definition in definitions:
        built = build_credential(definition, "did:example:holder")
        found[definition.achievement.id] = built
    if ledger is not None:
        latest: dict[str, tuple[str, str]] = {}  # achievement id → (issued at, credential id)
        for record in ledger.credentials():
            if record.issuer not in (None, issuer):
                continue
            seen = latest.get(record.achievement_id)
            if seen is None or record.issued_at >= seen[0]:
                latest[record.achievement_id] = (record.issued_at, record.credential_id)
        for achievement_id, (_, credential_id) in latest.items():  # one document read per achievement
            data = ledger.document(credential_id)
            credential = _credential_json(data) if data else None
            if credential is not None:
                found[achievement_id] = credential
    return found


def _achievement_of(credential: dict[str, Any]) -> dict[str, Any]:
    subject = credential.get("credentialSubject")
    if isinstance(subject, list):
        subject = subject[0] if subject else {}
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    return achievement if isinstance(achievement, dict) else {}


def _plain(achievement: dict[str, Any], credential: dict[str, Any]) -> list[dict[str, Any]]:
    """The achievement-level elements (no learner, date, grade value or evidence), in plain language."""
    elements = credential_elements(credential)
    grade = elements.get("grade")
    if isinstance(grade, dict):
        grade = {k: v for k, v in grade.items() if k != "value"} or None
        elements["grade"] = grade
    out = []
    for name in _ELEMENTS_OF_AN_ACHIEVEMENT:
        value = elements.get(name)
        text = describe_element(name, value) if value is not None else ""
        out.append(
            {"element": name, "label": ELEMENT_LABELS[name], "text": text or "Not stated", "value": value}
        )
    return out


def _text_of(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, dict):
        narrative = value.get("narrative")
        return narrative if isinstance(narrative, str) and narrative.strip() else None
    return None


_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.5;"
    "color:#1b1b1b}dt{font-weight:600;margin-top:.8rem}dd{margin-left:0;white-space:pre-line}"
    ".text{white-space:pre-line}code{word-break:break-all}footer{margin-top:2rem;color:#555;font-size:.9rem}"
)


def _page(title: str, body: str) -> bytes:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        + _CSP
        + f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>\n<body>\n{body}\n"
        "<footer>Published with microcred. Every credential names these documents by URL; "
        "verifiers read them from here.</footer>\n</body></html>\n"
    ).encode()


def _achievement_page(doc: dict[str, Any], issuer_name: str) -> bytes:
    esc = html.escape
    rows = "".join(f"<dt>{esc(e['label'])}</dt><dd>{esc(e['text'].strip())}</dd>" for e in doc["elements"])
    parts = [f"<h1>{esc(doc['name'])}</h1>", f"<p>Awarded by {esc(issuer_name)}.</p>"]
    if doc.get("description"):
        parts.append(f'<p class="text">{esc(doc["description"])}</p>')
    if doc.get("criteria"):
        parts.append(f'<h2>How it is earned</h2><p class="text">{esc(doc["criteria"])}</p>')
    parts.append(f"<h2>What it certifies</h2><dl>{rows}</dl>")
    parts.append(f"<p>Achievement id: <code>{esc(doc['id'])}</code></p>")
    return _page(doc["name"], "\n".join(parts))


def _index_page(
    issuer: str,
    issuer_name: str,
    achievements: Sequence[PublishedAchievement],
    lists: Sequence[PublishedList],
    key_paths: Sequence[str],
    site_url: str,
) -> bytes:
    esc = html.escape
    items = "".join(
        f'<li><a href="{esc(a.page)}">{esc(a.name)}</a> (<a href="{esc(a.document)}">JSON</a>)</li>'
        for a in achievements
    )
    keys = "".join(f'<li><a href="{esc(p)}">{esc(p)}</a></li>' for p in key_paths)
    status = "".join(f"<li><code>{esc(p.url)}</code> ({esc(p.purpose)})</li>" for p in lists)
    body = [
        f"<h1>{esc(issuer_name)}: micro-credentials</h1>",
        f"<p>Issuer: <code>{esc(issuer)}</code>. Site: <code>{esc(site_url)}</code>.</p>",
        f"<h2>Achievements</h2><ul>{items or '<li>None published yet.</li>'}</ul>",
        f"<h2>Keys</h2><ul>{keys}</ul>",
        f"<h2>Status lists</h2><ul>{status or '<li>None yet.</li>'}</ul>",
    ]
    return _page(f"{issuer_name}: micro-credentials", "\n".join(body))


def _prefix(site_url: str) -> str:
    return urlsplit(site_url).path or "/"


def htaccess_rules(rewrites: dict[str, str], site_url: str) -> str:
    """An Apache ``.htaccess`` serving each rewrite (URL path → file) as ``application/json``."""
    base = _prefix(site_url)
    lines = [
        "# Written by `microcred publish`: serve JSON documents as application/json, and each",
        "# extension-less URL a credential names from its .json file.",
        "AddType application/json .json",
        "AddType application/ld+json .jsonld",
        "<IfModule mod_headers.c>",
        '  <FilesMatch "\\.(json|jsonld)$">',
        '    Header set Access-Control-Allow-Origin "*"',
        "  </FilesMatch>",
        "</IfModule>",
        "RewriteEngine On",
        f"RewriteBase {base}",
    ]
    for url_path, file_path in sorted(rewrites.items()):
        source = url_path[len(base) :]
        target = file_path[len(base) :]
        pattern = _REGEX_META.sub(r"\\\1", source)
        lines.append(f"RewriteRule ^{pattern}$ {target} [T=application/json,L]")
    return "\n".join(lines) + "\n"


def nginx_rules(rewrites: dict[str, str], site_url: str) -> str:
    """An nginx snippet (inside the ``server`` block whose root serves the site) for the same rewrites."""
    lines = [
        "# Written by `microcred publish`: include inside the server block that serves this folder at",
        f"# {site_url}. Each URL a credential names is answered from its .json file as application/json.",
        "location ~* \\.json$ { types { } default_type application/json; "
        'add_header Access-Control-Allow-Origin "*"; }',
        "location ~* \\.jsonld$ { types { } default_type application/ld+json; "
        'add_header Access-Control-Allow-Origin "*"; }',
    ]
    for url_path, file_path in sorted(rewrites.items()):
        lines.append(
            f"location = {url_path} {{ default_type application/json; "
            f'add_header Access-Control-Allow-Origin "*"; try_files {file_path} =404; }}'
        )
    return "\n".join(lines) + "\n"


def _extension_documents() -> dict[str, bytes]:
    """Every packaged microcred context and schema (all versions), by its own URL."""
    out: dict[str, bytes] = {}
    for url in sorted(known_context_urls()):
        if url.startswith(EXTENSION_PREFIX):
            out[url] = _json_bytes(default_loader.document(url))
    for path, urls in _SCHEMAS.values():
        for url in urls:
            if url.startswith(EXTENSION_PREFIX):
                out[url] = Path(path).read_bytes()
    return out


class _Builder:
    def __init__(self, site_url: str) -> None:
        self.site_url = site_url
        self.files: dict[str, bytes] = {}
        self.rewrites: dict[str, str] = {}

    def add(self, path: str, data: bytes) -> None:
        if path in self.files or path in (MANIFEST,):
            raise _fail(f"two documents would be written to {path}", code="publish.collision")
        self.files[path] = data

    def add_at_url(self, url: str, document: Any, what: str) -> str:
        """Add ``document`` where ``url`` names it; an extension-less URL gets ``.json`` and a rewrite."""
        path = _site_path(url, self.site_url, what)
        if PurePosixPath(path).suffix.lower() in (".json", ".jsonld"):
            self.add(path, _json_bytes(document))
            return path
        file_path = path + ".json"
        self.add(file_path, _json_bytes(document))
        base = _prefix(self.site_url)
        self.rewrites[base + path] = base + file_path
        return file_path


def publish_site(
    out_dir: str | os.PathLike[str],
    *,
    keys: Sequence[IssuerKey],
    site_url: str,
    ledger: Ledger | None = None,
    definitions: Sequence[Definition] = (),
    issuer_name: str | None = None,
    now: datetime | None = None,
    valid_until: datetime | None = None,
) -> PublishedSite:
    """Write (or update) the static site for the issuer of ``keys`` in ``out_dir``; see the module doc.

    ``keys[0]`` signs the status lists of ``ledger`` (it needs its private part when there are any);
    all keys must share one controller, the issuer. ``site_url`` is where ``out_dir`` is served: every
    URL the site must answer (status lists, did:web document, https issuer document) must lie under it.
    Achievements come from the credentials in ``ledger`` and from ``definitions``.
    Raises :class:`InputError` (nothing written) when something cannot be published.
    """
    if not keys:
        raise _fail("no issuer key to publish", path="keys")
    site = _site_url(site_url)
    issuer = keys[0].controller
    for key in keys:
        if key.controller != issuer:
            raise _fail(f"key {key.key_id} belongs to {key.controller}, not {issuer}", path="keys")
    public = [k.public() for k in keys]
    build = _Builder(site)
    key_paths: list[str] = []

    if issuer.startswith("did:web:"):
        key_paths.append(build.add_at_url(did_web_url(issuer), did_web_document(public), "the DID document"))
    elif issuer.startswith(("https://", "http://")):
        key_paths.append(build.add_at_url(issuer, controller_document(public), "the issuer's key document"))
    build.add(".well-known/jwks.json", _json_bytes(jwks(public)))
    key_paths.append(".well-known/jwks.json")

    lists: list[PublishedList] = []
    if ledger is not None and ledger.lists():
        for record in ledger.lists():  # this issuer's lists must be answerable by this site
            if record.issuer in (None, issuer):
                _site_path(record.url, site, "the status list")
        # another issuer's lists elsewhere in a shared ledger are theirs to publish
        lists = signed_status_lists(
            ledger, keys[0], base_url=site, now=now or _time.now(), valid_until=valid_until
        )
        for item in lists:
            build.add_at_url(item.url, item.document, "the status list")

    sources = _achievement_sources(ledger, definitions, issuer)
    name = issuer_name
    for credential in sources.values():
        found = credential.get("issuer")
        if name is None and isinstance(found, dict) and isinstance(found.get("name"), str):
            name = found["name"]
    name = name or issuer
    if "issuer.json" not in build.files:
        profile = {"@context": [OB_CONTEXT], "id": issuer, "type": ["Profile"], "name": name, "url": site}
        build.add("issuer.json", _json_bytes(profile))
        key_paths.append("issuer.json")

    mirrors: dict[str, str] = {}
    for url, data in _extension_documents().items():
        path = f"{MIRROR_FOLDER}/{url[len('https://w3id.org/') :]}"
        build.add(path, data)
        mirrors[url] = path

    achievements: list[PublishedAchievement] = []
    taken: set[str] = set()
    for achievement_id, credential in sorted(sources.items()):
        achievement = _achievement_of(credential)
        title = _text_of(achievement.get("name")) or achievement_id
        slug = _slug(achievement_id, taken)
        doc = {
            "id": achievement_id,
            "name": title,
            "description": _text_of(achievement.get("description")),
            "criteria": _text_of(achievement.get("criteria")),
            "achievementType": achievement.get("achievementType"),
            "issuer": {"id": issuer, "name": name},
            "elements": _plain(achievement, credential),
            "achievement": achievement,
        }
        entry = PublishedAchievement(
            achievement_id, title, f"achievements/{slug}.html", f"achievements/{slug}.json"
        )
        build.add(entry.document, _json_bytes(doc))
        build.add(entry.page, _achievement_page(doc, name))
        achievements.append(entry)

    build.add("index.html", _index_page(issuer, name, achievements, lists, key_paths, site))
    build.add(HTACCESS, htaccess_rules(build.rewrites, site).encode("utf-8"))
    build.add(NGINX, nginx_rules(build.rewrites, site).encode("utf-8"))

    removed = _install(
        Path(out_dir), build.files, {"site_url": site, "issuer": issuer, "rewrites": build.rewrites}
    )
    return PublishedSite(
        folder=Path(out_dir),
        site_url=site,
        issuer=issuer,
        files=tuple(sorted(build.files)),
        rewrites=dict(build.rewrites),
        mirrors=mirrors,
        status_lists=tuple(lists),
        achievements=tuple(achievements),
        removed=tuple(removed),
    )


def _previous_files(out: Path) -> list[str] | None:
    """The files an earlier run wrote (None: ``out`` is not a microcred site and is not empty)."""
    if not out.exists():
        return []
    if not out.is_dir():
        raise _fail(f"{out} exists and is not a folder", code="publish.not_a_site")
    manifest = out / MANIFEST
    if manifest.is_file() and not manifest.is_symlink():
        try:
            files = _json.loads(manifest.read_text(encoding="utf-8")).get("files", [])
        except (OSError, ValueError, AttributeError):
            files = None
        if isinstance(files, list) and all(isinstance(f, str) for f in files):
            return files
        raise _fail(f"{manifest} is damaged; publish into a new folder", code="publish.not_a_site")
    if any(out.iterdir()):
        return None
    return []


def _install(out: Path, files: dict[str, bytes], meta: dict[str, Any]) -> list[str]:
    previous = _previous_files(out)
    if previous is None:
        raise _fail(
            f"{out} holds files but no {MANIFEST}: it is not a site microcred published; "
            "choose an empty or new folder",
            code="publish.not_a_site",
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.microcred-", dir=out.parent))
    try:
        for rel, data in files.items():
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            os.chmod(target, 0o644)
        manifest = {**meta, "generated": _time.format_utc(_time.now()), "files": sorted(files)}
        (staging / MANIFEST).write_bytes(_json_bytes(manifest))
        for folder in {staging, *(p.parent for p in staging.rglob("*"))}:
            sync_folder(folder)
        if not out.exists():
            os.replace(staging, out)  # the whole site appears at once
            sync_folder(out.parent)
            return []
        root = out.resolve()
        for rel in sorted(files):  # every target checked before anything is replaced
            target = out / rel
            parent = target.parent
            while not parent.exists() and parent != out:
                parent = parent.parent
            if not parent.resolve().is_relative_to(root):
                raise _fail(f"{parent} leads out of {out} (a symbolic link?); refused", code="publish.unsafe")
            if target.is_symlink() or not target.exists():
                continue  # a link itself is replaced, never written through
            if not stat.S_ISREG(target.stat().st_mode):
                raise _fail(
                    f"{target} is not a regular file; the site needs a file there", code="publish.collision"
                )
        for rel in sorted(files):
            target = out / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / rel, target)
            sync_folder(target.parent)
        removed = []
        for rel in previous:
            if rel in files or ".." in PurePosixPath(rel).parts or PurePosixPath(rel).is_absolute():
                continue
            stale = out / rel
            if not stale.parent.resolve().is_relative_to(root):
                continue  # a folder that now leads elsewhere: never delete outside the site
            if stale.is_file() or stale.is_symlink():
                stale.unlink()
                removed.append(rel)
        os.replace(staging / MANIFEST, out / MANIFEST)
        sync_folder(out)
        return removed
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
