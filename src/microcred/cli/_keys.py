"""``microcred keygen`` and ``microcred did-doc``: make an issuer key, and print what to publish for it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from .. import _json
from ..errors import KeyFormatError
from . import fail

# What a command needs (JSON-LD, crypto, the ledger) is imported inside it, so --help and the other
# commands start without it (tests/test_startup.py).


def _passphrase(var: str | None) -> str | None:
    if not var:
        return None
    value = os.environ.get(var)
    if value is None:
        fail(f"--passphrase-env {var}: that environment variable is not set")
    if not value:
        fail(f"--passphrase-env {var}: the passphrase is empty")
    return value


@click.command("keygen")
@click.option(
    "--alg",
    "algorithm",
    type=click.Choice(["Ed25519", "P-256", "RSA"]),
    default="Ed25519",
    show_default=True,
    help="Key type (RSA signs VC-JWT RS256 only).",
)
@click.option("--did-web", metavar="DOMAIN[:path]", help="Issuer is did:web:DOMAIN[:path] (key id #key-1).")
@click.option("--issuer-url", metavar="URL", help="Issuer is this https:// URL (key id URL#key-1).")
@click.option("--passphrase-env", metavar="VAR", help="Encrypt the private key with the passphrase in $VAR.")
@click.option("--force", is_flag=True, help="Overwrite KEY.json if it exists.")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="KEY.json",
    help="Private key file to write (mode 0600).",
)
def keygen(
    algorithm: str,
    did_web: str | None,
    issuer_url: str | None,
    passphrase_env: str | None,
    force: bool,
    as_json: bool,
    output: Path,
) -> None:
    """Generate an issuer key and write it, private, to KEY.json (mode 0600).

    \b
    Without --did-web / --issuer-url an Ed25519 or P-256 key is its own did:key issuer.
    Example:
      microcred keygen --did-web example.edu -o issuer-key.json
      microcred did-doc issuer-key.json > did.json   # publish at https://example.edu/.well-known/did.json
    """
    from ..keys.dids import did_web_url
    from ..keys.files import save_key
    from ..keys.material import generate_key

    if did_web and issuer_url:
        fail("give either --did-web or --issuer-url, not both")
    if algorithm == "RSA" and not (did_web or issuer_url):
        fail("an RSA key needs --did-web or --issuer-url to say whose key it is")
    if output.exists() and not force:
        fail(f"{output} exists; not overwriting it (use --force)")
    passphrase = _passphrase(passphrase_env)
    key = generate_key(algorithm, did_web=did_web, issuer_url=issuer_url)  # type: ignore[arg-type]
    save_key(key, output, passphrase=passphrase)
    publish = did_web_url(key.controller) if key.controller.startswith("did:web:") else None
    if key.controller.startswith("https://"):
        publish = key.controller
    if as_json:
        report = {
            "file": str(output),
            "algorithm": key.algorithm,
            "encrypted": passphrase is not None,
            "issuer": key.controller,
            "verification_method": key.key_id,
            "publish_at": publish,
        }
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(f"wrote {output} ({key.algorithm}, private{', encrypted' if passphrase else ''}, mode 0600)")
    click.echo(f"issuer:              {key.controller}")
    click.echo(f"verification method: {key.key_id}")
    if key.controller.startswith("did:web:"):
        click.echo(f"publish:             microcred did-doc {output}  ->  {did_web_url(key.controller)}")
    elif key.controller.startswith("https://"):
        click.echo(f"publish:             microcred did-doc {output}  ->  {key.controller}")


@click.command("did-doc")
@click.option("--jwks", "as_jwks", is_flag=True, help="Print a JWK Set (for VC-JWT key discovery) instead.")
@click.option("--passphrase-env", metavar="VAR", help="Passphrase of an encrypted key file, from $VAR.")
@click.argument("key_file", type=click.Path(dir_okay=False, path_type=Path), metavar="KEY.json")
def did_doc(as_jwks: bool, passphrase_env: str | None, key_file: Path) -> None:
    """Print the public document to publish for KEY.json: its did:web DID document, or for an https://
    issuer the controller document that lists the key (or, with --jwks, a JWK Set). No private parts.

    \b
    Example:
      microcred did-doc issuer-key.json > did.json
      microcred did-doc --jwks issuer-key.json > jwks.json
    """
    from ..keys.dids import controller_document, did_web_document, jwks, resolve_did_key
    from ..keys.files import load_key

    if not key_file.exists():
        fail(f"{key_file}: no such key file")
    try:
        key = load_key(key_file, passphrase=_passphrase(passphrase_env))
    except KeyFormatError as exc:
        if exc.code != "key.passphrase":
            raise
        # an encrypted file still names its public key: publish that without decrypting
        data = _json.loads(key_file.read_text(encoding="utf-8"))
        data.pop("privateKeyPem", None)
        key = load_key(data)
    key = key.public()
    if as_jwks:
        document = jwks([key])
    elif key.controller.startswith("did:web:"):
        document = did_web_document([key])
    elif key.controller.startswith("did:key:"):
        document = resolve_did_key(key.key_id)
    else:
        document = controller_document([key])
    click.echo(json.dumps(document, indent=2))


COMMANDS = [keygen, did_doc]
