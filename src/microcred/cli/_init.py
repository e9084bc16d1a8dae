"""``microcred init``: a starter issuer folder (configuration, signing key, achievement definition)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import click

from .._files import write_atomic
from .._resources import package_data_dir
from ..config import CONFIG_NAME, config_text, load_config
from ..model.definition import load_definition
from . import fail
from ._config import passphrase_env as passphrase_variable

#: Starter achievement definitions: the packaged examples they are made from.
TEMPLATES = {
    "university": "university-data-science.toml",
    "workplace": "workplace-safety-rpl.toml",
    "online": "online-course-badge.toml",
}
_SLUGS = {"university": "micro-credential", "workplace": "workplace-badge", "online": "online-course"}


def did_web_for(url: str) -> str:
    """The did:web naming an institution's site: ``https://uni.example/x`` → ``did:web:uni.example:x``."""
    parts = urlsplit(url)
    if not parts.hostname:
        fail(f"--url {url!r} has no host name")
    host = parts.hostname + (f"%3A{parts.port}" if parts.port else "")
    segments = [s for s in parts.path.split("/") if s]
    return ":".join(["did:web", host, *segments])


def definition_from_template(
    template: str, *, issuer_id: str, name: str, url: str, country: str | None = None
) -> str:
    """The template's achievement, issued by this institution: its own [issuer] table, the achievement's
    id under ``url``, and no example artwork (add your own ``image``)."""
    text = (package_data_dir("examples") / TEMPLATES[template]).read_text(encoding="utf-8")
    head, sep, rest = text.partition("\n[achievement]\n")
    if not sep:  # pragma: no cover - the packaged templates all have one
        fail(f"the {template} template has no [achievement] table")
    comments = [line for line in head.splitlines() if line.startswith("#")]
    rest = re.sub(r'(?m)\Aid = "[^"]*"', f'id = "{url.rstrip("/")}/achievements/{_SLUGS[template]}"', rest)
    rest = re.sub(r'(?m)^image = "[^"]*"\n', "", rest)
    issuer = "\n".join(
        [
            "[issuer]",
            f"id = {json.dumps(issuer_id)}",
            f"name = {json.dumps(name, ensure_ascii=False)}",
            f"url = {json.dumps(url)}",
            *([f"country = {json.dumps(country)}"] if country else []),
        ]
    )
    intro = [
        f"# Starter achievement definition from the {template!r} template (microcred init).",
        "# Edit the achievement to describe yours; docs/definition-format.md lists every key.",
        *comments,
    ]
    return "\n".join(intro) + "\n\n" + issuer + "\n\n[achievement]\n" + rest


@click.command("init")
@click.option(
    "--template",
    type=click.Choice(sorted(TEMPLATES)),
    default="university",
    show_default=True,
    help="Starter achievement: university (credit-bearing), workplace (by evidence), online (course).",
)
@click.option("--name", "name", required=True, help="The institution's name, as learners should see it.")
@click.option("--url", "url", required=True, metavar="URL", help="The institution's site (https://…).")
@click.option("--country", metavar="CC", help="The institution's country (ISO 3166-1 alpha-2, e.g. NL).")
@click.option(
    "--did-web",
    metavar="DOMAIN[:path]",
    help="Issuer did:web (default: from --url, e.g. did:web:uni.example).",
)
@click.option("--did-key", is_flag=True, help="Make the key its own did:key issuer (nothing to host).")
@click.option(
    "--alg",
    "algorithm",
    type=click.Choice(["Ed25519", "P-256"]),
    default="Ed25519",
    show_default=True,
    help="Key type.",
)
@click.option("--passphrase-env", metavar="VAR", help="Encrypt the new key with the passphrase in $VAR.")
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    help="Where to write (default: the current folder).",
)
@click.option("--force", is_flag=True, help="Overwrite microcred.toml and the definition (never the key).")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
def init(
    template: str,
    name: str,
    url: str,
    country: str | None,
    did_web: str | None,
    did_key: bool,
    algorithm: str,
    passphrase_env: str | None,
    folder: Path,
    force: bool,
    as_json: bool,
) -> None:
    """Start an issuer: write microcred.toml, a signing key and a starter achievement definition.

    An existing key file is kept and reused (its issuer goes into the configuration). Then issue with
    `microcred issue --cohort grades.csv --from canvas` and publish with `microcred publish`.

    \b
    Example:
      microcred init --name "Universiteit van Harderwijk" --url https://www.uni-harderwijk.example
      microcred init --template workplace --name "Construct Skills" --url https://skills.example --did-key
    """
    if not url.startswith(("https://", "http://")) or not urlsplit(url).hostname:
        fail(f"--url {url!r} is not an https:// URL")
    if country is not None and not re.fullmatch(r"[A-Z]{2}", country):
        fail(f"--country {country!r} is not an ISO 3166-1 alpha-2 code such as NL")
    if did_web and did_key:
        fail("give either --did-web or --did-key, not both")
    folder.mkdir(parents=True, exist_ok=True)
    config_file, definition_file = folder / CONFIG_NAME, folder / "achievement.toml"
    key_file = folder / "issuer-key.json"
    for path in (config_file, definition_file):
        if path.exists() and not force:
            fail(f"{path} exists; not overwriting it (use --force)")
    variable = passphrase_variable(passphrase_env)
    passphrase = None
    if variable:
        passphrase = os.environ.get(variable) or None
        if passphrase is None and passphrase_env:
            fail(f"--passphrase-env {variable}: that environment variable is not set or empty")
    from ..keys.files import load_key, save_key  # cryptography: only when the command runs
    from ..keys.material import generate_key

    if key_file.exists():
        key = load_key(key_file, passphrase=passphrase)
        made_key = False
    else:
        key = generate_key(algorithm, did_web=None if did_key else (did_web or did_web_for(url)[8:]))  # type: ignore[arg-type]
        save_key(key, key_file, passphrase=passphrase)
        made_key = True
    definition = definition_from_template(
        template, issuer_id=key.controller, name=name, url=url, country=country
    )
    status_url = url.rstrip("/") + "/credentials/status"
    config = config_text(
        issuer_id=key.controller,
        issuer_name=name,
        issuer_url=url,
        key_file=key_file.name,
        achievement=definition_file.name,
        status_base_url=status_url,
    )
    if variable and passphrase_env:
        config = config.replace(
            '# passphrase_env = "MICROCRED_PASSPHRASE"', f"passphrase_env = {json.dumps(variable)}"
        )
    write_atomic(definition_file, definition.encode("utf-8"))
    write_atomic(config_file, config.encode("utf-8"))
    load_definition(definition_file)  # both files read back as written, or this fails loudly
    load_config(config_file)
    report = {
        "config": str(config_file),
        "key": str(key_file),
        "key_created": made_key,
        "definition": str(definition_file),
        "template": template,
        "issuer": key.controller,
        "status_url": status_url,
    }
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    click.echo(f"wrote {config_file} (issuer {key.controller})")
    click.echo(f"{'wrote' if made_key else 'kept'} {key_file} (private; keep it out of version control)")
    click.echo(f"wrote {definition_file} from the {template} template: edit it to describe your achievement")
    click.echo("next: microcred issue --cohort GRADES.csv --from moodle|canvas|openedx|blackboard")


COMMANDS = [init]
