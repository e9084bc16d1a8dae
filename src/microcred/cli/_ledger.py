"""``microcred revoke | suspend | reinstate | status-list``: status changes and status list publishing."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .. import _time
from .._files import write_atomic
from . import fail
from ._config import current_config, setting
from ._config import key_path as config_key_path
from ._issuing import load_signing_key

# What a command needs (JSON-LD, crypto, the ledger) is imported inside it, so --help and the other
# commands start without it (tests/test_startup.py).

if TYPE_CHECKING:
    from ..ledger.protocol import StatusChange

_LEDGER = click.option(
    "--ledger",
    "ledger_path",
    type=str,
    metavar="DB",
    help="The issuer ledger the credential was issued into: an SQLite file or a postgresql:// URL "
    "(default: microcred.toml's).",
)
_JSON = click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")


def _ledger_path(flag: str | None) -> str:
    configured = current_config().ledger
    return str(setting(flag, str(configured) if configured else None, "--ledger DB", "[issuing] ledger"))


_REASON = click.option("--reason", default=None, metavar="TEXT", help="Why; kept in the ledger's history.")


def _credential_id(value: str) -> str:
    """The credential id itself, or the id of the credential in a file (JSON, JWT or baked image)."""
    from ..credential.reader import read_credential
    from ..suites.jwt import read_jwt

    if ":" in value and not Path(value).exists():
        return value
    path = Path(value)
    if not path.is_file():
        fail(f"{value!r} is neither a credential id (urn:uuid:…) nor a credential file")

    read = read_credential(path)
    credential = read.credential if read.credential is not None else read_jwt(read.jwt or "").credential
    found = credential.get("id")
    if not isinstance(found, str) or not found:
        fail(f"{value}: the credential in this file has no id")
    return found


def _change(
    change: StatusChange, ledger_path: str | None, credential_id: str, reason: str | None, as_json: bool
) -> None:
    from ..ledger.protocol import Ledger

    ledger_path = _ledger_path(ledger_path)
    credential_id = _credential_id(credential_id)
    with Ledger.open(ledger_path, create=False) as ledger:
        record = ledger.set_status(credential_id, change, reason)
        entry = ledger.get(credential_id)
    assert entry is not None
    where = entry.suspension_list if change != "revoked" and entry.suspension_list else entry.revocation_list
    if as_json:
        report = {"credential_id": credential_id, "status": record.status, "reason": reason, "list": where}
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    click.echo(f"{credential_id}: {record.status}" + (f" ({reason})" if reason else ""))
    click.echo(f"Publish the status lists again so verifiers see it ({where}):")
    click.echo("  microcred publish      (the whole site; or: microcred status-list -o DIR, the lists alone)")


@click.command(short_help="Revoke an issued credential (for good).")
@_LEDGER
@_REASON
@_JSON
@click.argument("credential_id", metavar="CREDENTIAL_ID|FILE")
def revoke(ledger_path: str | None, reason: str | None, as_json: bool, credential_id: str) -> None:
    """Revoke a credential, by id or by its file: its bit is set in the next published status list.

    \b
    Example:
      microcred revoke --ledger issued.db --reason "grade replaced" urn:uuid:0f6c…
      microcred revoke --ledger issued.db --reason "grade replaced" ada.json
    """
    _change("revoked", ledger_path, credential_id, reason, as_json)


@click.command(short_help="Suspend an issued credential (undo with reinstate).")
@_LEDGER
@_REASON
@_JSON
@click.argument("credential_id", metavar="CREDENTIAL_ID|FILE")
def suspend(ledger_path: str | None, reason: str | None, as_json: bool, credential_id: str) -> None:
    """Suspend CREDENTIAL_ID (it must have been issued with a suspension status entry).

    \b
    Example:
      microcred suspend --ledger issued.db --reason "under review" urn:uuid:0f6c…
    """
    _change("suspended", ledger_path, credential_id, reason, as_json)


@click.command(short_help="Lift a suspension.")
@_LEDGER
@_REASON
@_JSON
@click.argument("credential_id", metavar="CREDENTIAL_ID|FILE")
def reinstate(ledger_path: str | None, reason: str | None, as_json: bool, credential_id: str) -> None:
    """Reinstate a suspended CREDENTIAL_ID. Revoked credentials stay revoked.

    \b
    Example:
      microcred reinstate --ledger issued.db --reason "review closed" urn:uuid:0f6c…
    """
    _change("reinstated", ledger_path, credential_id, reason, as_json)


def _file_name(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


@click.command("status-list", short_help="Write the signed status list credentials to publish.")
@_LEDGER
@click.option(
    "--key",
    "key_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="KEY",
    help="The issuer's signing key file (the one that signed the credentials; default: microcred.toml's).",
)
@click.option(
    "-o",
    "--out-dir",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Folder to write one file per list into (named after the last segment of its URL).",
)
@click.option(
    "--valid-days",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Set validUntil N days ahead (verifiers then refuse a list you forgot to refresh).",
)
@click.option(
    "--passphrase-env", metavar="VAR", help="Read the key passphrase from this environment variable."
)
@click.option(
    "--base-url",
    default=None,
    metavar="URL",
    help="Only the lists published under URL (when one ledger serves several issuers).",
)
@_JSON
def status_list(
    ledger_path: str | None,
    key_path: Path | None,
    out_dir: Path,
    valid_days: int | None,
    passphrase_env: str | None,
    base_url: str | None,
    as_json: bool,
) -> None:
    """Sign every status list in the ledger as a BitstringStatusListCredential and write it to DIR.

    Publish each file at the URL the credentials point to (printed below), and run this again after
    every revoke, suspend or reinstate.

    \b
    Example:
      microcred status-list --ledger issued.db --key issuer-key.json -o public/status
    """
    from ..ledger.protocol import Ledger
    from ..status.publishing import signed_status_lists

    ledger_path = _ledger_path(ledger_path)
    key = load_signing_key(config_key_path(str(key_path) if key_path else None), passphrase_env)
    now = _time.now()
    until = now + timedelta(days=valid_days) if valid_days else None
    with Ledger.open(ledger_path, create=False) as ledger:
        if not ledger.lists():
            if as_json:
                click.echo(json.dumps({"lists": []}))
                return
            click.echo("The ledger has no status lists yet (nothing has been issued into it).")
            return
        published = signed_status_lists(ledger, key, base_url=base_url, now=now, valid_until=until)
    if not published:
        fail(f"the ledger has no status lists under {base_url}")
    names: dict[str, str] = {}
    for item in published:
        name = _file_name(item.url)
        if name in names:
            fail(
                f"{names[name]} and {item.url} would both be written as {name}; "
                "write each base URL to its own folder with --base-url"
            )
        names[name] = item.url
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for item in published:
        target = out_dir / _file_name(item.url)
        write_atomic(target, (json.dumps(item.document, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
        written.append(
            {
                "file": str(target),
                "url": item.url,
                "purpose": item.purpose,
                "set": item.set_count,
                "used": item.used,
                "size": item.size,
            }
        )
        if as_json:
            continue
        click.echo(
            f"{target}  ->  publish at {item.url}  ({item.purpose}: {item.set_count} set, "
            f"{item.used} of {item.size} used)"
        )

    if as_json:
        click.echo(json.dumps({"lists": written}, indent=2, ensure_ascii=False))


COMMANDS = [revoke, suspend, reinstate, status_list]
