"""``microcred publish`` (the static site to upload) and ``microcred share`` (a credential's share kit)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import click

from .. import _time
from ..ledger.protocol import Ledger
from ..model.definition import load_definition
from . import fail
from ._config import current_config, setting
from ._config import key_path as config_key_path
from ._issuing import load_signing_key
from ._sharing import print_kits, share_inputs, write_kits


@click.command("publish", short_help="Write the static site to upload so anyone can verify.")
@click.option(
    "--key",
    "key_path",
    type=click.Path(dir_okay=False),
    metavar="KEY",
    help="The issuer's signing key file, which signs the status lists (default: microcred.toml's).",
)
@click.option(
    "--ledger",
    "ledger_path",
    type=str,
    metavar="DB",
    help="The issuer ledger (SQLite file or postgresql:// URL): its status lists and the achievements "
    "issued (default: microcred.toml's).",
)
@click.option(
    "--site-url",
    metavar="URL",
    help="Where DIR is served (default: microcred.toml's issuer url, else the did:web host).",
)
@click.option(
    "--achievement",
    "achievements",
    multiple=True,
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Also publish this definition's page (repeatable; microcred.toml's achievement always is).",
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
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="The site folder: new, empty, or one this command wrote before (default: microcred.toml's).",
)
def publish_cmd(
    key_path: str | None,
    ledger_path: str | Path | None,
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
      microcred publish                  # everything from microcred.toml
      microcred publish --key issuer-key.json --ledger issuer.db -o site/
    """
    from ..publishing.site import default_site_url, publish_site  # signing and status lists: only here

    config = current_config()
    key = load_signing_key(config_key_path(key_path), passphrase_env)
    folder = setting(out_dir, config.publish_dir, "-o DIR", "[publish] dir")
    url = site_url or config.issuer_url or default_site_url(key.controller)
    if url is None:
        fail(
            f"the issuer {key.controller} has no web address of its own; "
            "say where DIR is served: --site-url URL"
        )
    files = list(achievements)
    if config.achievement is not None and config.achievement.is_file():
        files.append(str(config.achievement))
    definitions = [load_definition(a) for a in dict.fromkeys(files)]
    now = _time.now()
    until = now + timedelta(days=valid_days) if valid_days else None
    if ledger_path is not None and not _ledger_exists(ledger_path):
        fail(f"--ledger {ledger_path}: no such ledger (issue something into it first)")
    if ledger_path is None and config.ledger is not None and _ledger_exists(config.ledger):
        ledger_path = config.ledger  # a configured ledger that does not exist yet: nothing issued
    ledger = Ledger.open(ledger_path, create=False) if ledger_path is not None else None
    try:
        site = publish_site(
            folder,
            keys=[key],
            site_url=url,
            ledger=ledger,
            definitions=definitions,
            issuer_name=config.issuer_name,
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
    image = Path(image_path).read_bytes() if image_path else None
    results = write_kits(
        share_inputs(inputs),
        out_dir,
        site_url=site_url,
        verify_url=verify_url,
        credential_url=credential_url,
        image=image,
        linkedin_org_id=linkedin_org_id,
    )
    print_kits(results, as_json)


COMMANDS = [publish_cmd, share_cmd]


def _ledger_exists(target: str | Path) -> bool:
    """A ledger file that exists, or a connection URL (a server answers for itself when opened)."""
    return "://" in str(target) or Path(target).exists()
