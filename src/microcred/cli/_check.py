"""``microcred check``, and the profile checks ``build`` and ``issue`` run before they sign."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..model.definition import load_definition
from ..model.profiles import PROFILES, Finding, ProfileError, check_definition
from . import EXIT_INVALID

if TYPE_CHECKING:
    from ..model.definition import Definition

F = TypeVar("F", bound=Callable[..., Any])


def profile_options(command: F) -> F:
    """Add ``--profile`` and ``--strict`` to a command that builds from a definition."""
    command = click.option(
        "--strict",
        is_flag=True,
        help="Refuse the definition when a check profile finds anything (default: warn).",
    )(command)
    return click.option(
        "--profile",
        "profiles",
        multiple=True,
        type=click.Choice(sorted(PROFILES)),
        help="Check profile to run (repeatable; default: the definition's [check], else eu, plus au for AU).",
    )(command)


def run_profiles(definition: Definition, profiles: tuple[str, ...], strict: bool) -> list[Finding]:
    """Check ``definition``; warn on stderr, or raise :class:`ProfileError` when strict."""
    findings = check_definition(
        definition.achievement, definition.issuer, definition.check, profiles=profiles or None
    )
    if findings and (strict or definition.check.strict):
        raise ProfileError(findings, source=definition.source)
    for finding in findings:
        click.echo(f"warning: {finding}", err=True)
    return findings


@click.command(
    "check",
    epilog="""\b
Example:
  microcred check examples/university-data-science.toml
  microcred check --profile eu --profile au --strict --json course.toml

Exit 0: no finding, or warnings only; 1: findings with --strict (or [check] strict = true); 2: bad file.
""",
)
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@profile_options
@click.argument("definition_path", metavar="DEFINITION", type=click.Path(dir_okay=False))
def check_cmd(as_json: bool, profiles: tuple[str, ...], strict: bool, definition_path: str) -> None:
    """Check an achievement definition against the EU Annex I and Australian NMF profiles.

    Each finding names the rule, the element and why; docs/definition-format.md gives each rule's source.
    """
    definition = load_definition(definition_path)
    findings = check_definition(
        definition.achievement, definition.issuer, definition.check, profiles=profiles or None
    )
    if as_json:
        click.echo(json.dumps([f.to_dict() for f in findings], indent=2, ensure_ascii=False))
    elif findings:
        for finding in findings:
            click.echo(str(finding))
        click.echo(f"{len(findings)} finding(s) in {definition_path}")
    else:
        click.echo(f"{definition_path}: no findings")
    if findings and (strict or definition.check.strict):
        sys.exit(EXIT_INVALID)


COMMANDS = [check_cmd]
