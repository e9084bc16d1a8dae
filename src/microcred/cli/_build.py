"""``microcred build`` and ``microcred inspect``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .. import _time
from ..credential.inspection import credential_elements, elements_text
from ..credential.reader import read_capped
from ..credential.reader import read_credential as read_any
from ..errors import DefinitionError, JsonLdError, KeyFormatError, SchemaValidationError
from ..model.definition import load_definition
from ..model.grading import GradeError, read_grade
from ..model.learner import Evidence, Recipient, Result
from . import write_output
from ._award import award_from, award_options
from ._check import profile_options, run_profiles
from ._config import current_config, setting

# What a command needs (JSON-LD, crypto, the ledger) is imported inside it, so --help and the other
# commands start without it (tests/test_startup.py).

if TYPE_CHECKING:
    from datetime import datetime

    from ..model.definition import Definition


def _issuer_of(path: str) -> str:
    """The issuer (controller) a key file names; an encrypted key is not decrypted for this."""
    if not Path(path).is_file():
        raise KeyFormatError("no such key file", source=path)
    from ..keys.files import load_key

    try:
        return load_key(path).controller
    except KeyFormatError as exc:
        if exc.code != "key.passphrase":
            raise
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    data.pop("privateKeyPem", None)
    return load_key(data).controller


def _result(grade: str | None, definition: Definition) -> Result | None:
    """The learner's grade read on the definition's scale (off the scale: an error naming --grade)."""
    if grade is None:
        return None
    try:
        value = read_grade(definition.achievement.grade, grade)
    except GradeError as exc:
        raise DefinitionError(str(exc), path="grade.value") from None
    return Result(value, definition.achievement.grade) if value is not None else None


def read_credential(path: str) -> dict[str, Any]:
    """Read a credential for ``inspect``: JSON, a compact JWT, a baked PNG/SVG, an https URL, or - (stdin)."""

    source: Any = read_capped(sys.stdin.buffer, "stdin") if path == "-" else path
    read = read_any(source, name=path)
    if read.credential is not None:
        return read.credential
    from ..suites.jwt import read_jwt

    return read_jwt(read.jwt or "").credential


def _when(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        return _time.parse(value)
    except _time.DateTimeError as exc:
        if exc.no_timezone:
            raise DefinitionError(
                f"{value} has no time zone; add Z or an offset such as +01:00", path=option
            ) from None
        raise DefinitionError(f"{value!r} is not an ISO 8601 date-time", path=option) from None


@click.command(
    epilog="""\b
Example:
  microcred build --achievement examples/university-data-science.toml \\
      --recipient did:example:learner123 --name "Ada Lovelace" --grade 8 -o unsigned.json
  microcred build --achievement examples/online-course-badge.toml --recipient ada@example.org

An email recipient is stored only as a salted SHA-256 hash. Exit 2 on a bad definition or option.
"""
)
@click.option(
    "--achievement",
    "achievement",
    type=click.Path(dir_okay=False),
    help="Achievement definition file (.toml or .json; default: [issuing] achievement in microcred.toml).",
)
@click.option(
    "--key",
    "key_path",
    type=click.Path(dir_okay=False),
    help="Build with this key's issuer, as `sign` and `issue` will (default: microcred.toml's key).",
)
@click.option("--recipient", required=True, help="The learner: a DID/URI, or an email (stored hashed).")
@click.option("--name", default=None, help="The learner's display name.")
@click.option("--salt", default=None, help="Salt for a hashed email (default: random).")
@click.option("--grade", default=None, help="The learner's grade (on the definition's grade scale).")
@click.option(
    "--evidence", multiple=True, metavar="URL[=NAME]", help="Evidence of the learner's work (repeatable)."
)
@click.option("--id", "credential_id", default=None, help="Credential id (default: a new urn:uuid).")
@click.option("--valid-from", default=None, help="Issue date-time with time zone (default: now).")
@click.option(
    "--valid-until", default=None, help="Expiry date-time with time zone (default: the definition's)."
)
@click.option(
    "-o", "--output", default=None, type=click.Path(dir_okay=False), help="Write here (default: stdout)."
)
@profile_options
@award_options
def build(
    achievement: str | None,
    key_path: str | None,
    recipient: str,
    name: str | None,
    salt: str | None,
    grade: str | None,
    evidence: tuple[str, ...],
    credential_id: str | None,
    valid_from: str | None,
    valid_until: str | None,
    output: str | None,
    profiles: tuple[str, ...],
    strict: bool,
    **award: Any,
) -> None:
    """Build an unsigned Open Badges 3.0 credential from an achievement definition.

    The credential is checked against the 1EdTech and microcred JSON Schemas and expanded as JSON-LD in safe
    mode (packaged contexts only) before it is written. With a key (``--key`` or the configuration's),
    the issuer is the key's controller, so what you review here is what `sign` signs.
    """

    from ..credential.builder import build_credential
    from ..credential.schema import validate_credential
    from ..jsonld.canonical import check_safe_mode

    config = current_config()
    achievement = str(setting(achievement, config.achievement, "--achievement FILE", "[issuing] achievement"))
    definition = load_definition(achievement)
    run_profiles(definition, profiles, strict)
    details, more_evidence = award_from(award)
    key_file = key_path or (str(config.key_file) if config.key_file else None)
    credential = build_credential(
        definition,
        Recipient.parse(recipient, name, salt=salt),
        issuer_id=_issuer_of(key_file) if key_file else None,
        credential_id=credential_id,
        valid_from=_when(valid_from, "valid_from"),
        valid_until=_when(valid_until, "valid_until"),
        result=_result(grade, definition),
        evidence=[*(Evidence.parse(e) for e in evidence), *more_evidence],
        award=details,
    )
    try:
        validate_credential(credential)
        check_safe_mode(credential)
    except (SchemaValidationError, JsonLdError) as exc:  # say which definition produced it
        raise type(exc)(exc.message, path=exc.path, code=exc.code, source=achievement) from None
    text = json.dumps(credential, indent=2, ensure_ascii=False) + "\n"
    write_output(text, output)


@click.command(
    epilog="""\b
Example:
  microcred inspect credential.json
  microcred inspect --json credential.json
"""
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the elements as JSON (names as in docs/mapping.md)."
)
@click.argument("file", type=click.Path(dir_okay=False))
def inspect(as_json: bool, file: str) -> None:
    """Show the micro-credential elements of an Open Badges 3.0 credential.

    Elements the credential does not state are shown as "Not stated" (null in JSON), never guessed.
    Nothing is verified here: use `microcred verify` for that.
    """

    elements = credential_elements(read_credential(file))
    if as_json:
        click.echo(json.dumps(elements, indent=2, ensure_ascii=False))
    else:
        click.echo(elements_text(elements), nl=False)


COMMANDS = [build, inspect]
