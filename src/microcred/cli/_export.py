"""``microcred export --elm``: a micro-credential as a European Learning Model (ELM v3) credential."""

from __future__ import annotations

import json

import click

from ..credential.elm_export import elm_credential
from . import fail, write_output
from ._build import read_credential


@click.command(
    "export",
    epilog="""\b
Example:
  microcred export --elm learner.json -o learner-elm.jsonld

The ELM form is unsigned (Europass seals European Digital Credentials itself) and is checked in the
tests against the Commission's EDC SHACL shapes. Exit 2 when the credential lacks what ELM requires
(the issuer's country and legal identifier).
""",
)
@click.option("--elm", "as_elm", is_flag=True, help="Write the ELM v3 / European Digital Credential JSON-LD.")
@click.option(
    "-o", "--output", default=None, type=click.Path(dir_okay=False), help="Write here (default: stdout)."
)
@click.argument("file", type=click.Path(dir_okay=False))
def export_cmd(as_elm: bool, output: str | None, file: str) -> None:
    """Export a credential (JSON, JWT, baked PNG/SVG) in another data model; nothing is verified here."""
    if not as_elm:
        fail("say which form to export: --elm")
    document = elm_credential(read_credential(file))
    write_output(json.dumps(document, indent=2, ensure_ascii=False) + "\n", output)


COMMANDS = [export_cmd]
