"""``microcred bake`` and ``microcred unbake``: put a credential into a badge image and take it out again."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from .. import _json
from .._files import write_atomic
from ..baking.badge import default_badge_svg_for_credential
from ..baking.badge_png import default_badge_png_for_credential
from ..baking.bake import bake, unbake
from ..baking.payload import MAX_CREDENTIAL_BYTES, MAX_IMAGE_BYTES, Unbaked, detect_image_kind
from ..errors import BakingError
from . import fail

OB2_NOTICE = (
    "this is an Open Badges 2.0 assertion, not an Open Badges 3.0 credential; "
    "microcred verifies Open Badges 3.0 credentials only"
)


def _read(path: str, what: str, limit: int) -> bytes:
    """Read a file (or stdin for ``-``), refusing more than ``limit`` bytes."""
    if path == "-":
        data = sys.stdin.buffer.read(limit + 1)
    else:
        p = Path(path)
        if not p.is_file():
            fail(f"{what} {path}: no such file")
        with p.open("rb") as fh:
            data = fh.read(limit + 1)
    if len(data) > limit:
        fail(f"{what} {path} is larger than {limit:,} bytes")
    return data


def _load_credential(path: str) -> dict[str, Any] | str:
    """A credential file: JSON (``.json``, or text starting with ``{``) or else a compact JWT."""
    data = _read(path, "credential", MAX_CREDENTIAL_BYTES)
    try:
        text = data.decode("utf-8-sig").strip()
    except UnicodeDecodeError:
        fail(f"credential {path} is not UTF-8 text (expected JSON or a compact JWT)")
    if path.lower().endswith(".json") or text.startswith("{"):
        try:
            value = _json.loads(text)
        except ValueError as exc:
            fail(f"credential {path} is not valid JSON: {exc}")
        if not isinstance(value, dict):
            fail(f"credential {path} is JSON but not an object")
        return value
    return text


@click.command("bake")
@click.option(
    "--image",
    "image_path",
    metavar="BADGE.png|svg",
    help="PNG or SVG badge image. Omitted: a default badge from the credential (PNG or SVG, as -o says).",
)
@click.option(
    "--credential",
    "credential_path",
    required=True,
    metavar="CRED",
    help="Signed credential: a .json file (embedded proof) or a .jwt/.jws file (VC-JWT); - for stdin.",
)
@click.option("-o", "--output", "output", required=True, metavar="OUT", help="Baked image to write.")
def bake_command(image_path: str | None, credential_path: str, output: str) -> None:
    """Bake a credential into a PNG or SVG badge image (Open Badges 3.0).

    A credential already baked into the image is replaced, never duplicated. Without --image, a default
    badge is drawn from the credential: a PNG (what wallets import) when OUT ends in .png, else an SVG
    with the achievement's name and the issuer's name.

    \b
    Examples:
      microcred bake --image badge.png --credential alice.json -o alice-badge.png
      microcred bake --image badge.svg --credential alice.jwt -o alice-badge.svg
      microcred bake --credential alice.json -o alice-badge.png      # default PNG badge (wallets import PNG)
      microcred bake --credential alice.json -o alice-badge.svg      # default SVG badge
    """
    credential = _load_credential(credential_path)
    out_suffix = Path(output).suffix.lower()
    if image_path is None:
        if out_suffix == ".png":
            image = default_badge_png_for_credential(credential)
        elif out_suffix in ("", ".svg"):
            image = default_badge_svg_for_credential(credential).encode("utf-8")
        else:
            fail(
                "without --image the default badge is a PNG or an SVG; "
                f"name the output .png or .svg, not {output}"
            )
    else:
        image = _read(image_path, "image", MAX_IMAGE_BYTES)
        kind = detect_image_kind(image)
        if out_suffix in (".png", ".svg") and out_suffix != "." + kind:
            fail(f"the image is {kind.upper()} but the output {output} is named {out_suffix}")
    try:
        baked = bake(image, credential)
    except BakingError as exc:
        source = credential_path if exc.path == "credential" else (image_path or "default badge")
        fail(f"{source}: {exc.message}")
    write_atomic(Path(output), baked)
    what = "JWT" if isinstance(credential, str) else "JSON"
    click.echo(f"baked the credential ({what}) into {output}", err=True)


def _as_json(found: Unbaked) -> dict[str, Any]:
    return {
        "kind": found.kind,
        "version": found.version,
        "format": found.format,
        "credential": found.credential,
        "jwt": found.jwt,
        "url": found.url,
        "openBadges3": found.version == "3.0",
        **({"notice": OB2_NOTICE} if found.version == "2.0" else {}),
    }


@click.command("unbake")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object describing what was found.")
@click.option("-o", "--output", "output", metavar="OUT", help="Write the credential (JSON or JWT) to OUT.")
@click.argument("image_path", metavar="IMAGE")
def unbake_command(as_json: bool, output: str | None, image_path: str) -> None:
    """Print the credential baked into a PNG or SVG badge image (- reads stdin).

    Prints the credential's JSON, or its compact JWT. An Open Badges 2.0 badge is read too, and said to be
    an Open Badges 2.0 assertion rather than an Open Badges 3.0 credential.

    \b
    Examples:
      microcred unbake alice-badge.png
      microcred unbake alice-badge.svg -o alice.json
      microcred unbake --json alice-badge.png | jq .version
    """
    data = _read(image_path, "image", MAX_IMAGE_BYTES)
    try:
        found = unbake(data)
    except BakingError as exc:
        fail(f"{image_path}: {exc.message}")
    if found.credential is not None:
        text = json.dumps(found.credential, indent=2, ensure_ascii=False)
    else:
        text = found.jwt or found.url or found.raw
    if found.version == "2.0":
        click.echo(f"note: {OB2_NOTICE}", err=True)
    if output is not None:
        write_atomic(Path(output), (text + "\n").encode("utf-8"))
        kind = "Open Badges 2.0 assertion" if found.version == "2.0" else "credential"
        click.echo(f"wrote the {kind} ({found.format}) to {output}", err=True)
    if as_json:
        click.echo(json.dumps(_as_json(found), indent=2, ensure_ascii=False))
    elif output is None:
        click.echo(text)


COMMANDS = [bake_command, unbake_command]
