"""Commands that sign, issue and verify: sign, issue, verify, demo."""

from __future__ import annotations

import functools
import io
import itertools
import json
import os
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .. import _time
from .._files import write_atomic
from ..cohort.lms import column_map
from ..credential.reader import read_capped, read_credential
from ..errors import InputError, KeyFormatError, MicrocredError
from ..fetch import Fetcher, NetworkPolicy
from ..limits import MAX_INPUT_BYTES, SORTED_FOLDER_ENTRIES
from ..model.definition import load_definition
from ..model.grading import GradeError, read_grade
from ..model.learner import Recipient
from . import EXIT_INVALID, EXIT_OK, EXIT_USAGE, fail, write_output
from ._award import award_from, award_options
from ._check import profile_options, run_profiles
from ._cohort import lms_options, run_cohort_command
from ._config import current_config, optional, setting
from ._config import key_path as config_key_path
from ._config import passphrase_env as passphrase_variable
from ._deferred import run_demo, verify, verify_presentation
from ._sharing import SHARE_OPTION, share_folder, share_one

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime

    from ..credential.reader import Source
    from ..issuing import BuildOptions
    from ..keys.material import IssuerKey
    from ..verifying.presentation import PresentationReport
    from ..verifying.report import VerificationReport

_VERIFY_SUFFIXES = {".json", ".jsonld", ".jwt", ".png", ".svg", ".txt"}


def _parse_resources(pairs: tuple[str, ...]) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for pair in pairs:
        url, sep, file = pair.partition("=")
        if not sep or not url or not file:
            fail(f"--resource wants URL=FILE, got {pair!r}")
        path = Path(file)
        if not path.is_file():
            fail(f"--resource {url}: no such file {file!r}")
        out[url] = path
    return out


def _parse_time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        return _time.parse(value)
    except _time.DateTimeError as exc:
        if exc.no_timezone:
            fail(f"{option} {value!r} has no timezone; add Z or an offset such as +01:00")
        fail(f"{option} {value!r} is not an ISO 8601 date-time (e.g. 2026-01-31T12:00:00Z)")


def _is_credential_file(entry: os.DirEntry[str]) -> bool:
    try:
        # not Path(name): pathlib interns every name it parses, which would grow with the folder
        return os.path.splitext(entry.name)[1].lower() in _VERIFY_SUFFIXES and entry.is_file()
    except OSError:
        return False


def _folder_files(folder: str) -> Iterator[str]:
    """``folder``'s credential files: sorted up to SORTED_FOLDER_ENTRIES, else streamed (flat memory)."""
    with os.scandir(Path(folder)) as entries:
        head: list[os.DirEntry[str]] = []
        for entry in entries:
            head.append(entry)
            if len(head) >= SORTED_FOLDER_ENTRIES:
                break
        else:
            yield from (e.path for e in sorted(head, key=lambda e: e.name) if _is_credential_file(e))
            return
        yield from (e.path for e in head if _is_credential_file(e))
        del head
        yield from (e.path for e in entries if _is_credential_file(e))


def _iter_inputs(inputs: tuple[str, ...]) -> Iterator[str]:
    """Each input, a folder's credential files one at a time (a folder is walked lazily)."""
    for item in inputs:
        if item != "-" and Path(item).is_dir():
            with os.scandir(Path(item)) as entries:
                if not any(_is_credential_file(e) for e in entries):
                    fail(f"{item}: the folder holds no .json, .jwt, .png or .svg files")
    for item in inputs:
        if item != "-" and Path(item).is_dir():
            yield from _folder_files(item)
        else:
            yield item


def read_stdin() -> bytes:
    """stdin, read with the input cap (never whole and then measured)."""
    if hasattr(sys.stdin, "buffer"):
        return read_capped(sys.stdin.buffer, "stdin")
    text = sys.stdin.read(MAX_INPUT_BYTES + 1)
    return read_capped(io.BytesIO(text.encode()), "stdin")


def _source(item: str) -> Source:
    if item == "-":
        return read_stdin()
    if item.startswith(("https://", "http://")):
        return item
    return Path(item)


@click.command("verify")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--json", "as_json", is_flag=True, help="Print the report(s) as JSON.")
@click.option("--recipient", metavar="ID", help="Also check the credential was issued to this email or DID.")
@click.option(
    "--resource",
    "resources",
    multiple=True,
    metavar="URL=FILE",
    help="Answer URL from a local file instead of the network (repeatable).",
)
@click.option(
    "--trust-key",
    "trust_keys",
    multiple=True,
    type=click.Path(dir_okay=False),
    metavar="KEY.json",
    help="Accept this public key as bound to its controller (repeatable).",
)
@click.option(
    "--offline",
    is_flag=True,
    help="Never use the network, for one input or a whole folder (batch): only --resource files answer URLs.",
)
@click.option(
    "--allow-private-network",
    is_flag=True,
    help="Let verification fetch from private (intranet) addresses too; loopback, link-local and "
    "reserved addresses stay refused.",
)
@click.option(
    "--allow-unchecked-status",
    is_flag=True,
    help="Pass a credential whose status list could not be fetched (reported as a warning).",
)
@click.option("--now", "now_text", metavar="DATETIME", help="Check validity at this time instead of now.")
@click.option(
    "--strict",
    is_flag=True,
    help="Conformance mode: a departure from the 1EdTech JSON Schema fails (default: a warning).",
)
@click.option("--domain", metavar="DOMAIN", help="A presentation's proof must carry this domain.")
@click.option("--challenge", metavar="NONCE", help="A presentation's proof must carry this challenge.")
def verify_cmd(
    inputs: tuple[str, ...],
    as_json: bool,
    recipient: str | None,
    resources: tuple[str, ...],
    trust_keys: tuple[str, ...],
    offline: bool,
    allow_private_network: bool,
    allow_unchecked_status: bool,
    now_text: str | None,
    strict: bool = False,
    domain: str | None = None,
    challenge: str | None = None,
) -> None:
    """Verify credentials or presentations: JSON, JWT, baked PNG/SVG, an https URL, a folder, or - for stdin.

    \b
    Examples:
      microcred verify badge.png
      microcred verify --json credential.json
      microcred verify --resource https://example.edu/did.json=did.json cred.jwt
      microcred verify applicants/            # one line per file, then a summary
      microcred verify --offline applicants/  # a batch that never touches the network

    \b
    Network: only public addresses are fetched from (after DNS, and on every redirect), within a
    deadline and a minimum rate; each URL once per run. Files and folders stream, one result at a
    time.

    Exit 0 when every input verified, 1 when any did not, 2 when an input could not be read.
    """
    from ..keys.files import load_key

    fetcher = Fetcher(
        resources=_parse_resources(resources),
        allow_network=not offline,
        policy=NetworkPolicy(allow_private=allow_private_network),
    )
    trusted = [load_key(Path(p)).public() for p in trust_keys]
    now = _parse_time(now_text, "--now")
    pending = _iter_inputs(inputs)
    head = list(itertools.islice(pending, 2))
    single = len(head) == 1
    worst, total, verified = EXIT_OK, 0, 0
    if as_json and not single:
        click.echo('{\n  "results": [')
    for item in itertools.chain(head, pending):
        try:
            source = _source(item)
            report: VerificationReport | PresentationReport
            try:
                report = verify(
                    source,
                    fetch=fetcher,
                    now=now,
                    recipient=recipient,
                    trusted_keys=trusted,
                    allow_unchecked_status=allow_unchecked_status,
                    strict=strict,
                    domain=domain,
                    challenge=challenge,
                )
            except InputError as exc:
                if exc.code != "input.presentation":
                    raise
                report = verify_presentation(
                    source,
                    domain=domain,
                    challenge=challenge,
                    fetch=fetcher,
                    now=now,
                    trusted_keys=trusted,
                    allow_unchecked_status=allow_unchecked_status,
                    strict=strict,
                    name=item,
                )
        except MicrocredError as exc:
            worst = EXIT_USAGE
            data: dict[str, Any] = {
                "input": item,
                "verified": False,
                "error": {"code": exc.code, "message": str(exc)},
            }
            text = f"UNREADABLE    {item}  — {exc}"
        else:
            if not report.verified and worst == EXIT_OK:
                worst = EXIT_INVALID
            data = report.to_dict()
            data["input"] = item
            text = report.to_text() if single else report.summary_line().replace(report.source or "", item, 1)
        verified += 1 if data.get("verified") else 0
        if as_json:
            dumped = json.dumps(data, indent=2, ensure_ascii=False, default=str)
            if single:
                click.echo(dumped)
            else:
                click.echo((",\n" if total else "") + textwrap.indent(dumped, "    "), nl=False)
        else:
            click.echo(text)
        total += 1
    if as_json and not single:
        summary = json.dumps({"inputs": total, "verified": verified}, indent=2).replace("\n", "\n  ")
        click.echo(f'\n  ],\n  "summary": {summary}\n}}')
    elif not single:
        click.echo(f"\n{verified} of {total} verified")
    if worst == EXIT_USAGE and single and not as_json:
        # the single unreadable input was already printed; say it on stderr too for scripts
        click.echo(f"error: {data['error']['message']}", err=True)
    sys.exit(worst)


def load_signing_key(path: str, passphrase_env: str | None) -> IssuerKey:
    """Load a private key file, reading its passphrase from an environment variable when given."""
    from ..keys.files import load_key

    passphrase = None
    passphrase_env = passphrase_variable(passphrase_env)
    if passphrase_env:
        passphrase = os.environ.get(passphrase_env)
        if passphrase is None:
            fail(f"--passphrase-env {passphrase_env}: that environment variable is not set")
        if not passphrase:
            fail(f"the key passphrase variable {passphrase_env} is empty")
    try:
        key = load_key(Path(path), passphrase=passphrase)
    except KeyFormatError as exc:
        if passphrase is None and "passphrase" in str(exc).lower() and sys.stdin.isatty():
            key = load_key(Path(path), passphrase=click.prompt("Key passphrase", hide_input=True))
        else:
            raise
    if not key.has_private:
        fail(f"{path}: this key file holds only a public key; signing needs the private key")
    return key


_FORMAT = click.Choice(["di", "jwt"])
_KEY = click.option(
    "--key",
    "key_path",
    type=click.Path(dir_okay=False),
    help="Issuer private key file (default: [issuer] key in microcred.toml).",
)
_FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=_FORMAT,
    default="di",
    show_default=True,
    help="di: Data Integrity proof in the JSON; jwt: a VC-JWT.",
)
_PASSPHRASE = click.option(
    "--passphrase-env", metavar="VAR", help="Read the key passphrase from this environment variable."
)
_SUITES = click.Choice(["eddsa-rdfc-2022", "eddsa-jcs-2022", "ecdsa-rdfc-2019"])


@click.command("sign")
@click.argument("unsigned", type=click.Path(dir_okay=False, allow_dash=True))
@_KEY
@_FORMAT_OPTION
@click.option(
    "--cryptosuite",
    type=_SUITES,
    default=None,
    help="Data Integrity suite (default: eddsa-rdfc-2022 for Ed25519, ecdsa-rdfc-2019 for P-256).",
)
@click.option(
    "--created", metavar="DATETIME", help="Proof time (ISO 8601 with timezone), for reproducible runs."
)
@_PASSPHRASE
@click.option("-o", "--output", "out", metavar="OUT", help="Write here instead of stdout.")
def sign_cmd(
    unsigned: str,
    key_path: str | None,
    fmt: str,
    cryptosuite: str | None,
    created: str | None,
    passphrase_env: str | None,
    out: str | None,
) -> None:
    """Sign a credential built elsewhere (e.g. by `microcred build`).

    \b
    Example:
      microcred build --achievement examples/online-course-badge.toml --recipient ada@example.org -o u.json
      microcred sign --key issuer-key.json --created 2026-01-01T00:00:00Z u.json -o signed.json
    """
    from ..issuing import sign

    key = load_signing_key(config_key_path(key_path), passphrase_env)
    read = read_credential(_source(unsigned), name=unsigned)
    if read.credential is None:
        fail(f"{unsigned}: expected an unsigned JSON credential, found a {read.kind}")
    when = _parse_time(created, "--created")
    _check_format(key, fmt)
    issued = sign(read.credential, key, format=fmt, cryptosuite=cryptosuite, created=when, now=when)  # type: ignore[arg-type]
    write_output(issued.serialize(), out)


def _check_format(key: IssuerKey, fmt: str) -> None:
    from ..keys.algorithms import default_format

    if fmt == "di" and default_format(key.algorithm) != "di":
        fail(f"{key.algorithm} keys sign VC-JWTs only ({key.jws_algorithm}); use --format jwt")


@click.command("issue")
@_KEY
@click.option(
    "--achievement",
    "achievement",
    type=click.Path(dir_okay=False),
    help="Achievement definition (.toml or .json; default: [issuing] achievement in microcred.toml).",
)
@click.option("--recipient", metavar="EMAIL|DID", help="One learner: an email (stored hashed) or a DID/URI.")
@click.option("--name", metavar="NAME", help="The learner's display name (with --recipient).")
@click.option("--grade", metavar="GRADE", help="The learner's grade (with --recipient).")
@click.option(
    "--cohort", type=click.Path(dir_okay=False), help="A CSV with one learner per row (see docs/cohorts.md)."
)
@click.option("--out-dir", type=click.Path(file_okay=False), help="Where a cohort's credentials go.")
@lms_options
@_FORMAT_OPTION
@click.option(
    "--cryptosuite", type=_SUITES, default=None, help="Data Integrity suite (default from the key type)."
)
@click.option(
    "--ledger",
    "ledger_path",
    type=str,  # a path or a postgresql:// URL (not click.Path, which would fold the //)
    help="Record in this ledger (an SQLite file, or a postgresql:// URL) and add a revocation status entry.",
)
@click.option("--status-url", metavar="URL", help="Base https URL where the status lists will be published.")
@click.option("--suspendable", is_flag=True, help="With --ledger: also add a suspension status entry.")
@click.option(
    "--bake",
    "bake_path",
    type=click.Path(dir_okay=False),
    help="Also bake the credential into this PNG/SVG badge image.",
)
@click.option(
    "--on-error",
    type=click.Choice(["stop", "skip"]),
    default="stop",
    show_default=True,
    help="Cohort: stop at a bad row, or report it and go on.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Cohort: signing processes (default: all cores).",
)
@click.option("--json", "as_json", is_flag=True, help="Cohort: print the summary as JSON.")
@click.option(
    "--plain-names",
    is_flag=True,
    help="Cohort: name files after the recipients and show them in the summary "
    "(default: opaque ids; the ledger and journal hold only keyed pseudonyms either way).",
)
@click.option(
    "--created", metavar="DATETIME", help="Issue time (ISO 8601 with timezone), for reproducible runs."
)
@_PASSPHRASE
@SHARE_OPTION
@click.option("-o", "--output", "out", metavar="OUT", help="Single learner: write here instead of stdout.")
@profile_options
@functools.partial(award_options, evidence=True)
def issue_cmd(
    key_path: str | None,
    achievement: str | None,
    recipient: str | None,
    name: str | None,
    grade: str | None,
    cohort: str | None,
    out_dir: str | None,
    lms: str | None,
    mapping: tuple[str, ...],
    map_file: str | None,
    fmt: str,
    cryptosuite: str | None,
    ledger_path: str | None,
    status_url: str | None,
    suspendable: bool,
    bake_path: str | None,
    on_error: str,
    workers: int | None,
    as_json: bool,
    plain_names: bool,
    created: str | None,
    passphrase_env: str | None,
    share_dir: str | None,
    out: str | None,
    profiles: tuple[str, ...],
    strict: bool,
    **award: Any,
) -> None:
    """Build and sign a credential for one learner, or for a whole cohort from a CSV.

    The issuer's id comes from the key (its did:key, or the did:web / https issuer it names).

    \b
    Examples:
      microcred issue --key issuer-key.json --achievement examples/university-data-science.toml \\
          --recipient learner@example.org -o learner.json
      microcred issue --key issuer-key.json --achievement ach.toml --recipient did:example:123 --format jwt
      microcred issue --key issuer-key.json --achievement ach.toml --cohort cohort.csv --out-dir out/ \\
          --ledger issuer.db --status-url https://uni.example/status
      microcred issue --achievement ach.toml --cohort grades.csv --from canvas --out-dir out/
    """
    from ..issuing import issue
    from ..ledger.protocol import Ledger

    config = current_config()
    key = load_signing_key(config_key_path(key_path), passphrase_env)
    achievement = str(setting(achievement, config.achievement, "--achievement FILE", "[issuing] achievement"))
    ledger_path = optional(ledger_path, str(config.ledger) if config.ledger else None)
    status_url = optional(status_url, config.status_base_url)
    when = _parse_time(created, "--created")
    _check_format(key, fmt)
    definition = load_definition(achievement)
    run_profiles(definition, profiles, strict)
    if cohort:
        out_dir = optional(out_dir, str(config.out_dir) if config.out_dir else None)
        details, evidence = award_from(award)
        if recipient or name or grade or out or details or evidence:
            fail(
                "--cohort issues from the CSV; leave out --recipient, --name, --grade, -o and the "
                "per-learner options (--evidence, --assessor, --activity-*, --credits-earned, --component)"
            )
        if not out_dir:
            fail("--cohort needs --out-dir for the credential files")

        code = run_cohort_command(
            achievement,
            cohort,
            key,
            out_dir,
            ledger_path=ledger_path,
            status_base_url=status_url,
            format=fmt,  # type: ignore[arg-type]
            cryptosuite=cryptosuite,
            bake_path=bake_path,
            on_error=on_error,  # type: ignore[arg-type]
            workers=workers,
            json_output=as_json,
            suspension=suspendable,
            now=when,
            plain_names=plain_names,
            columns=column_map(lms, mapping, map_file),
        )
        if share_dir and code == EXIT_OK:
            share_folder(Path(out_dir), Path(share_dir))
        sys.exit(code)
    if lms or mapping or map_file:
        fail("--from, --map and --map-file describe a --cohort file; give --cohort too")
    if not recipient:
        fail("say who receives it: --recipient EMAIL|DID (or --cohort CSV for many)")

    learner = Recipient.parse(recipient, name)
    options: BuildOptions = {}
    if grade:
        try:
            checked = read_grade(definition.achievement.grade, grade)
        except GradeError as exc:
            fail(f"--grade: {exc}")
        if not definition.pass_rule.passes(checked):
            fail(f"--grade {grade} does not pass ({definition.pass_rule.describe()}); nothing was issued")
        if checked is not None:
            options["result"] = checked
    details, evidence = award_from(award)
    if details is not None:
        options["award"] = details
    if evidence:
        options["evidence"] = evidence
    ledger = None
    if ledger_path:
        ledger = Ledger.open(ledger_path)
    try:
        issued = issue(
            definition,
            learner,
            key,
            format=fmt,  # type: ignore[arg-type]  # click.Choice(["di", "jwt"])
            cryptosuite=cryptosuite,
            ledger=ledger,
            status_base_url=status_url,
            suspension=suspendable,
            now=when,
            build_options=options,
        )
    finally:
        if ledger is not None:
            ledger.close()
    text = issued.serialize()
    if share_dir:
        share_one(text, Path(share_dir), jwt=issued.jwt is not None)
    if bake_path:
        from ..baking.bake import bake  # only when baking: no --help loads it (tests/test_startup.py)

        image = Path(bake_path).read_bytes()
        baked = bake(image, issued.jwt if issued.jwt else dict(issued.credential))
        target = out or f"{Path(bake_path).stem}-baked{Path(bake_path).suffix}"

        write_atomic(Path(target), baked)
        click.echo(f"baked {issued.id} into {target}", err=True)
        return
    write_output(text, out)


@click.command("demo")
@click.option("--keep", type=click.Path(file_okay=False), help="Keep the demo files in this folder.")
def demo_cmd(keep: str | None) -> None:
    """Issue and verify an example micro-credential with a throwaway issuer.

    Generates a key, issues the example credential as a Data Integrity credential and as a VC-JWT,
    records both in a ledger, bakes one into a badge image, verifies everything offline, shows the
    employer's view, then revokes one and shows that verification now says so.

    \b
    Example:
      microcred demo
      microcred demo --keep demo-out/
    """

    ok = run_demo(keep=Path(keep) if keep else None, echo=click.echo)
    sys.exit(EXIT_OK if ok else EXIT_INVALID)


COMMANDS = [demo_cmd, issue_cmd, sign_cmd, verify_cmd]
