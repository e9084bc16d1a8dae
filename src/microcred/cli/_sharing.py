"""Writing share kits for the command line (``microcred share`` and ``microcred issue --share``)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .._files import write_atomic
from ..credential.reader import read_credential
from . import fail
from ._config import current_config

if TYPE_CHECKING:
    from ..suites.jwt import JwtParts


def read_jwt(token: str) -> JwtParts:
    """:func:`microcred.suites.jwt.read_jwt`, imported on first call (no --help loads the crypto)."""
    from ..suites.jwt import read_jwt as read

    return read(token)


_SHARE_SUFFIXES = {".json", ".jwt", ".png", ".svg"}


def share_inputs(inputs: tuple[str, ...]) -> list[Path]:
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


def write_kits(
    files: list[Path],
    out_dir: Path,
    *,
    site_url: str | None = None,
    verify_url: str | None = None,
    credential_url: str | None = None,
    image: bytes | None = None,
    linkedin_org_id: str | None = None,
) -> list[dict[str, str]]:
    """A share kit per credential file (in ``out_dir``, or a sub-folder each when there are several)."""
    from ..publishing.share import share_kit, write_share_kit
    from ..publishing.site import default_site_url

    if credential_url and len(files) > 1:
        fail("--credential-url names one credential's address; give one credential with it")
    configured = current_config().issuer_url
    results = []
    for path in files:
        credential = _credential_of(path)
        site = site_url or configured or default_site_url(_issuer_of(credential))
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
    return results


def print_kits(results: list[dict[str, str]], as_json: bool, *, err: bool = False) -> None:
    """Say where each kit went and its links (or print them as JSON); on stderr when ``err``."""
    if as_json:
        click.echo(
            json.dumps(results[0] if len(results) == 1 else results, indent=2, ensure_ascii=False), err=err
        )
        return
    for result in results:
        click.echo(f"{result['input']}: share kit in {result['folder']}/", err=err)
        click.echo(f"  upload the credential to  {result['credential_url']}", err=err)
        click.echo(f"  verify this badge:        {result['verify_url']}", err=err)
        click.echo(f"  add to LinkedIn:          {result['linkedin_url']}", err=err)


#: ``issue --share DIR``.
SHARE_OPTION = click.option(
    "--share",
    "share_dir",
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="Also write each credential's share kit here (see microcred share).",
)


def share_one(text: str, folder: Path, *, jwt: bool) -> None:
    """``issue --share`` for one credential: its text into ``folder`` with its kit (said on stderr)."""
    folder.mkdir(parents=True, exist_ok=True)
    kit_input = folder / f"credential{'.jwt' if jwt else '.json'}"
    write_atomic(kit_input, text.encode("utf-8"))
    print_kits(write_kits([kit_input], folder), as_json=False, err=True)


def share_folder(out_dir: Path, folder: Path) -> None:
    """``issue --cohort --share``: a kit for every credential file of the cohort's folder."""
    files = [p for p in sorted(out_dir.iterdir()) if p.is_file() and p.suffix in (".json", ".jwt")]
    if files:
        write_kits(files, folder)
        click.echo(f"share kits for {len(files)} credentials in {folder}/", err=True)
