"""Mutation testing of microcred's security-critical modules with cosmic-ray (pinned), outside CI.

    .venv/bin/pip install 'cosmic-ray==8.7.0'
    .venv/bin/python benchmarks/mutation.py                          # default scope, 100 mutants sampled
    .venv/bin/python benchmarks/mutation.py --scope verify --max-mutants 0   # every mutant of a scope
    .venv/bin/python benchmarks/mutation.py --json-file m.json       # the figures as JSON too

cosmic-ray changes one thing at a time in the code (``<`` into ``<=``, ``True`` into ``False``, a
``break`` into ``continue``, a number into another ...) and runs the scope's tests; a mutant that no test
notices ("survived") is a change in behaviour the suite would let through. The run happens in a scratch
copy of ``src``, ``tests`` and ``pyproject.toml`` (cosmic-ray edits the files it mutates), never in the
work tree. ``--max-mutants N`` keeps a seeded random sample of N mutants so a run fits a time budget
(each mutant costs one pytest run of the scope's tests: seconds).

This is a benchmark-style job, not part of CI. The score (killed / all mutants tested) of the last run
is recorded in docs/security.md with its scope and sample; survivors are printed (module, line,
operator) so that tests can be written for them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: name -> (modules to mutate, tests that exercise them).
SCOPES: dict[str, tuple[list[str], list[str]]] = {
    "cohort": (
        [
            "src/microcred/cohort/output.py",
            "src/microcred/cohort/journal.py",
            "src/microcred/cohort/privacy.py",
            "src/microcred/cohort/bookkeeping.py",
            "src/microcred/_files.py",
        ],
        ["tests/test_fails_safe_files.py", "tests/test_fails_safe_restart.py", "tests/test_mutation_gaps.py"],
    ),
    "verify": (
        ["src/microcred/verifying/checks.py", "src/microcred/suites/data_integrity.py"],
        ["tests/test_mutation_gaps.py", "tests/test_verify.py"],
    ),
    "ledger": (
        ["src/microcred/ledger/sqlite.py", "src/microcred/ledger/sqlite_allocation.py"],
        ["tests/test_ledger.py", "tests/test_fails_safe_restart.py"],
    ),
}
DEFAULT_SCOPE = "cohort"


def prepare(scratch: Path, modules: list[str], tests: list[str], timeout: float) -> Path:
    """A scratch copy of the project and a cosmic-ray config for the scope; returns the config."""
    skip = shutil.ignore_patterns("__pycache__", "node_modules", ".venv")
    for folder in ("src", "tests", "examples", "schemas"):
        if (ROOT / folder).is_dir():
            shutil.copytree(ROOT / folder, scratch / folder, ignore=skip)
    shutil.copy2(ROOT / "pyproject.toml", scratch / "pyproject.toml")
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-m", "'not slow'"]
    config = scratch / "cosmic-ray.toml"
    config.write_text(
        "\n".join(
            [
                "[cosmic-ray]",
                f"module-path = {json.dumps(modules)}",
                f"timeout = {timeout}",
                "excluded-modules = []",
                f"test-command = {json.dumps(' '.join([*command, *tests]))}",
                "",
                "[cosmic-ray.distributor]",
                'name = "local"',
                "",
            ]
        ),
        encoding="utf-8",
    )
    return config


def sample(session: Path, keep: int, seed: int) -> int:
    """Keep a seeded random ``keep`` of the session's mutants (all when ``keep`` is 0); returns the
    number of mutants there were."""
    with sqlite3.connect(session) as db:
        jobs = [row[0] for row in db.execute("SELECT job_id FROM work_items ORDER BY job_id")]
        if keep and keep < len(jobs):
            drop = sorted(set(jobs) - set(random.Random(seed).sample(jobs, keep)))
            db.executemany("DELETE FROM mutation_specs WHERE job_id = ?", [(j,) for j in drop])
            db.executemany("DELETE FROM work_items WHERE job_id = ?", [(j,) for j in drop])
    return len(jobs)


def outcomes(session: Path) -> tuple[dict[str, int], list[str]]:
    """Counts by outcome, and one line per surviving mutant."""
    with sqlite3.connect(session) as db:
        rows = db.execute(
            "SELECT r.worker_outcome, r.test_outcome, s.module_path, s.start_pos_row, s.operator_name, "
            "s.occurrence FROM work_results r JOIN mutation_specs s USING (job_id)"
        ).fetchall()
    counts: dict[str, int] = {}
    survivors = []
    for worker, test, module, line, operator, occurrence in rows:
        outcome = str(test if str(worker).lower() == "normal" else worker).lower()
        counts[outcome] = counts.get(outcome, 0) + 1
        if outcome == "survived":
            survivors.append(f"{module}:{line} {operator} #{occurrence}")
    return counts, sorted(survivors)


def run(scope: str, max_mutants: int, seed: int, timeout: float, keep: bool) -> dict[str, object]:
    modules, tests = SCOPES[scope]
    scratch = Path(tempfile.mkdtemp(prefix="microcred-mutation-"))
    bin_dir = Path(sys.executable).parent
    started = time.perf_counter()
    try:
        config = prepare(scratch, modules, tests, timeout)
        session = scratch / "session.sqlite"
        # the tests import the scratch copy (the mutated one), not the installed work tree
        env = dict(os.environ, PYTHONPATH=str(scratch / "src"))
        cosmic_ray = str(bin_dir / "cosmic-ray")
        subprocess.run([cosmic_ray, "init", str(config), str(session)], cwd=scratch, env=env, check=True)
        total = sample(session, max_mutants, seed)
        baseline = subprocess.run([cosmic_ray, "baseline", str(config)], cwd=scratch, env=env, check=False)
        if baseline.returncode != 0:  # else every mutant would look "killed"
            raise SystemExit("the scope's tests fail without any mutation: fix them first")
        subprocess.run([cosmic_ray, "exec", str(config), str(session)], cwd=scratch, env=env, check=True)
        counts, survivors = outcomes(session)
    finally:
        if not keep:
            shutil.rmtree(scratch, ignore_errors=True)
    tested = sum(counts.values())
    killed = counts.get("killed", 0)
    return {
        "tool": "cosmic-ray 8.7.0",
        "scope": scope,
        "modules": modules,
        "tests": tests,
        "mutants_in_scope": total,
        "mutants_tested": tested,
        "seed": seed,
        "outcomes": counts,
        "score": round(killed / tested, 3) if tested else None,
        "survivors": survivors,
        "elapsed_seconds": round(time.perf_counter() - started, 1),
        "scratch": str(scratch) if keep else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--scope", choices=list(SCOPES), default=DEFAULT_SCOPE)
    parser.add_argument("--max-mutants", type=int, default=100, help="a seeded sample (0: all)")
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per mutant's test run")
    parser.add_argument("--keep", action="store_true", help="keep the scratch copy (to inspect)")
    parser.add_argument("--json-file", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    report = run(args.scope, args.max_mutants, args.seed, args.timeout, args.keep)
    print(json.dumps({k: v for k, v in report.items() if k != "survivors"}, indent=2))
    survivors = report["survivors"]
    assert isinstance(survivors, list)
    print(f"{len(survivors)} survivors:")
    for line in survivors:
        print("  " + line)
    if args.json_file:
        args.json_file.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
