"""The ``microcred`` command line: thin click shells over the public API.

Each ``_<topic>.py`` module defines its commands and a ``COMMANDS`` list; this module gathers them
into one group and turns every :class:`~microcred.errors.MicrocredError` into a message on stderr and
exit code 2 (bad input or usage), never a traceback. Exit 1 is reserved for "checked and not valid".
"""

from __future__ import annotations

import errno
import importlib
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from .. import __version__
from .._files import write_atomic
from ..errors import MicrocredError

#: Exit codes used by every command.
EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2

_COMMAND_MODULES = (
    "_build",
    "_keys",
    "_issuing",
    "_ledger",
    "_baking",
    "_check",
    "_export",
    "_presenting",
    "_serve",
    "_init",
    "_publish",
)

#: Each command's module and the line ``microcred --help`` shows for it, so that listing the commands
#: imports none of them and a command imports only its own module (``tests/test_startup.py`` keeps
#: these lines equal to the commands' own). A module of ``_COMMAND_MODULES`` not named here is
#: imported at start-up.
_LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "bake": ("_baking", "Bake a credential into a PNG or SVG badge image (Open Badges 3.0)."),
    "build": ("_build", "Build an unsigned Open Badges 3.0 credential from an achievement definition."),
    "check": (
        "_check",
        "Check an achievement definition against the EU Annex I and Australian NMF profiles.",
    ),
    "demo": ("_issuing", "Issue and verify an example micro-credential with a throwaway issuer."),
    "did-doc": (
        "_keys",
        "Print the public document to publish for KEY.json: its did:web DID document, or for an "
        "https:// issuer the controller document that lists the key (or, with --jwks, a JWK Set).",
    ),
    "export": (
        "_export",
        "Export a credential (JSON, JWT, baked PNG/SVG) in another data model; nothing is verified here.",
    ),
    "init": (
        "_init",
        "Start an issuer: write microcred.toml, a signing key and a starter achievement definition.",
    ),
    "inspect": ("_build", "Show the micro-credential elements of an Open Badges 3.0 credential."),
    "issue": ("_issuing", "Build and sign a credential for one learner, or for a whole cohort from a CSV."),
    "keygen": ("_keys", "Generate an issuer key and write it, private, to KEY.json (mode 0600)."),
    "present": (
        "_presenting",
        "Wrap credentials (JSON, JWT, baked PNG/SVG) in a verifiable presentation signed by the holder.",
    ),
    "publish": ("_publish", "Write the static site to upload so anyone can verify."),
    "reinstate": ("_ledger", "Lift a suspension."),
    "revoke": ("_ledger", "Revoke an issued credential (for good)."),
    "serve": (
        "_serve",
        "Serve the employer verification page and the VC-API (needs: pip install 'microcred[server]').",
    ),
    "share": (
        "_publish",
        "Make a credential's share kit: link, QR code, LinkedIn, certificate, PNG.",
    ),
    "sign": ("_issuing", "Sign a credential built elsewhere (e.g. by `microcred build`)."),
    "status-list": ("_ledger", "Write the signed status list credentials to publish."),
    "suspend": ("_ledger", "Suspend an issued credential (undo with reinstate)."),
    "unbake": ("_baking", "Print the credential baked into a PNG or SVG badge image (- reads stdin)."),
    "verify": (
        "_issuing",
        "Verify credentials or presentations: JSON, JWT, baked PNG/SVG, an https URL, a folder, "
        "or - for stdin.",
    ),
}


class CliExit(click.ClickException):
    """A user-facing failure: printed as ``error: <message>`` with the given exit code."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click declares it on the class

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def fail(message: str, exit_code: int = EXIT_USAGE) -> NoReturn:
    """Stop the command with ``message`` on stderr and ``exit_code``."""
    raise CliExit(message, exit_code)


def write_output(text: str, out: str | None) -> None:
    """Write ``text`` to ``out`` atomically (or to stdout when ``out`` is None or -)."""
    if out in (None, "-"):
        click.echo(text, nl=not text.endswith("\n"))
        return

    write_atomic(Path(out), text.encode("utf-8"))
    click.echo(f"wrote {out}", err=True)


class _Group(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(_LAZY_COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in _LAZY_COMMANDS:
            _load(_LAZY_COMMANDS[cmd_name][0])
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            command = self.commands.get(name)
            if command is not None and command.hidden:
                continue
            shown = command or click.Command(name, help=_LAZY_COMMANDS[name][1])  # not imported yet
            rows.append((name, shown.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MicrocredError as exc:
            raise CliExit(str(exc)) from None
        except OSError as exc:
            name = f" {exc.filename}" if getattr(exc, "filename", None) else ""
            hint = ""
            if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
                hint = (
                    "; nothing already written was lost (files are replaced whole, never half "
                    "written): make room or make it writable, then rerun the same command"
                )
            raise CliExit(f"cannot read or write{name}: {exc.strerror or exc}{hint}") from None
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            raise click.exceptions.Exit(130) from None
        except Exception as exc:  # a bug: say so plainly; MICROCRED_DEBUG=1 shows the traceback
            if os.environ.get("MICROCRED_DEBUG"):
                raise
            raise CliExit(
                f"internal error ({type(exc).__name__}: {exc}); rerun with MICROCRED_DEBUG=1 and report it"
            ) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="microcred")
@click.option(
    "--config",
    "config_path",
    envvar="MICROCRED_CONFIG",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="The issuer configuration (default: ./microcred.toml when present; $MICROCRED_CONFIG).",
)
def main(config_path: str | None) -> None:
    """Build, sign, verify, revoke and bake Open Badges 3.0 micro-credentials.

    \b
    Start with:  microcred demo
    A new issuer: microcred init (writes microcred.toml, a key and an achievement definition)
    Exit codes:  0 done / verified, 1 checked and not valid, 2 bad input or usage.
    """


def _load(name: str) -> None:
    qualified = f"{__name__}.{name}"
    try:
        module = importlib.import_module(qualified)
    except ModuleNotFoundError as exc:
        if exc.name == qualified:  # that command module is not written yet
            return
        raise
    for command in module.COMMANDS:
        if command.name not in main.commands:
            main.add_command(command)


def _register() -> None:
    lazy = {module for module, _ in _LAZY_COMMANDS.values()}
    for name in _COMMAND_MODULES:
        if name not in lazy:
            _load(name)


_register()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
