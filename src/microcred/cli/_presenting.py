"""The ``present`` command: a learner presents credentials to a verifier, answering its challenge."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ..credential.reader import read_credential
from . import write_output
from ._issuing import load_signing_key


@click.command("present")
@click.argument("credentials", nargs=-1, required=True, metavar="CREDENTIAL...")
@click.option(
    "--key", "key_path", required=True, type=click.Path(dir_okay=False), help="The holder's private key file."
)
@click.option("--challenge", metavar="NONCE", help="The verifier's challenge (a one-time value it gave you).")
@click.option("--domain", metavar="DOMAIN", help="The verifier's domain (who the presentation is for).")
@click.option("--holder", metavar="ID", help="The holder's id (default: the key's controller).")
@click.option(
    "--passphrase-env", metavar="VAR", help="Read the key passphrase from this environment variable."
)
@click.option("-o", "--out", metavar="FILE", help="Write the presentation here (default: stdout).")
def present_cmd(
    credentials: tuple[str, ...],
    key_path: str,
    challenge: str | None,
    domain: str | None,
    holder: str | None,
    passphrase_env: str | None,
    out: str | None,
) -> None:
    """Wrap credentials (JSON, JWT, baked PNG/SVG) in a verifiable presentation signed by the holder.

    \b
    Example:
      microcred present badge.png --key learner.json --challenge 1f8a… --domain jobs.example -o vp.json
      microcred verify vp.json --challenge 1f8a… --domain jobs.example
    """
    from ..verifying.presentation import present  # the signing stack: only when the command runs

    key = load_signing_key(key_path, passphrase_env)
    items: list[Any] = []
    for item in credentials:
        read = read_credential(Path(item), name=item)
        items.append(read.credential if read.jwt is None else read.jwt)
    vp = present(items, key, domain=domain, challenge=challenge, holder=holder)
    write_output(json.dumps(vp, indent=2, ensure_ascii=False) + "\n", out)


COMMANDS = [present_cmd]
