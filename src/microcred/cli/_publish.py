"""``microcred publish`` (the static site to upload) and ``microcred share`` (a credential's share kit)."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from .. import _time
from ..credential.reader import read_credential
from ..ledger.protocol import Ledger
from ..model.definition import load_definition
from ..publishing.share import share_kit, write_share_kit
from ..publishing.site import default_site_url, publish_site
from ..suites.jwt import read_jwt
from . import fail
from ._issuing import load_signing_key

_SHARE_SUFFIXES = {".json", ".jwt", ".png", ".svg"}


@click.command("publish", short_help="Write the static site to upload so anyone can verify.")
@click.option(
    "--key",
    "key_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="KEY",
    help="The issuer's signing key file (it signs the status lists).",
)
@click.option(
    "--ledger",
    "ledger_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="DB",
    help="The issuer ledger: its status lists and the achievements issued from it.",
)
@click.option(
    "--site-url",
    metavar="URL",
    help="Where the folder is served (default: the did:web host, or the https issuer's origin).",
)
@click.option(
    "--achievement",
    "achievements",
    multiple=True,
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Also publish this achievement definition's page (repeatable).",
)
@click.option(
    "--valid-days",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Status lists say validUntil N days ahead (verifiers then refuse a list you forgot to refresh).",
)
@click.option(
    "--passphrase-env", metavar="VAR", help="Read the key passphrase from this environment variable."
)
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
@click.option(
    "-o",
    "--out-dir",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="The site folder (new, empty, or one this command wrote before).",
)
def publish_cmd(
    key_path: Path,
    ledger_path: Path | None,
    site_url: str | None,
    achievements: tuple[str, ...],
    valid_days: int | None,
    passphrase_env: str | None,
    as_json: bool,
    out_dir: Path,
) -> None:
    """Write everything an institution uploads so anyone can verify its credentials into DIR.

    The did:web document (or the https issuer's key document) and a JWKS, an issuer profile, the signed
    status lists at the paths their URLs name (as .json, with .htaccess and nginx rules that serve them
    under the exact URLs as application/json), the microcred extension contexts, a page and a JSON
    document per achievement, and an index page. Run it again after every revoke, suspend or
    reinstate: files are replaced one by one with atomic renames, never left half-written.

    \b
    Example:
      microcred publish --key issuer-key.json --ledger issuer.db -o site/
    """
    key = load_signing_key(str(key_path), passphrase_env)
    url = site_url or default_site_url(key.controller)
    if url is None:
        fail(
            f"the issuer {key.controller} has no web address of its own; "
            "say where DIR is served: --site-url URL"
        )
    definitions = [load_definition(a) for a in achievements]
    now = _time.now()
    until = now + timedelta(days=valid_days) if valid_days else None
    if ledger_path is not None and not ledger_path.exists():
        fail(f"--ledger {ledger_path}: no such ledger (issue something into it first)")
    ledger = Ledger.open(ledger_path, create=False) if ledger_path is not None else None
    try:
        site = publish_site(
            out_dir,
            keys=[key],
            site_url=url,
            ledger=ledger,
            definitions=definitions,
            now=now,
            valid_until=until,
        )
    finally:
        if ledger is not None:
            ledger.close()
    if as_json:
        report = {
            "folder": str(site.folder),
            "site_url": site.site_url,
            "issuer": site.issuer,
            "files": list(site.files),
            "rewrites": site.rewrites,
            "mirrors": site.mirrors,
            "status_lists": [
                {"url": p.url, "purpose": p.purpose, "set": p.set_count, "used": p.used, "size": p.size}
                for p in site.status_lists
            ],
            "achievements": [{"id": a.id, "name": a.name, "page": a.page} for a in site.achievements],
            "removed": list(site.removed),
        }
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    click.echo(
        f"wrote {len(site.files)} files to {site.folder}/ — "
        f"upload the folder so it is served at {site.site_url}"
    )
    for item in site.status_lists:
        click.echo(
            f"  status list {item.url} ({item.purpose}: {item.set_count} set, "
            f"{item.used} of {item.size} used)"
        )
    for entry in site.achievements:
        click.echo(f"  achievement {entry.name}: {site.site_url}{entry.page}")
    if site.rewrites:
        click.echo(
            "  the server must answer the extension-less URLs from their .json files: .htaccess (Apache)"
        )
        click.echo("  and nginx-microcred.conf (nginx) in the folder say how")
    for url_mirror, path in site.mirrors.items():
        click.echo(f"  copy of {url_mirror}: {path}")


def _share_inputs(inputs: tuple[str, ...]) -> list[Path]:
    out: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in _SHARE_SUFFIXES)
            if not found:
                fail(f"{item}: the folder holds no credential files (.json, .jwt, .png, .svg)")
            out.extend(found)
        elif path.is_file():
            out.append(path)
        else:
            fail(f"{item}: no such credential file or folder")
    return out


def _credential_of(path: Path) -> dict[str, Any] | str:
    read = read_credential(path)
    if read.credential is not None:
        return read.credential
    if read.jwt:
        read_jwt(read.jwt)  # a clear error now if it is not a JWT
        return read.jwt
    fail(f"{path}: no credential found")


def _hosted_name(credential: dict[str, Any] | str) -> str:
    """The file name a credential is hosted under: its uuid (never the learner's name or email)."""
    data = read_jwt(credential).credential if isinstance(credential, str) else credential
    found = data.get("id")
    ident = found if isinstance(found, str) else json.dumps(data, sort_keys=True)
    tail = ident.rsplit(":", 1)[-1]
    if not re.fullmatch(r"[0-9a-fA-F-]{32,36}", tail):
        tail = hashlib.sha256(ident.encode()).hexdigest()[:32]
    return tail.lower() + (".jwt" if isinstance(credential, str) else ".json")


def _issuer_of(credential: dict[str, Any] | str) -> str:
    data = read_jwt(credential).credential if isinstance(credential, str) else credential
    issuer = data.get("issuer")
    found = issuer.get("id") if isinstance(issuer, dict) else issuer
    return found if isinstance(found, str) else ""


@click.command(
    "share", short_help="Make a credential's share kit: link, QR code, LinkedIn, certificate, PNG."
)
@click.argument("inputs", nargs=-1, required=True, metavar="CREDENTIAL...")
@click.option(
    "--site-url",
    metavar="URL",
    help="The issuer's published site (default: from the credential's did:web or https issuer).",
)
@click.option(
    "--verify-url",
    metavar="URL",
    help="Base of the verification page (<URL>/verify?url=…; default: the site URL).",
)
@click.option(
    "--credential-url",
    metavar="URL",
    help="Where the credential will be hosted (one credential only; default: <site>/credentials/<file>).",
)
@click.option(
    "--image", "image_path", type=click.Path(dir_okay=False), help="The issuer's badge artwork (PNG or SVG)."
)
@click.option("--linkedin-org-id", metavar="N", help="The issuer's numeric LinkedIn organization id.")
@click.option("--json", "as_json", is_flag=True, help="Print the links as JSON.")
@click.option(
    "-o",
    "--out-dir",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Where the kit goes (one sub-folder per credential when several are given).",
)
def share_cmd(
    inputs: tuple[str, ...],
    site_url: str | None,
    verify_url: str | None,
    credential_url: str | None,
    image_path: str | None,
    linkedin_org_id: str | None,
    as_json: bool,
    out_dir: Path,
) -> None:
    """Write a share kit for each CREDENTIAL (file or folder): the credential, a baked PNG badge, a
    printable certificate, a QR code of the "verify this badge" link, and share.json with that link and
    the LinkedIn "add to profile" URL.

    Upload each credential at its credential URL (the verify link points there).

    \b
    Example:
      microcred share ada.json -o share/ada
      microcred share cohort/ -o share/
    """
    files = _share_inputs(inputs)
    if credential_url and len(files) > 1:
        fail("--credential-url names one credential's address; give one credential with it")
    image = Path(image_path).read_bytes() if image_path else None
    results = []
    for path in files:
        credential = _credential_of(path)
        site = site_url or default_site_url(_issuer_of(credential))
        if site is None and not (credential_url and verify_url):
            fail(f"{path}: its issuer has no web address of its own; give --site-url")
        base = (site or "").rstrip("/")
        url = credential_url or f"{base}/credentials/{_hosted_name(credential)}"
        kit = share_kit(
            credential,
            credential_url=url,
            verify_base=verify_url or base,
            badge_image=image,
            linkedin_organization_id=linkedin_org_id,
        )
        target = out_dir if len(files) == 1 else out_dir / path.stem
        write_share_kit(kit, target)
        results.append(
            {
                "input": str(path),
                "folder": str(target),
                "credential_url": url,
                "verify_url": kit.verify_url,
                "linkedin_url": kit.linkedin_url,
            }
        )
    if as_json:
        click.echo(json.dumps(results[0] if len(results) == 1 else results, indent=2, ensure_ascii=False))
        return
    for result in results:
        click.echo(f"{result['input']}: share kit in {result['folder']}/")
        click.echo(f"  upload the credential to  {result['credential_url']}")
        click.echo(f"  verify this badge:        {result['verify_url']}")
        click.echo(f"  add to LinkedIn:          {result['linkedin_url']}")


COMMANDS = [publish_cmd, share_cmd]
