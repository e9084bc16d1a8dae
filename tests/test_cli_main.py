"""The command line as a whole: every command has help with an example, --version, completion, exit codes."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from microcred.cli import main

COMMANDS = main.list_commands(None)  # type: ignore[arg-type]


def test_every_documented_command_exists():
    expected = {
        "keygen",
        "did-doc",
        "build",
        "issue",
        "sign",
        "verify",
        "inspect",
        "revoke",
        "suspend",
        "reinstate",
        "status-list",
        "bake",
        "unbake",
        "demo",
    }
    assert expected <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_an_example(command):
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output and "microcred " + command in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_unknown_option_is_a_usage_error_with_exit_2(command):
    result = CliRunner().invoke(main, [command, "--no-such-option"])
    assert result.exit_code == 2
    assert "No such option" in result.output
    assert "Traceback" not in result.output


def test_version_is_written_in_one_place():
    """microcred.__version__ is the one place: the CLI prints it, and the package metadata (hatch's
    dynamic version) is read from it."""
    import importlib.metadata

    import microcred

    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and result.output == f"microcred, version {microcred.__version__}\n"
    assert importlib.metadata.version("microcred") == microcred.__version__


def test_bash_completion_script_is_generated():
    done = subprocess.run(
        [sys.executable, "-m", "microcred"],
        env={"_MICROCRED_COMPLETE": "bash_source", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0
    assert "complete" in done.stdout and "_MICROCRED_COMPLETE" in done.stdout


def test_an_unexpected_bug_is_one_line_not_a_traceback(monkeypatch):
    import microcred.cli._issuing as issuing

    def boom(*args, **kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(issuing, "_iter_inputs", boom)
    result = CliRunner().invoke(main, ["verify", "x.json"])
    assert result.exit_code == 2
    assert "internal error (RuntimeError: simulated bug)" in result.output
    assert "Traceback" not in result.output
