"""The command line as a whole: every command has help with an example, --version, completion, exit codes."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from microcred.cli import main

COMMANDS = sorted(main.commands)


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


def test_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("microcred, version ")


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

    monkeypatch.setattr(issuing, "_expand_inputs", boom)
    result = CliRunner().invoke(main, ["verify", "x.json"])
    assert result.exit_code == 2
    assert "internal error (RuntimeError: simulated bug)" in result.output
    assert "Traceback" not in result.output
