"""The README's set-up commands and its three journeys work as written (run in order, in a fresh folder)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _journey_commands() -> list[tuple[str, int]]:
    section = README.split("## Three journeys", 1)[1].split("\n## ", 1)[0]
    commands: list[tuple[str, int]] = []
    for block in re.findall(r"```sh\n(.*?)```", section, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            expected = re.search(r"#\s*exit\s+(\d+)", line)
            commands.append((line, int(expected.group(1)) if expected else 0))
    return commands


def test_readme_starts_with_exactly_the_two_setup_commands():
    first_block = re.search(r"```sh\n(.*?)```", README, flags=re.S).group(1).strip().splitlines()
    assert first_block == [
        "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/microcred demo",
        "python3 -m venv .venv && .venv/bin/pip install '.[test]' && .venv/bin/pytest",
    ]
    assert README.index("```sh") < README.index("\n## ")


def test_ci_runs_the_readmes_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 -m venv .venv && .venv/bin/pip install '.[test]' && .venv/bin/pytest" in ci


def test_the_three_journeys_run_as_written(tmp_path):
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    commands = _journey_commands()
    assert len(commands) >= 12
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "NO_COLOR": "1"}
    for line, expected in commands:
        argv = shlex.split(line, comments=True)
        assert argv[0] == ".venv/bin/microcred", line
        argv = [sys.executable, "-m", "microcred", *argv[1:]]
        done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert "Traceback" not in done.stderr, (line, done.stderr)
        assert done.returncode == expected, (line, done.returncode, done.stdout[-2000:], done.stderr[-2000:])
        if "revoke" not in line and "verify" in line and expected == 1:
            assert "REVOKED" in done.stdout


def test_the_library_example_runs(tmp_path, monkeypatch):
    code = re.search(r"```python\n(.*?)```", README, flags=re.S).group(1)
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {"__name__": "readme"})
    assert len(list((tmp_path / "cohort").glob("*.json"))) == 6
