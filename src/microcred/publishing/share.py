"""The share kit of one credential (:func:`share_kit`): what a learner needs to show it off.

* a "verify this badge" link to the issuer's verification page (``<base>/verify?url=<credential URL>``,
  the link form of ``microcred serve``'s page) and a QR code of it (segno);
* the LinkedIn "add to profile" URL filled in from the credential;
* a printable one-page HTML certificate stating the micro-credential elements (every value escaped);
* the credential baked into a PNG badge (the issuer's artwork, or a default PNG badge).

The credential is read as given (it is the issuer's own output); nothing here verifies it.
"""

from __future__ import annotations

import base64
import html
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

import segno

from .. import _json, _time
from .._files import write_atomic
from ..baking.badge_png import default_badge_png
from ..baking.bake import bake
from ..credential.inspection import ELEMENT_LABELS, credential_elements, describe_element
from ..errors import InputError
from ..suites.jwt import read_jwt

#: The page loads nothing from anywhere: only its own inline style and inline (data:) images.
_CSP = (
    '<meta http-equiv="Content-Security-Policy" '
    "content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
)

if TYPE_CHECKING:
    import os

LINKEDIN_ADD_TO_PROFILE = "https://www.linkedin.com/profile/add"


@dataclass(frozen=True)
class ShareKit:
    """Everything :func:`share_kit` made for one credential."""

    credential_id: str
    title: str
    credential_url: str
    verify_url: str
    linkedin_url: str
    qr_svg: str
    qr_png: bytes
    certificate_html: str
    badge_png: bytes
    credential_text: str


def _fail(message: str, path: str | None = None) -> InputError:
    return InputError(message, code="share.invalid", path=path)


def _http_url(value: str, what: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise _fail(f"{what} must be an absolute https:// URL, not {value!r}", path=what)
    return value


def _credential(value: dict[str, Any] | str) -> tuple[dict[str, Any], str, dict[str, Any] | str]:
    """(the credential's JSON, its text to publish, what to bake) from a JSON object or a compact JWT."""
    if isinstance(value, dict):
        return value, json.dumps(value, indent=2, ensure_ascii=False) + "\n", value
    if not isinstance(value, str):
        raise _fail("a credential is a JSON object or a compact JWT")
    text = value.strip()
    if text.startswith("{"):
        try:
            parsed = _json.loads(text)
        except ValueError as exc:
            raise _fail(f"the credential is not valid JSON ({exc})") from None
        if not isinstance(parsed, dict):
            raise _fail("the credential is JSON but not an object")
        return parsed, text + "\n", parsed
    return read_jwt(text).credential, text + "\n", text


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def verify_link(verify_base: str, credential_url: str) -> str:
    """``<verify_base>/verify?url=<credential_url>`` (the URL percent-encoded)."""
    base = _http_url(verify_base, "verify_base").rstrip("/")
    if base.endswith("/verify"):
        base = base[: -len("/verify")]
    return f"{base}/verify?url={quote(_http_url(credential_url, 'credential_url'), safe='')}"


def linkedin_url(credential: dict[str, Any], cert_url: str, *, organization_id: str | None = None) -> str:
    """The LinkedIn "add to profile" URL (certification) for ``credential``, linking to ``cert_url``."""
    elements = credential_elements(credential)
    params: dict[str, str] = {"startTask": "CERTIFICATION_NAME", "name": elements["title"] or "Open Badge"}
    if organization_id:
        if not organization_id.isdigit():
            raise _fail(f"a LinkedIn organization id is a number, not {organization_id!r}", "organization_id")
        params["organizationId"] = organization_id
    else:
        body = elements.get("awarding_body") or {}
        name = body.get("name") or body.get("id")
        if name:
            params["organizationName"] = str(name)
    for prefix, when in (("issue", elements.get("issued")), ("expiration", elements.get("expires"))):
        if isinstance(when, str):
            try:
                moment = _time.parse(when)
            except _time.DateTimeError:
                continue
            params[f"{prefix}Year"] = str(moment.year)
            params[f"{prefix}Month"] = str(moment.month)
    params["certUrl"] = cert_url
    if isinstance(credential.get("id"), str):
        params["certId"] = credential["id"]
    return f"{LINKEDIN_ADD_TO_PROFILE}?{urlencode(params, quote_via=quote)}"


_CERT_STYLE = (
    "@page{size:A4;margin:18mm}body{font-family:Georgia,'Times New Roman',serif;color:#1b1b1b;max-width:"
    "170mm;margin:0 auto}h1{font-size:26pt;margin:.2em 0}.who{font-size:18pt;margin:.4em 0}"
    "dl{display:grid;grid-template-columns:52mm 1fr;gap:2mm 5mm;font-size:10pt}dt{font-weight:bold}"
    "dd{margin:0;white-space:pre-line}.verify{display:flex;gap:6mm;align-items:center;font-size:9pt;"
    "margin-top:6mm}.verify svg{width:30mm;height:30mm}code{word-break:break-all}"
    ".badge{float:right;width:34mm;height:34mm}@media print{a{color:inherit;text-decoration:none}}"
)


def _day(value: Any) -> str:
    """A date-time as a plain date (``2 December 2026``); anything unreadable as it is."""
    try:
        moment = _time.parse(str(value))
    except _time.DateTimeError:
        return str(value)
    return f"{moment.day} {moment:%B} {moment.year}"


def certificate_html(
    credential: dict[str, Any], verify_url: str, qr_svg: str, *, badge_png: bytes | None = None
) -> str:
    """A printable one-page HTML certificate stating the credential's micro-credential elements
    (with ``badge_png`` shown at the top, inline: the page loads nothing from elsewhere)."""
    esc = html.escape
    elements = credential_elements(credential)
    title = elements["title"] or "Open Badge"
    learner = elements.get("learner") or {}
    who = learner.get("name") or "the holder of this credential"
    body = elements.get("awarding_body") or {}
    issuer = body.get("name") or body.get("id") or "the issuer"
    badge = ""
    if badge_png is not None:
        data = base64.b64encode(badge_png).decode("ascii")
        badge = f'<img class="badge" alt="" src="data:image/png;base64,{data}">'
    rows = []
    for name, label in ELEMENT_LABELS.items():
        value = elements.get(name)
        if value is None or name in ("title", "learner"):
            continue
        text = _day(value) if name in ("issued", "expires") else describe_element(name, value).strip()
        if text:
            rows.append(f"<dt>{esc(label)}</dt><dd>{esc(text)}</dd>")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        _CSP,
        f"<title>{esc(title)} — {esc(str(who))}</title><style>{_CERT_STYLE}</style></head><body>",
        badge,
        f"<p>{esc(str(issuer))} certifies that</p>",
        f'<p class="who">{esc(str(who))}</p>',
        f"<p>has earned the micro-credential</p><h1>{esc(title)}</h1>",
        f"<dl>{''.join(rows)}</dl>",
        '<div class="verify">',
        qr_svg,
        f'<p>Verify this credential: <a href="{esc(verify_url)}">{esc(verify_url)}</a><br>'
        f"Credential id: <code>{esc(str(credential.get('id', '')))}</code></p>",
        "</div></body></html>",
    ]
    return "\n".join(parts) + "\n"


def share_kit(
    credential: dict[str, Any] | str,
    *,
    credential_url: str,
    verify_base: str,
    badge_image: bytes | None = None,
    linkedin_organization_id: str | None = None,
) -> ShareKit:
    """The share kit of ``credential`` (JSON object or compact JWT), hosted at ``credential_url`` and
    verified on the page at ``verify_base`` (``<verify_base>/verify?url=…``).

    ``badge_image`` (PNG or SVG artwork) is baked; without it a default PNG badge is.
    """
    data, text, to_bake = _credential(credential)
    link = verify_link(verify_base, credential_url)
    qr = segno.make(link, error="m")
    svg = io.BytesIO()
    qr.save(
        svg,
        kind="svg",
        scale=4,
        border=2,
        xmldecl=False,
        svgns=True,
        title="Verify this badge",
        omitsize=True,
    )
    png = io.BytesIO()
    qr.save(png, kind="png", scale=6, border=2)
    qr_svg = svg.getvalue().decode("utf-8")
    title = credential_elements(data)["title"] or "Open Badge"
    image = badge_image if badge_image is not None else default_badge_png(title)
    baked = bake(image, to_bake)
    return ShareKit(
        credential_id=str(data.get("id", "")),
        title=title,
        credential_url=credential_url,
        verify_url=link,
        linkedin_url=linkedin_url(data, link, organization_id=linkedin_organization_id),
        qr_svg=qr_svg,
        qr_png=png.getvalue(),
        certificate_html=certificate_html(
            data, link, qr_svg, badge_png=image if image.startswith(b"\x89PNG") else None
        ),
        badge_png=baked,
        credential_text=text,
    )


def write_share_kit(kit: ShareKit, folder: str | os.PathLike[str]) -> list[Path]:
    """Write ``kit`` into ``folder``: credential, baked badge, certificate, QR code and links."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    suffix = ".json" if kit.credential_text.lstrip().startswith("{") else ".jwt"
    badge_name = "badge.png" if kit.badge_png.startswith(b"\x89PNG") else "badge.svg"
    links = {
        "credential_id": kit.credential_id,
        "title": kit.title,
        "credential_url": kit.credential_url,
        "verify_url": kit.verify_url,
        "linkedin_url": kit.linkedin_url,
    }
    files = {
        f"credential{suffix}": kit.credential_text.encode("utf-8"),
        badge_name: kit.badge_png,
        "certificate.html": kit.certificate_html.encode("utf-8"),
        "verify-qr.svg": kit.qr_svg.encode("utf-8"),
        "verify-qr.png": kit.qr_png,
        "share.json": (json.dumps(links, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
    }
    written = []
    for name, data in files.items():
        write_atomic(out / name, data)
        written.append(out / name)
    return written
