"""Interop with the JavaScript reference implementations (Digital Bazaar's VC stack, ``jose``).

Each test runs one of the small Node CLIs in ``tests/interop/`` (see its README) and compares verdicts:

* Data Integrity ``eddsa-rdfc-2022``: microcred signs, ``@digitalbazaar/vc`` verifies, and the reverse;
  with the same key and ``created`` both produce the same ``proofValue`` byte for byte. The same both ways
  for ``ecdsa-rdfc-2019`` (P-256) and ``eddsa-jcs-2022``, and for verifiable presentations (challenge and
  domain held). microcred's extension context reaches Digital Bazaar only as a web verifier would get it:
  through the w3id.org rules and the published site's files (a URL map; nothing is handed over by hand).
* VC-JWT (EdDSA, ES256, RS256): microcred signs, ``jose`` verifies, and the reverse.
* Bitstring Status List: ``encodedList`` values decode to the same set bits on both sides, and a
  microcred status list credential is read by ``@digitalbazaar/vc-bitstring-status-list`` checkStatus.

The npm packages are installed once per session when ``tests/interop/node_modules`` is missing or out
of date. Without node/npm, or when the install fails, every test here FAILS (never skips): CI must
prove interop. Nothing is fetched from the network once the packages are installed.
"""

from __future__ import annotations

import copy
import json
import os
import random
import select
import shutil
import subprocess
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from microcred.jsonld.extension import PUBLISHED_BASE, W3ID_BASE, site_files
from microcred.jsonld.loader import default_loader, known_context_urls
from microcred.keys import multibase as mb
from microcred.keys.material import IssuerKey, generate_key

pytestmark = pytest.mark.interop

ROOT = Path(__file__).resolve().parents[1]
INTEROP = ROOT / "tests" / "interop"
VECTORS = INTEROP / "vectors"
EXAMPLES = ROOT / "examples"
NODE_TIMEOUT = 120
INSTALL_TIMEOUT = 900
#: The clock every verifier here is given (all test credentials are valid then).
NOW = datetime(2025, 6, 1, tzinfo=UTC)
NOW_ISO = "2025-06-01T00:00:00Z"
CREATED = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)
CREATED_ISO = "2024-03-01T12:00:00Z"


# ------------------------------------------------------------------------------------------ node side


class _Server:
    """``node serve.mjs``: the interop CLIs in one Node process for the session (one JSON line per
    call each way), so the Digital Bazaar stack loads once instead of once per call."""

    def __init__(self, node: str, env: Mapping[str, str]) -> None:
        self.proc = subprocess.Popen(
            [node, str(INTEROP / "serve.mjs")],
            cwd=INTEROP,
            env=dict(env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )

    def call(self, script: str, args: list[str]) -> tuple[int, str, str]:
        """(exit code, stdout, stderr) of ``node script args…``, run inside the server."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"script": script, "args": args}) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], NODE_TIMEOUT)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            pytest.fail(f"serve.mjs gave no answer for {script} (exit {self.proc.poll()})", pytrace=False)
        answer = json.loads(line)
        return answer["exitCode"], answer["stdout"], answer["stderr"]

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@dataclass(frozen=True)
class Node:
    """Runs the interop CLIs with an environment that serves microcred's contexts to them."""

    node: str
    env: Mapping[str, str]
    workdir: Path
    server: _Server | None = None

    def run(self, script: str, *args: str | Path, stdin: str | None = None) -> dict[str, Any]:
        """Run ``node script args…`` in tests/interop and return its JSON output (fails on exit != 0).

        Served by the session's ``serve.mjs`` unless the call reads stdin (then a process of its own).
        """
        if self.server is not None and stdin is None:
            code, stdout, stderr = self.server.call(script, [str(a) for a in args])
        else:
            proc = subprocess.run(
                [self.node, str(INTEROP / script), *map(str, args)],
                cwd=INTEROP,
                env=dict(self.env),
                input=stdin,
                capture_output=True,
                text=True,
                timeout=NODE_TIMEOUT,
                check=False,
            )
            code, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
        if code != 0:
            pytest.fail(f"{script} exited {code}\nstdout: {stdout}\nstderr: {stderr}", pytrace=False)
        try:
            return json.loads(stdout)
        except ValueError:
            pytest.fail(f"{script} printed no JSON\nstdout: {stdout}\nstderr: {stderr}", pytrace=False)

    def file(self, name: str, data: Any) -> Path:
        """Write ``data`` as JSON to a fresh file in this session's work folder."""
        path = self.workdir / name
        path.write_text(json.dumps(data, indent=2), encoding="utf-8")
        return path


def _pinned() -> dict[str, str]:
    return json.loads((INTEROP / "package.json").read_text(encoding="utf-8"))["dependencies"]


def _missing_packages() -> list[str]:
    """Pinned packages that are absent from node_modules or installed at another version."""
    missing = []
    for name, version in _pinned().items():
        manifest = INTEROP / "node_modules" / name / "package.json"
        try:
            installed = json.loads(manifest.read_text(encoding="utf-8")).get("version")
        except (OSError, ValueError):
            installed = None
        if installed != version:
            missing.append(f"{name}@{version} (installed: {installed or 'none'})")
    return missing


def _install(npm: str) -> None:
    lockfile = (INTEROP / "package-lock.json").is_file()
    cmd = [npm, "ci", "--no-audit", "--no-fund"] if lockfile else [npm, "install", "--no-audit", "--no-fund"]
    try:
        proc = subprocess.run(
            cmd, cwd=INTEROP, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.fail(
            f"interop: `{' '.join(cmd)}` in {INTEROP} took longer than {INSTALL_TIMEOUT} s", pytrace=False
        )
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-30:])
        pytest.fail(
            f"interop: `{' '.join(cmd)}` in {INTEROP} failed (exit {proc.returncode}):\n{tail}", pytrace=False
        )


@pytest.fixture(scope="session")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    """node + the pinned npm packages, installed if needed; FAILS (not skips) when that is impossible."""
    node_bin, npm_bin = shutil.which("node"), shutil.which("npm")
    if not node_bin or not npm_bin:
        pytest.fail(
            "interop tests need Node.js >= 20 and npm on PATH (node: "
            f"{node_bin or 'missing'}, npm: {npm_bin or 'missing'}); "
            "install them, e.g. `apt-get install nodejs npm`",
            pytrace=False,
        )
    version = subprocess.run(
        [node_bin, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    try:
        major = int(version.lstrip("v").split(".")[0])
    except ValueError:
        major = 0
    if major < 20:
        pytest.fail(
            f"interop tests need Node.js >= 20, found {version or 'an unknown version'}", pytrace=False
        )
    if _missing_packages():
        _install(npm_bin)
        still = _missing_packages()
        if still:
            pytest.fail(
                f"interop: npm install left these packages missing: {', '.join(still)}", pytrace=False
            )
    workdir = tmp_path_factory.mktemp("interop")
    # the W3C/1EdTech contexts every verifier caches; our extension's are NOT handed over: the Node
    # loader follows the w3id.org rules to the published site (a URL map of its files), as the web would
    documents = {
        url: default_loader.document(url)
        for url in sorted(known_context_urls())
        if not url.startswith(W3ID_BASE)
    }
    documents_file = workdir / "documents.json"
    documents_file.write_text(json.dumps(documents), encoding="utf-8")
    site_file = workdir / "site.json"
    site = {PUBLISHED_BASE + path: str(file) for path, file in site_files().items()}
    site_file.write_text(json.dumps(site), encoding="utf-8")
    env = dict(os.environ)
    env["MICROCRED_INTEROP_DOCUMENTS"] = str(documents_file)
    env["MICROCRED_INTEROP_SITE"] = str(site_file)
    env.pop("NODE_OPTIONS", None)
    server = _Server(node_bin, env)
    yield Node(node_bin, env, workdir, server)
    server.close()


# ------------------------------------------------------------------------------------------ keys


def _b64(n: int, size: int | None = None) -> str:
    return mb.b64url_encode(n.to_bytes(size or max(1, (n.bit_length() + 7) // 8), "big"))


def private_jwk(key: IssuerKey) -> dict[str, Any]:
    """The key's private JWK (public members from microcred, private ones from the key object)."""
    jwk = key.public_jwk()
    private = key.private_key
    if isinstance(private, ed25519.Ed25519PrivateKey):
        raw = private.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        jwk["d"] = mb.b64url_encode(raw)
    elif isinstance(private, ec.EllipticCurvePrivateKey):
        jwk["d"] = _b64(private.private_numbers().private_value, (private.curve.key_size + 7) // 8)
    elif isinstance(private, rsa.RSAPrivateKey):
        nums = private.private_numbers()
        jwk.update(
            d=_b64(nums.d),
            p=_b64(nums.p),
            q=_b64(nums.q),
            dp=_b64(nums.dmp1),
            dq=_b64(nums.dmq1),
            qi=_b64(nums.iqmp),
        )
    else:  # pragma: no cover - generate_key makes only these
        raise AssertionError(f"no private key in {key!r}")
    return jwk


def node_key(key: IssuerKey) -> dict[str, Any]:
    """The key file sign-di.mjs reads: the private JWK with the verification method id and controller."""
    return {**private_jwk(key), "id": key.key_id, "controller": key.controller}


@pytest.fixture(scope="module")
def ed_key() -> IssuerKey:
    """An Ed25519 issuer key named by its did:key."""
    return generate_key("Ed25519")


# ------------------------------------------------------------------------------------------ credentials


def _vector(*parts: str) -> dict[str, Any]:
    return json.loads(VECTORS.joinpath(*parts).read_text(encoding="utf-8"))


def _with_issuer(credential: dict[str, Any], issuer: str) -> dict[str, Any]:
    out = copy.deepcopy(credential)
    out.pop("proof", None)
    if isinstance(out.get("issuer"), dict):
        out["issuer"]["id"] = issuer
    else:
        out["issuer"] = issuer
    return out


def _status_entry(list_url: str, index: int, purpose: str = "revocation") -> dict[str, Any]:
    from microcred.status.bitstring import status_entry

    return status_entry(list_url, index, purpose)  # type: ignore[arg-type]


def _example_definitions() -> list[Path]:
    """The example achievement definitions (``examples/*.toml`` and ``*.json``)."""
    return sorted([*EXAMPLES.glob("*.toml"), *EXAMPLES.glob("*.json")])


def _microcred_example(path: Path, key: IssuerKey) -> dict[str, Any]:
    from microcred.credential.builder import build_credential
    from microcred.model.definition import load_definition

    definition = load_definition(path)
    issuer = replace(definition.issuer, id=key.controller)
    return build_credential(
        definition,
        "did:example:ebfeb1f712ebc6f1c276e12ec21",
        issuer=issuer,
        valid_from=CREATED,
        awarded_date=CREATED,
        credential_id="urn:uuid:6a4a8f7e-2a47-4e4b-9a59-3c0a5d1f0b10",
    )


@dataclass(frozen=True)
class Case:
    """An unsigned credential to sign on one side and verify on the other.

    ``full``: verified as a credential (DB ``verifyCredential``; microcred ``verify()``); otherwise the
    proof only (DB ``jsigs.verify``; microcred ``verify_proof``): the W3C vector's issuer is not the key's
    controller, and the full OB example carries endorsements signed by keys nobody can resolve offline.
    """

    id: str
    make: Callable[[IssuerKey], dict[str, Any]]
    full: bool = True


CASES = [
    Case("w3c-vc-di-eddsa-unsigned", lambda k: _vector("vc-di-eddsa", "unsigned.json"), full=False),
    Case(
        "1edtech-simple_v1-vcdm1.1",
        lambda k: _with_issuer(_vector("ob30", "simple_v1.json"), k.controller),
    ),
    Case(
        "1edtech-simple-did-key-method",
        lambda k: _with_issuer(_vector("ob30", "simple-did-key-method.json"), k.controller),
    ),
    Case(
        "ob-spec-basicOpenBadgeCredential",
        lambda k: _with_issuer(_vector("ob30", "basicOpenBadgeCredential.json"), k.controller),
    ),
    Case(
        "ob-spec-fullOpenBadge",
        lambda k: _with_issuer(_vector("ob30", "fullOpenBadge.json"), k.controller),
        full=False,
    ),
    Case(
        "with-bitstring-status-entry",
        lambda k: {
            **_with_issuer(_vector("ob30", "simple-did-key-method.json"), k.controller),
            "credentialStatus": _status_entry("https://example.edu/status/1", 94567),
        },
    ),
    *[
        Case(f"microcred-example-{p.name}", lambda k, p=p: _microcred_example(p, k))
        for p in _example_definitions()
    ],
]


BY_ID = {c.id: c for c in CASES}
#: The plain OB 3.0 credential (VCDM 2.0) most single-purpose tests use.
PLAIN = BY_ID["1edtech-simple-did-key-method"]


def test_microcred_example_definitions_exist() -> None:
    """The interop cases include every example definition; there must be at least one."""
    assert _example_definitions(), (
        f"no example definitions in {EXAMPLES} to build a microcred credential from"
    )


# ------------------------------------------------------------------------------------------ microcred side


def _resolve(vm_id: str) -> Any:
    from microcred.fetch import offline_fetch
    from microcred.keys.dids import resolve_verification_method

    return resolve_verification_method(vm_id, fetch=offline_fetch())


def mc_sign(document: Mapping[str, Any], key: IssuerKey) -> dict[str, Any]:
    from microcred.suites import sign_proof

    return sign_proof(dict(document), key, cryptosuite="eddsa-rdfc-2022", created=CREATED)


def mc_verify_proof(document: Mapping[str, Any]) -> Any:
    from microcred.suites import verify_proof

    return verify_proof(dict(document), resolve=_resolve)


def mc_verify(source: Mapping[str, Any] | str, resources: Mapping[str, Any] | None = None) -> Any:
    """microcred's verify() at :data:`NOW`; ``resources`` (URL -> JSON) answer its fetches."""
    from microcred.fetch import offline_fetch
    from microcred.verifying.verify import verify

    fetch_resources = {url: json.dumps(doc).encode() for url, doc in (resources or {}).items()}
    return verify(
        source if isinstance(source, str) else dict(source), fetch=offline_fetch(fetch_resources), now=NOW
    )


def _report_text(report: Any) -> str:
    return report.to_text() if hasattr(report, "to_text") else repr(report)


def _tamper(document: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(document)
    out["name"] = str(out.get("name", "")) + " (changed after signing)"
    return out


# ------------------------------------------------------------------------------------------ harness


def test_node_harness_verifies_w3c_vector(node: Node) -> None:
    """The offline loader + did:key resolver are enough for DB to verify the W3C eddsa-rdfc-2022 vector."""
    result = node.run("verify-di.mjs", "--proof-only", VECTORS / "vc-di-eddsa" / "signedDataInt.json")
    assert result["verified"] is True, result["error"]
    assert "https://www.w3.org/ns/credentials/examples/v2" in result["documentsLoaded"]


def test_node_harness_reproduces_w3c_proof_value(node: Node) -> None:
    """DB signs the W3C unsigned vector with its key to the vector's proofValue (the harness signs right)."""
    expected = _vector("vc-di-eddsa", "signedDataInt.json")["proof"]
    signed = node.run(
        "sign-di.mjs",
        "--proof-only",
        "--created",
        expected["created"],
        VECTORS / "vc-di-eddsa" / "unsigned.json",
        VECTORS / "vc-di-eddsa" / "keyPair.json",
    )
    assert signed["proof"]["proofValue"] == expected["proofValue"]
    assert signed["proof"]["verificationMethod"] == expected["verificationMethod"]


def test_db_contexts_equal_packaged_contexts(node: Node) -> None:
    """Every context the DB packages ship that microcred also packages is the same JSON document."""
    theirs = node.run("contexts.mjs")["contexts"]
    shared = sorted(set(theirs) & known_context_urls())
    for url in (
        "https://www.w3.org/2018/credentials/v1",
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/status/v1",
    ):
        assert url in shared, f"{url} should be packaged on both sides"
    different = [url for url in shared if theirs[url] != default_loader.document(url)]
    assert not different, f"packaged contexts differ from Digital Bazaar's: {different}"


# ------------------------------------------------------------------------------------------ Data Integrity


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_microcred_signs_db_verifies(node: Node, ed_key: IssuerKey, case: Case) -> None:
    signed = mc_sign(case.make(ed_key), ed_key)
    args = [node.file(f"mc-signed-{case.id}.json", signed), "--now", NOW_ISO]
    result = node.run("verify-di.mjs", *args, *([] if case.full else ["--proof-only"]))
    assert result["verified"] is True, result["error"]
    # our extension context reached DB only through the w3id.org rules and the published site
    ours = [c for c in signed["@context"] if isinstance(c, str) and c.startswith(W3ID_BASE)]
    assert all(c in result["documentsLoaded"] for c in ours)


def test_db_follows_the_w3id_redirect_to_the_published_site_only(node: Node, ed_key: IssuerKey) -> None:
    """Without the site's files the extension context does not load in DB: nothing was handed over."""
    case = next(c for c in CASES if c.id.startswith("microcred-example-"))
    signed = mc_sign(case.make(ed_key), ed_key)
    assert any(c.startswith(W3ID_BASE) for c in signed["@context"] if isinstance(c, str))
    empty = node.workdir / "empty-site.json"
    empty.write_text("{}", encoding="utf-8")
    env = {**node.env, "MICROCRED_INTEROP_SITE": str(empty)}
    proc = subprocess.run(
        [
            node.node,
            str(INTEROP / "verify-di.mjs"),
            str(node.file("mc-no-site.json", signed)),
            "--now",
            NOW_ISO,
        ],
        cwd=INTEROP,
        env=env,
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT,
        check=False,
    )
    out = json.loads(proc.stdout)
    assert out["verified"] is False and "w3id.org/microcred/v1/context.jsonld" in out["error"]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_db_signs_microcred_verifies(node: Node, ed_key: IssuerKey, case: Case) -> None:
    unsigned = node.file(f"unsigned-{case.id}.json", case.make(ed_key))
    keyfile = node.file("ed25519-key.json", node_key(ed_key))
    signed = node.run(
        "sign-di.mjs", unsigned, keyfile, "--created", CREATED_ISO, *([] if case.full else ["--proof-only"])
    )
    assert signed["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    proof = mc_verify_proof(signed)
    assert proof.verified, proof.reason
    if case.full:
        report = mc_verify(signed)
        failed = [c for c in report.checks if c.status == "failed"]
        if "credentialStatus" in signed:  # the list is not published here: only that check may fail
            failed = [c for c in failed if c.id != "status"]
        assert not failed, _report_text(report)
        assert report.check("proof").status == "passed"
        assert report.check("issuer_key").status == "passed"


@pytest.fixture(scope="module")
def p256_key() -> IssuerKey:
    """A P-256 issuer key named by its did:key (zDna…)."""
    return generate_key("P-256")


FULL_CASES = [c for c in CASES if c.full]


@pytest.mark.parametrize("case", FULL_CASES, ids=[c.id for c in FULL_CASES])
def test_microcred_ecdsa_rdfc_2019_verifies_in_db(node: Node, p256_key: IssuerKey, case: Case) -> None:
    from microcred.suites import sign_proof

    signed = sign_proof(case.make(p256_key), p256_key, cryptosuite="ecdsa-rdfc-2019", created=CREATED)
    result = node.run("verify-di.mjs", node.file(f"mc-ecdsa-{case.id}.json", signed), "--now", NOW_ISO)
    assert result["verified"] is True, result["error"]
    forged = node.run(
        "verify-di.mjs", node.file(f"mc-ecdsa-t-{case.id}.json", _tamper(signed)), "--now", NOW_ISO
    )
    assert forged["verified"] is False


@pytest.mark.parametrize("case", FULL_CASES, ids=[c.id for c in FULL_CASES])
def test_db_ecdsa_rdfc_2019_verifies_in_microcred(node: Node, p256_key: IssuerKey, case: Case) -> None:
    unsigned = node.file(f"unsigned-ecdsa-{case.id}.json", case.make(p256_key))
    keyfile = node.file("p256-key.json", node_key(p256_key))
    signed = node.run("sign-di.mjs", unsigned, keyfile, "--created", CREATED_ISO)
    assert signed["proof"]["cryptosuite"] == "ecdsa-rdfc-2019"
    report = mc_verify(signed)
    failed = [c for c in report.checks if c.status == "failed" and c.id != "status"]
    assert not failed, _report_text(report)
    assert report.check("proof").status == "passed" and report.check("issuer_key").status == "passed"
    assert not mc_verify(_tamper(signed)).verified


@pytest.mark.parametrize("case", FULL_CASES, ids=[c.id for c in FULL_CASES])
def test_eddsa_jcs_2022_both_ways(node: Node, ed_key: IssuerKey, case: Case) -> None:
    from microcred.suites import sign_proof

    ours = sign_proof(case.make(ed_key), ed_key, cryptosuite="eddsa-jcs-2022", created=CREATED)
    result = node.run("verify-di.mjs", node.file(f"mc-jcs-{case.id}.json", ours), "--now", NOW_ISO)
    assert result["verified"] is True, result["error"]
    unsigned = node.file(f"unsigned-jcs-{case.id}.json", case.make(ed_key))
    keyfile = node.file("ed25519-key.json", node_key(ed_key))
    theirs = node.run("sign-di.mjs", unsigned, keyfile, "--created", CREATED_ISO, "--jcs")
    assert theirs["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    report = mc_verify(theirs)
    failed = [c for c in report.checks if c.status == "failed" and c.id != "status"]
    assert not failed, _report_text(report)
    assert not mc_verify(_tamper(theirs)).verified


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_same_key_same_proof_value(node: Node, ed_key: IssuerKey, case: Case) -> None:
    """Ed25519 and RDFC-1.0 are deterministic: the same document, key and ``created`` sign identically."""
    unsigned = case.make(ed_key)
    ours = mc_sign(unsigned, ed_key)
    theirs = node.run(
        "sign-di.mjs",
        node.file(f"same-{case.id}.json", unsigned),
        node.file("ed25519-key.json", node_key(ed_key)),
        "--created",
        CREATED_ISO,
        *([] if case.full else ["--proof-only"]),
    )
    assert ours["@context"] == theirs["@context"]
    assert ours["proof"] == theirs["proof"]


def test_tampered_microcred_credential_rejected_by_db(node: Node, ed_key: IssuerKey) -> None:
    signed = mc_sign(PLAIN.make(ed_key), ed_key)
    result = node.run("verify-di.mjs", node.file("mc-tampered.json", _tamper(signed)), "--now", NOW_ISO)
    assert result["verified"] is False
    assert "signature" in (result["error"] or "").lower()


def test_tampered_db_credential_rejected_by_microcred(node: Node, ed_key: IssuerKey) -> None:
    signed = node.run(
        "sign-di.mjs",
        node.file("db-unsigned.json", PLAIN.make(ed_key)),
        node.file("ed25519-key.json", node_key(ed_key)),
        "--created",
        CREATED_ISO,
    )
    assert mc_verify_proof(signed).verified
    result = mc_verify_proof(_tamper(signed))
    assert not result.verified
    report = mc_verify(_tamper(signed))
    assert report.check("proof").status == "failed"


def test_other_issuer_rejected_by_both(node: Node, ed_key: IssuerKey) -> None:
    """A credential whose issuer is not the signing key's controller fails in DB and in microcred."""
    other = generate_key("Ed25519")
    unsigned = PLAIN.make(other)  # issuer: the other key's did:key
    theirs = node.run(
        "sign-di.mjs",
        node.file("wrong-issuer.json", unsigned),
        node.file("ed25519-key.json", node_key(ed_key)),
        "--created",
        CREATED_ISO,
        "--proof-only",
    )
    db = node.run("verify-di.mjs", node.file("wrong-issuer-signed.json", theirs), "--now", NOW_ISO)
    assert db["verified"] is False
    assert "issuer" in (db["error"] or "").lower()
    report = mc_verify(theirs)
    assert not report.verified
    assert report.check("issuer_key").status == "failed", _report_text(report)


def test_undefined_term_rejected_by_both(node: Node, ed_key: IssuerKey) -> None:
    """A term no context defines, added after signing: DB's safe mode and microcred both refuse it."""
    signed = mc_sign(PLAIN.make(ed_key), ed_key)
    changed = copy.deepcopy(signed)
    changed["credentialSubject"]["notInAnyContext"] = "sneaked in"
    db = node.run("verify-di.mjs", node.file("undefined-term.json", changed), "--now", NOW_ISO)
    assert db["verified"] is False
    assert "safe mode" in (db["error"] or "").lower(), db["error"]
    report = mc_verify(changed)
    assert report.check("context").status == "failed", _report_text(report)
    assert report.check("proof").status == "failed", _report_text(report)


# ------------------------------------------------------------------------------------------ status lists


def _decoded(node: Node, encoded: str) -> dict[str, Any]:
    return node.run("statuslist.mjs", "decode", "-", stdin=encoded)


STATUS_CASES = {
    "empty-131072": (131_072, []),
    "edges-131072": (131_072, [0, 1, 7, 8, 9, 65_535, 65_536, 131_070, 131_071]),
    "random-300-of-131072": (131_072, sorted(random.Random(20240301).sample(range(131_072), 300))),
    "random-1000-of-262144": (262_144, sorted(random.Random(20240302).sample(range(262_144), 1000))),
    "every-bit-of-131072": (131_072, list(range(131_072))),
}


@pytest.mark.parametrize("name", list(STATUS_CASES))
def test_microcred_list_decodes_in_db(node: Node, name: str) -> None:
    from microcred.status.bitstring import bits_from_indexes, encode_list

    size, indexes = STATUS_CASES[name]
    encoded = encode_list(bits_from_indexes(indexes, size))
    result = _decoded(node, encoded)
    assert result["length"] == size
    assert result["set"] == indexes


@pytest.mark.parametrize("name", list(STATUS_CASES))
def test_db_list_decodes_in_microcred(node: Node, name: str) -> None:
    from microcred.status.bitstring import decode_list, set_indexes

    size, indexes = STATUS_CASES[name]
    encoded = node.run("statuslist.mjs", "encode", str(size), "-", stdin=",".join(map(str, indexes)))
    encoded = encoded["encodedList"]
    bits = decode_list(encoded)
    assert len(bits) * 8 == size
    assert set_indexes(bits) == indexes


_LISTS = _vector("vc-bitstring-status-list", "DERIVED-decoded-lists.json")["lists"]


@pytest.mark.parametrize("name", list(_LISTS))
def test_vector_list_decodes_alike(node: Node, name: str) -> None:
    """The W3C and Digital Bazaar example lists decode to the same bits in both, as their notes state."""
    from microcred.status.bitstring import decode_list, set_indexes

    vector = _LISTS[name]
    encoded = vector["encodedList"]
    # the bitstring package's own test value has no multibase prefix (it is not an encodedList)
    prefixed = encoded if encoded.startswith("u") else "u" + encoded
    theirs = _decoded(node, prefixed)
    bits = decode_list(prefixed)
    assert theirs["length"] == len(bits) * 8 == vector["bitLength"]
    assert theirs["set"] == set_indexes(bits) == vector["setIndexes_MSBfirst_specOrder"]


def _status_list(key: IssuerKey, url: str, purpose: str, indexes: list[int]) -> dict[str, Any]:
    from microcred.status.bitstring import MIN_LIST_BITS, bits_from_indexes
    from microcred.status.publishing import sign_status_list_credential

    return sign_status_list_credential(
        url,
        purpose,
        bits_from_indexes(indexes, MIN_LIST_BITS),  # type: ignore[arg-type]
        issuer=key.controller,
        sign=lambda d: mc_sign(d, key),
        valid_from=CREATED,
    )


@pytest.mark.parametrize("revoked", [True, False], ids=["revoked", "not-revoked"])
def test_microcred_status_list_checked_by_db(node: Node, ed_key: IssuerKey, revoked: bool) -> None:
    """DB's checkStatus verifies microcred's signed list credential and reads the credential's bit."""
    url = "https://example.edu/status/interop-1"
    index = 94_567
    listed = [3, index, 100_000] if revoked else [3, 100_000]
    status_list = _status_list(ed_key, url, "revocation", listed)
    credential = mc_sign({**PLAIN.make(ed_key), "credentialStatus": _status_entry(url, index)}, ed_key)
    result = node.run(
        "verify-di.mjs",
        node.file("with-status.json", credential),
        "--now",
        NOW_ISO,
        "--status-list",
        node.file("status-list.json", status_list),
    )
    assert result["verified"] is True, result["error"]
    assert result["statusChecked"] is True
    assert result["status"] == [
        {"statusPurpose": "revocation", "statusListIndex": str(index), "status": revoked}
    ]
    report = mc_verify(credential, resources={url: status_list})
    assert report.check("status").status == ("failed" if revoked else "passed"), _report_text(report)
    assert report.check("status").details.get("outcome") == ("revoked" if revoked else "valid")


def test_db_status_list_checked_by_microcred(node: Node, ed_key: IssuerKey) -> None:
    """A list credential DB signs (list bits encoded by DB) revokes a DB-signed credential in microcred."""
    url = "https://example.edu/status/interop-2"
    index = 23_452
    encoded = node.run("statuslist.mjs", "encode", "131072", f"0,{index},131071")["encodedList"]
    unsigned_list = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": ed_key.controller,
        "validFrom": CREATED_ISO,
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "suspension",
            "encodedList": encoded,
        },
    }
    keyfile = node.file("ed25519-key.json", node_key(ed_key))
    status_list = node.run("sign-di.mjs", node.file("db-list.json", unsigned_list), keyfile)
    unsigned = {**PLAIN.make(ed_key), "credentialStatus": _status_entry(url, index, "suspension")}
    credential = node.run("sign-di.mjs", node.file("db-with-status.json", unsigned), keyfile)
    db = node.run(
        "verify-di.mjs",
        node.file("db-with-status-signed.json", credential),
        "--now",
        NOW_ISO,
        "--status-list",
        node.file("db-list-signed.json", status_list),
    )
    assert db["status"] == [{"statusPurpose": "suspension", "statusListIndex": str(index), "status": True}]
    report = mc_verify(credential, resources={url: status_list})
    assert report.check("status").status == "failed", _report_text(report)
    assert report.check("status").details.get("outcome") == "suspended"


# ------------------------------------------------------------------------------------------ VC-JWT


JWT_ALGS = {"EdDSA": "Ed25519", "ES256": "P-256", "RS256": "RSA"}


@pytest.fixture(scope="module")
def jwt_keys() -> dict[str, IssuerKey]:
    """One issuer key per JWS algorithm; RSA keys have no did:key, so that one is named by did:web."""
    return {
        alg: generate_key(kind)
        if kind != "RSA"
        else generate_key("RSA", did_web="did:web:issuer.example.edu")
        for alg, kind in JWT_ALGS.items()
    }


def _jwt_resources(key: IssuerKey) -> dict[str, Any]:
    """What microcred's fetch must answer to resolve the key: the did:web DID document, if any."""
    if not key.controller.startswith("did:web:"):
        return {}
    from microcred.keys.dids import did_web_document, did_web_url

    return {did_web_url(key.controller): did_web_document([key.public()])}


def _jwt_credential(key: IssuerKey) -> dict[str, Any]:
    credential = BY_ID["ob-spec-basicOpenBadgeCredential"].make(key)
    credential["validUntil"] = "2030-01-01T00:00:00Z"
    return credential


def _mc_verify_jwt(token: str, key: IssuerKey) -> Any:
    from microcred.fetch import offline_fetch
    from microcred.keys.dids import resolve_verification_method
    from microcred.suites.jwt import verify_jwt

    resources = {url: json.dumps(doc).encode() for url, doc in _jwt_resources(key).items()}
    fetch = offline_fetch(resources)
    return verify_jwt(token, resolve=lambda vm: resolve_verification_method(vm, fetch=fetch))


def _flip_payload(token: str) -> str:
    """The token with one payload claim changed and the signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(mb.b64url_decode(payload))
    claims["name"] = str(claims.get("name", "")) + " (changed)"
    return ".".join([header, mb.b64url_encode(json.dumps(claims).encode()), signature])


def _flip_vc_claim(token: str) -> str:
    """The token with the credential's name under ``vc`` changed and the signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(mb.b64url_decode(payload))
    claims["vc"]["name"] = str(claims["vc"].get("name", "")) + " (changed)"
    return ".".join([header, mb.b64url_encode(json.dumps(claims).encode()), signature])


@pytest.mark.parametrize("alg", list(JWT_ALGS))
def test_microcred_jwt_verifies_in_jose(node: Node, jwt_keys: dict[str, IssuerKey], alg: str) -> None:
    from microcred.suites.jwt import sign_jwt

    key = jwt_keys[alg]
    credential = _jwt_credential(key)
    token = sign_jwt(credential, key)
    result = node.run(
        "jose-verify.mjs", token, node.file(f"{alg}-public.json", key.public_jwk()), "--now", NOW_ISO
    )
    assert result["verified"] is True, result["error"]
    assert result["header"]["alg"] == alg
    assert result["header"]["kid"] == key.key_id
    payload = result["payload"]
    assert payload["iss"] == key.controller
    assert payload["jti"] == credential["id"]
    assert payload["sub"] == credential["credentialSubject"]["id"]
    assert payload["nbf"] == int(datetime.fromisoformat(credential["validFrom"]).timestamp())
    assert payload["exp"] == int(datetime.fromisoformat(credential["validUntil"]).timestamp())
    tampered = node.run(
        "jose-verify.mjs",
        _flip_payload(token),
        node.file(f"{alg}-public.json", key.public_jwk()),
        "--now",
        NOW_ISO,
    )
    assert tampered["verified"] is False
    assert tampered["code"] == "ERR_JWS_SIGNATURE_VERIFICATION_FAILED"


@pytest.mark.parametrize("alg", list(JWT_ALGS))
def test_jose_jwt_verifies_in_microcred(node: Node, jwt_keys: dict[str, IssuerKey], alg: str) -> None:
    key = jwt_keys[alg]
    credential = _jwt_credential(key)
    token = node.run(
        "jose-sign.mjs",
        node.file(f"{alg}-payload.json", credential),
        node.file(f"{alg}-private.json", private_jwk(key)),
        alg,
        "--ob3-claims",
    )["token"]
    result = _mc_verify_jwt(token, key)
    assert result.verified, result.reason
    got = {k: v for k, v in result.credential.items() if k not in ("iss", "jti", "sub", "nbf", "exp")}
    assert got == credential
    report = mc_verify(token, _jwt_resources(key))
    assert report.verified, _report_text(report)
    assert report.check("proof").details.get("alg") == alg
    assert not _mc_verify_jwt(_flip_payload(token), key).verified


@pytest.mark.parametrize("alg", list(JWT_ALGS))
def test_jose_vcdm11_jwt_verifies_in_microcred(node: Node, jwt_keys: dict[str, IssuerKey], alg: str) -> None:
    """The VCDM 1.1 JWT shape (credential under a ``vc`` claim), signed by jose, is read by microcred."""
    key = jwt_keys[alg]
    credential = BY_ID["1edtech-simple_v1-vcdm1.1"].make(key)
    token = node.run(
        "jose-sign.mjs",
        node.file(f"{alg}-payload-v1.json", credential),
        node.file(f"{alg}-private.json", private_jwk(key)),
        alg,
        "--vc-claim",
    )["token"]
    result = _mc_verify_jwt(token, key)
    assert result.verified, result.reason
    assert {k: result.credential.get(k) for k in credential} == credential
    assert not _mc_verify_jwt(_flip_vc_claim(token), key).verified


@pytest.mark.parametrize("alg", list(JWT_ALGS))
def test_jose_rejects_microcred_jwt_under_other_key(
    node: Node, jwt_keys: dict[str, IssuerKey], alg: str
) -> None:
    """jose refuses a microcred token checked against another issuer's key of the same type."""
    from microcred.suites.jwt import sign_jwt

    key = jwt_keys[alg]
    other = (
        generate_key(JWT_ALGS[alg])
        if alg != "RS256"
        else generate_key("RSA", did_web="did:web:other.example")
    )
    token = sign_jwt(_jwt_credential(key), key)
    result = node.run(
        "jose-verify.mjs", token, node.file(f"{alg}-other.json", other.public_jwk()), "--now", NOW_ISO
    )
    assert result["verified"] is False


# ------------------------------------------------------------------------------------------ presentations

VP_CHALLENGE, VP_DOMAIN = "c0ffee-4c1b-interop", "jobs.example"


def test_our_presentation_verifies_in_db(node: Node, ed_key: IssuerKey) -> None:
    from microcred import present

    holder = generate_key("Ed25519")
    case = next(c for c in CASES if c.id.startswith("microcred-example-"))
    credential = mc_sign(case.make(ed_key), ed_key)
    vp = present([credential], holder, domain=VP_DOMAIN, challenge=VP_CHALLENGE, now=CREATED)
    args = ["--challenge", VP_CHALLENGE, "--domain", VP_DOMAIN, "--now", NOW_ISO]
    result = node.run("present-di.mjs", "verify", node.file("mc-vp.json", vp), *args)
    assert result["verified"] is True, result["error"]
    assert result["credentialResults"] == [True]
    stale = node.run(
        "present-di.mjs", "verify", node.file("mc-vp.json", vp), "--challenge", "stale", "--now", NOW_ISO
    )
    assert stale["verified"] is False


def test_db_presentation_verifies_in_microcred(node: Node, ed_key: IssuerKey) -> None:
    from microcred import verify_presentation
    from microcred.fetch import offline_fetch

    holder = generate_key("Ed25519")
    case = next(c for c in CASES if c.id.startswith("microcred-example-"))
    credential = mc_sign(case.make(ed_key), ed_key)
    unsigned = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": holder.controller,
        "verifiableCredential": [credential],
    }
    keyfile = node.file("holder-key.json", node_key(holder))
    args = ["--challenge", VP_CHALLENGE, "--domain", VP_DOMAIN, "--created", CREATED_ISO]
    signed = node.run("present-di.mjs", "sign", node.file("db-vp.json", unsigned), keyfile, *args)
    assert signed["proof"]["proofPurpose"] == "authentication"
    report = verify_presentation(
        signed, domain=VP_DOMAIN, challenge=VP_CHALLENGE, fetch=offline_fetch({}), now=NOW
    )
    assert report.check("proof").status == "passed", report.to_text()
    assert report.check("holder").status == "passed", report.to_text()
    assert report.check("credentials").status == "passed", report.to_text()
    assert not verify_presentation(signed, challenge="stale", fetch=offline_fetch({}), now=NOW).verified
