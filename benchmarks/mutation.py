"""Mutation testing of microcred's security-critical modules with mutmut (pinned), outside CI.

    .venv/bin/pip install 'mutmut==3.8.1'
    .venv/bin/python benchmarks/mutation.py                     # the default scope (about 20 minutes)
    .venv/bin/python benchmarks/mutation.py --scope cohort      # one named scope
    .venv/bin/python benchmarks/mutation.py --json-file m.json  # the figures as JSON too

mutmut changes one thing at a time in the code (a ``<`` into ``<=``, a ``True`` into ``False``, a
string into another, a call argument dropped) and runs the tests that cover it; a mutant that no test
notices ("survived") is a change in behaviour the suite would let through. Each scope names modules
and the fast tests that exercise them; the run happens in a scratch copy of ``src``, ``tests`` and
``pyproject.toml`` (mutmut writes a ``mutants/`` folder), never in the work tree.

This is a benchmark-style job, not part of CI: it takes minutes to hours depending on the scope and
the machine. The score (killed / (killed + survived)) of the last run is recorded in
docs/security.md with the scope it covered; survivors are listed so that tests can be added for them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: name -> (modules to mutate, tests that exercise them). Scopes are sized to finish in about 20
#: minutes each on a shared 2-core machine; "all" is their union (hours).
SCOPES: dict[str, tuple[list[str], list[str]]] = {
    "cohort": (
        [
            "src/microcred/cohort/output.py",
            "src/microcred/cohort/journal.py",
            "src/microcred/cohort/privacy.py",
            "src/microcred/cohort/summary.py",
            "src/microcred/_files.py",
        ],
        ["tests/test_cohort.py", "tests/test_fails_safe_files.py"],
    ),
    "ledger": (
        ["src/microcred/ledger/sqlite.py", "src/microcred/ledger/sqlite_allocation.py"],
        ["tests/test_ledger.py", "tests/test_cli_ledger.py"],
    ),
    "time": (["src/microcred/_time.py"], ["tests/test_time.py", "tests/test_verify.py"]),
}
DEFAULT_SCOPE = "cohort"


def prepare(scratch: Path, modules: list[str], tests: list[str], workers: int) -> None:
    """A scratch copy of the project with a ``[tool.mutmut]`` section naming the scope."""
    shutil.copytree(ROOT / "src", scratch / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(
        ROOT / "tests", scratch / "tests", ignore=shutil.ignore_patterns("__pycache__", "node_modules")
    )
    for extra in ("examples", "docs", "README.md", "CHANGELOG.md", "benchmarks", ".ci"):
        if (ROOT / extra).is_dir():
            shutil.copytree(ROOT / extra, scratch / extra, ignore=shutil.ignore_patterns("__pycache__"))
        elif (ROOT / extra).exists():
            shutil.copy2(ROOT / extra, scratch / extra)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    section = [
        "",
        "[tool.mutmut]",
        f"only_mutate = {json.dumps(modules)}",
        'source_paths = ["src"]',
        f"pytest_add_cli_args_test_selection = {json.dumps(tests)}",
        # spawned workers import microcred afresh, outside mutmut's switchboard: not usable here
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-m", "not slow", "-q", "-k", "not spawn"]',
        "mutate_only_covered_lines = true",
        f"max_children = {workers}",
        "",
    ]
    (scratch / "pyproject.toml").write_text(pyproject + "\n".join(section), encoding="utf-8")


def run(scope: str, workers: int, keep: bool) -> dict[str, object]:
    modules, tests = (
        (
            sorted({m for s in SCOPES.values() for m in s[0]}),
            sorted({t for s in SCOPES.values() for t in s[1]}),
        )
        if scope == "all"
        else SCOPES[scope]
    )
    scratch = Path(tempfile.mkdtemp(prefix="microcred-mutation-"))
    mutmut = Path(sys.executable).with_name("mutmut")
    started = time.perf_counter()
    try:
        prepare(scratch, modules, tests, workers)
        env = dict(os.environ, PYTHONPATH=str(scratch / "mutants" / "src"))
        subprocess.run([str(mutmut), "run"], cwd=scratch, env=env, check=False)
        subprocess.run([str(mutmut), "export-cicd-stats"], cwd=scratch, env=env, check=True)
        stats = json.loads((scratch / "mutants" / "mutmut-cicd-stats.json").read_text(encoding="utf-8"))
        listing = subprocess.run(
            [str(mutmut), "results"], cwd=scratch, env=env, check=True, capture_output=True, text=True
        ).stdout
    finally:
        if not keep:
            shutil.rmtree(scratch, ignore_errors=True)
    killed, survived = int(stats.get("killed", 0)), int(stats.get("survived", 0))
    return {
        "scope": scope,
        "modules": modules,
        "tests": tests,
        "stats": stats,
        "score": round(killed / (killed + survived), 3) if killed + survived else None,
        "survivors": [line.strip() for line in listing.splitlines() if "survived" in line],
        "elapsed_seconds": round(time.perf_counter() - started, 1),
        "scratch": str(scratch) if keep else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scope", choices=[*SCOPES, "all"], default=DEFAULT_SCOPE)
    parser.add_argument("--workers", type=int, default=2, help="mutants tested at once (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch copy (to inspect mutants)")
    parser.add_argument("--json-file", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    report = run(args.scope, args.workers, args.keep)
    print(json.dumps({k: v for k, v in report.items() if k != "survivors"}, indent=2))
    print(f"{len(report['survivors'])} survivors:")  # type: ignore[arg-type]
    for line in report["survivors"]:  # type: ignore[attr-defined]
        print("  " + line)
    if args.json_file:
        args.json_file.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
