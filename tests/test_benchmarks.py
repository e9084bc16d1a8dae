"""Smoke test of benchmarks/run.py: a tiny run prints every figure and exits 0 (no timing asserted)."""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

#: One run of the benchmark script takes several seconds: long-running, like the crash tests.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "run.py"


def _load_script() -> types.ModuleType:
    """benchmarks/run.py as a module (it finds its sibling modules itself)."""
    spec = importlib.util.spec_from_file_location("benchmarks_run", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


bench = _load_script()

OPERATION_LABELS = [label for _, label, _ in bench.OPERATIONS]
CANON_OPERATIONS = [name for name, _, canon in bench.OPERATIONS if canon]


@pytest.fixture(scope="module")
def quick_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    out = tmp_path_factory.mktemp("bench") / "results.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--cohort", "20", "--memory", "--json-file", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        check=False,
    )
    results = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    return done, results


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def test_exits_zero_without_a_traceback(quick_run: tuple[subprocess.CompletedProcess[str], Any]) -> None:
    done, _ = quick_run
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_prints_every_per_credential_figure_for_both_cases(
    quick_run: tuple[subprocess.CompletedProcess[str], Any],
) -> None:
    text = quick_run[0].stdout
    assert "raw Ed25519 (64 bytes): sign" in text
    for heading in ("typical micro-credential", "large micro-credential"):
        section = text.split(heading, 1)[1]
        for label in OPERATION_LABELS:
            assert label in section, f"{label!r} missing under {heading!r}"
        assert "same proofValue on the fast and the plain-pyld path: yes" in section


def test_prints_cohort_memory_and_targets(quick_run: tuple[subprocess.CompletedProcess[str], Any]) -> None:
    text = quick_run[0].stdout
    assert "cohort: 20 learners" in text
    assert "1 worker" in text and "(all cores)" in text
    assert text.count("credentials/s") == 2
    assert "ratio large/small: parent" in text
    targets = text.split("targets (issue 6", 1)[1].splitlines()[1:]
    assert len(targets) == 6
    for line in targets:
        assert line.lstrip().startswith(("[met]", "[NOT MET]", "[not measured]")), line


def test_prints_the_ledger_start_up_and_issue_15_targets(
    quick_run: tuple[subprocess.CompletedProcess[str], dict[str, Any]],
) -> None:
    text, results = quick_run[0].stdout, quick_run[1]
    assert "ledger at scale: 2,000 credentials" in text and "bytes per credential" in text
    assert "microcred status-list (fresh process)" in text and "empty ledger" in text
    assert "microcred --version" in text and "microcred verify (one file)" in text
    assert "large VC-JWT, the same token" in text
    ledger = results["ledger"]
    assert ledger["credentials"] == 2000 and _finite(ledger["bytes_per_credential"])
    assert ledger["tables"]["documents"] > 0  # measured per table, from SQLite's dbstat
    for figure in ("publication_empty", "publication_full"):
        assert _finite(ledger[figure]["best_s"]) and _finite(ledger[figure]["cli_best_s"])
    assert _finite(ledger["issue_empty"]["p99_ms"]) and _finite(ledger["issue_empty"]["ledger_p99_ms"])
    assert all(_finite(v["times_bare"]) for v in results["startup"].values())
    targets = text.split("targets (issue 15)", 1)[1].split("targets (issue 6", 1)[0].strip().splitlines()
    assert len(targets) == len(results["targets15"]) >= 8
    for line in targets:
        assert line.lstrip().startswith(("[met]", "[NOT MET]", "[not measured]")), line


def test_a_saved_run_renders_the_same_report(
    quick_run: tuple[subprocess.CompletedProcess[str], dict[str, Any]], tmp_path: Path
) -> None:
    saved = tmp_path / "results.json"
    saved.write_text(json.dumps(quick_run[1]), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--render", str(saved)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == quick_run[0].stdout.strip()
    assert quick_run[1]["command"] == "python benchmarks/run.py --quick --cohort 20 --memory"


def test_the_readme_shows_one_generated_report() -> None:
    readme = (ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8")
    assert readme.count(bench.speed15.BEGIN) == 1 and readme.count(bench.speed15.END) == 1
    generated = readme.split(bench.speed15.BEGIN, 1)[1].split(bench.speed15.END, 1)[0]
    assert "microcred benchmarks" in generated and "targets (issue 15)" in generated
    outside = readme.replace(generated, "")
    for figure in ("targets (issue", "× raw", "credentials/s", "GiB per million"):  # no stale figures
        assert figure not in outside, figure


def test_json_has_every_figure(quick_run: tuple[subprocess.CompletedProcess[str], dict[str, Any]]) -> None:
    results = quick_run[1]
    assert _finite(results["raw_ed25519"]["sign_ms"]) and _finite(results["raw_ed25519"]["verify_ms"])
    for case in ("typical", "large"):
        ops = results["cases"][case]["operations"]
        assert set(ops) == {name for name, _, _ in bench.OPERATIONS}
        for name, figures in ops.items():
            assert _finite(figures["ms"]) and _finite(figures["x_raw_ed25519"]), name
            if name in CANON_OPERATIONS:
                assert _finite(figures["pyld_ms"]) and _finite(figures["speedup_vs_pyld"]), name
            else:
                assert figures["pyld_ms"] is None, name
        assert results["cases"][case]["identical_proof_on_both_paths"] is True
    cohort = results["cohort"]
    for run in ("one_worker", "all_cores"):
        assert cohort[run]["issued"] == 20 and cohort[run]["files"] == 20
        assert _finite(cohort[run]["per_second"]) and cohort[run]["peak_rss_parent_kb"] > 0
    memory = cohort["memory"]
    assert memory["small"]["learners"] == 20 and memory["large"]["learners"] == 200
    assert _finite(memory["ratio_parent"])
    assert [t["met"] in (True, False, None) for t in results["targets"]] == [True] * 6


def test_large_credential_is_large_and_valid() -> None:
    from datetime import UTC, datetime

    from large_credential import EVIDENCE, OUTCOMES, RESULTS, build_large, large_definition
    from microcred import generate_key, load_definition, schema_errors

    now = datetime(2026, 1, 15, tzinfo=UTC)
    key, endorser = generate_key(), generate_key()
    definition = large_definition(
        load_definition(ROOT / "examples" / "university-data-science.toml"), endorser, now=now
    )
    credential = build_large(
        definition, "ada@example.org", issuer_id=key.controller, now=now, credential_id="urn:uuid:1"
    )
    subject = credential["credentialSubject"]
    outcomes = [a for a in subject["achievement"]["alignment"] if a["targetType"] == "ext:LearningOutcome"]
    assert len(outcomes) == OUTCOMES
    assert len(credential["evidence"]) == EVIDENCE
    assert len(subject["result"]) == RESULTS
    assert subject["achievement"]["endorsement"][0]["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert schema_errors(credential) == []
