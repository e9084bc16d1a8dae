"""Issue 15, "start instantly": the import budget of the command line, checked by which modules a
fresh interpreter has loaded (never by timing). ``--version`` and ``--help`` load nothing heavy; a
command loads its own module only; verifying a file loads no issuing, ledger, baking or cohort-run code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import microcred.cli as cli

ROOT = Path(__file__).resolve().parents[1]
#: What no command line start-up needs: JSON-LD, JSON Schema, crypto, HTML parsing, terminals, SQL, HTTP.
HEAVY = (
    "pyld",
    "jsonschema",
    "jsonschema_rs",
    "referencing",
    "cryptography",
    "lxml",
    "rich",
    "sqlite3",
    "asyncio",
    "http.client",  # microcred.fetch makes its connections on the first fetch
    "ssl",
)
#: What verifying one file never needs.
NOT_FOR_VERIFY = (
    "microcred.issuing",
    "microcred.cohort.run",
    "microcred.cohort.summary",
    "microcred.ledger",
    "microcred.baking",
    "microcred.cli._demo",
    "jsonschema",  # the reference validator: only for a credential the accelerator finds invalid
    "rich",
    "sqlite3",
)


def loaded_after(code: str, cwd: Path = ROOT) -> set[str]:
    """The modules a fresh interpreter holds after running ``code`` (written last, as JSON)."""
    probe = f"{code}\nimport json, sys\nsys.stderr.write('\\nMODULES ' + json.dumps(sorted(sys.modules)))\n"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=cwd, timeout=120, check=False
    )
    line = done.stderr.rsplit("MODULES ", 1)
    assert len(line) == 2, done.stderr
    return set(json.loads(line[1]))


def run_cli(*args: str) -> str:
    return (
        "import sys\nfrom microcred.__main__ import run\n"
        f"sys.argv = ['microcred', *{list(args)!r}]\n"
        "try:\n    run()\nexcept SystemExit:\n    pass\n"
    )


def heavy(modules: set[str], names: tuple[str, ...] = HEAVY) -> list[str]:
    """The modules that are one of ``names`` or inside one (``jsonschema_rs`` is not ``jsonschema``)."""
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


def test_importing_the_command_line_loads_no_command_and_nothing_heavy():
    modules = loaded_after("import microcred.cli")
    assert heavy(modules) == []
    ours = {m for m in modules if m.startswith("microcred")}
    assert ours <= {"microcred", "microcred.cli", "microcred.errors", "microcred._files"}, sorted(ours)


def test_version_loads_neither_click_nor_the_command_line():
    modules = loaded_after(run_cli("--version"))
    assert "click" not in modules and "microcred.cli" not in modules
    assert heavy(modules) == []


@pytest.mark.parametrize("args", [("--help",), *((name, "--help") for name in sorted(cli._LAZY_COMMANDS))])
def test_help_loads_nothing_heavy(args):
    modules = loaded_after(run_cli(*args))
    assert heavy(modules) == []


def test_verifying_a_file_loads_only_verification(tmp_path, ed25519_key, example_definition):
    from microcred.issuing import issue

    credential = issue(example_definition, "learner@example.org", ed25519_key).serialize()
    (tmp_path / "c.json").write_text(credential, encoding="utf-8")
    modules = loaded_after(run_cli("verify", "c.json"), cwd=tmp_path)
    assert "microcred.verifying.verify" in modules  # it did verify
    assert heavy(modules, NOT_FOR_VERIFY) == []


def test_version_text_is_clicks():
    assert CliRunner().invoke(cli.main, ["--version"]).output == "microcred, version 0.1.0\n"
    done = subprocess.run(
        [sys.executable, "-m", "microcred", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout == CliRunner().invoke(cli.main, ["--version"]).output


def test_the_listed_help_lines_are_the_commands_own():
    """``microcred --help`` shows the registry's lines without importing the commands: they must be
    the commands' own first lines, and each command must live in the module the registry names."""
    for name, (module, line) in cli._LAZY_COMMANDS.items():
        command = cli.main.get_command(click.Context(cli.main), name)
        assert command is not None, name
        assert command.callback is not None and command.callback.__module__ == f"microcred.cli.{module}"
        assert command.get_short_help_str(10_000) == click.Command(name, help=line).get_short_help_str(10_000)
    every = {
        c.name
        for m in cli._COMMAND_MODULES
        for c in __import__(f"microcred.cli.{m}", fromlist=["x"]).COMMANDS
    }
    assert every == set(cli.main.list_commands(click.Context(cli.main)))
