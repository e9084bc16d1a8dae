"""Issue 10, classes 1 and 3: hostile inputs get microcred's own errors or a failing report, never
another exception, and every signed instant (a VC-JWT's ``nbf``/``exp``, a proof's ``expires`` and
``created``) is enforced. Generated cases (hypothesis, derandomized and bounded) sit beside named ones."""

from __future__ import annotations

import copy
import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microcred.baking.bake import bake, unbake
from microcred.cli import main as cli
from microcred.credential.inspection import credential_elements, elements_text
from microcred.credential.reader import read_credential
from microcred.errors import BakingError, InputError, JsonLdError, MicrocredError
from microcred.fetch import offline_fetch
from microcred.issuing import issue, sign
from microcred.keys import multibase as mb
from microcred.keys.material import IssuerKey, generate_key
from microcred.model.definition import load_definition
from microcred.suites.data_integrity import proof_inputs
from microcred.suites.jwt import read_jwt
from microcred.suites.signatures import sign_bytes
from microcred.verifying.checks import check_recipient
from microcred.verifying.verify import verify

INTERNAL_ERROR = "input.internal_error"  # microcred.verifying.verify.INTERNAL_ERROR (absent on main)

ROOT = Path(__file__).resolve().parents[1]
ISSUED = datetime(2026, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 3, 1, tzinfo=UTC)
#: Generated suites stay small and deterministic so CI runs them every time in a few seconds.
BOUNDED = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
DEEP = "[" * 50_000 + "]" * 50_000


@pytest.fixture(scope="module")
def key() -> IssuerKey:
    return generate_key("Ed25519")


@pytest.fixture(scope="module")
def signed(key: IssuerKey) -> dict[str, Any]:
    definition = load_definition(ROOT / "examples" / "workplace-safety-rpl.toml")
    return issue(definition, "worker@example.org", key, now=ISSUED).credential


@pytest.fixture(scope="module")
def token(key: IssuerKey) -> str:
    definition = load_definition(ROOT / "examples" / "workplace-safety-rpl.toml")
    jwt = issue(definition, "worker@example.org", key, format="jwt", now=ISSUED).jwt
    assert jwt is not None
    return jwt


def _b64(value: Any) -> str:
    return mb.b64url_encode(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def _jwt(key: IssuerKey, payload: dict[str, Any], *, signed: bool = True) -> str:
    """A compact JWS over ``payload`` exactly as given (numbers such as NaN included)."""
    head = _b64({"alg": "EdDSA", "kid": key.key_id, "typ": "JWT"})
    signing_input = f"{head}.{_b64(payload)}"
    if not signed:
        return signing_input + "."
    assert key.private_key is not None
    signature = sign_bytes(key.private_key, key.algorithm, signing_input.encode("ascii"))
    return f"{signing_input}.{mb.b64url_encode(signature)}"


def _only_own_errors(call: Any) -> Any:
    """Run ``call``; a MicrocredError is an answer, any other exception fails the test (it propagates),
    and so does verify()'s last-resort error for the unforeseen (it means a bug was caught, not handled)."""
    try:
        return call()
    except MicrocredError as exc:
        assert exc.code != INTERNAL_ERROR, exc.__cause__
        return exc


# ------------------------------------------------------------------ class 1: VC-JWT NumericDate claims

BAD_DATES: list[Any] = [
    "1700000000",
    {},
    [],
    None,
    True,
    math.nan,
    math.inf,
    -math.inf,
    1e300,
    10**30,
    -(10**30),
    2**63,
]


@pytest.mark.parametrize("value", BAD_DATES, ids=repr)
@pytest.mark.parametrize("claim", ["nbf", "exp"])
@pytest.mark.parametrize("shape", ["vc", "flat"])
@pytest.mark.parametrize("is_signed", [True, False], ids=["signed", "unsigned"])
def test_jwt_date_claims_that_are_no_numericdate_give_a_failing_report(
    key: IssuerKey, token: str, value: Any, claim: str, shape: str, is_signed: bool
) -> None:
    payload = dict(read_jwt(token).payload)
    if shape == "vc":
        credential = {k: v for k, v in payload.items() if k not in ("iss", "sub", "nbf", "exp", "iat", "jti")}
        credential.pop("validFrom", None)
        payload = {"vc": credential, "iss": payload["iss"], "nbf": payload["nbf"]}
    payload[claim] = value
    report = verify(_jwt(key, payload, signed=is_signed), fetch=offline_fetch(), now=NOW)
    assert not report.verified
    proof = report.check("proof")
    assert proof is not None and proof.status == "failed"
    if is_signed:
        assert f"{claim} is not a NumericDate" in proof.message
    validity = report.check("validity")
    assert validity is not None and validity.status == "failed"
    json.dumps(report.to_dict(), default=str)  # the report itself is printable


@BOUNDED
@given(
    claims=st.dictionaries(
        st.sampled_from(["nbf", "exp", "iat", "iss", "sub", "jti", "vc"]),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
            lambda inner: (
                st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
            ),
            max_leaves=6,
        ),
        max_size=4,
    )
)
def test_generated_jwt_claims_never_escape(key: IssuerKey, token: str, claims: dict[str, Any]) -> None:
    payload = {**read_jwt(token).payload, **claims}
    outcome = _only_own_errors(lambda: verify(_jwt(key, payload), fetch=offline_fetch(), now=NOW))
    if not isinstance(outcome, MicrocredError):
        json.dumps(outcome.to_dict(), default=str)
        _ = outcome.to_text()


# ------------------------------------------------------------------ class 1: nesting before recursion


def test_the_json_helper_refuses_depth_without_recursing() -> None:
    from microcred import _json

    assert _json.too_deep(DEEP)
    assert not _json.too_deep('{"a": "' + "[" * 5000 + '"}')  # brackets inside strings do not count
    assert _json.loads('{"a": [[["x"]]]}') == {"a": [[["x"]]]}
    assert _json.loads("[" * 256 + "]" * 256) is not None
    with pytest.raises(_json.JsonDepthError):
        _json.loads("[" * 257 + "]" * 257)
    with pytest.raises(ValueError):  # every caller's "not JSON" path catches it
        _json.loads(DEEP)


@pytest.mark.parametrize(
    "text",
    ['{"a":' + DEEP + "}", '{"credentialSubject":{"x":' + DEEP + "}}"],
    ids=["object-member", "subject"],
)
def test_deep_json_credential_is_bad_input(text: str) -> None:
    for source in (text.encode(), text):
        with pytest.raises(InputError, match="nested deeper"):
            verify(source, fetch=offline_fetch(), now=NOW)
        with pytest.raises(InputError, match="nested deeper"):
            read_credential(source)


def test_deep_json_in_a_jwt_payload_is_bad_input(key: IssuerKey) -> None:
    head = _b64({"alg": "EdDSA", "kid": key.key_id})
    body = mb.b64url_encode(('{"a":' + DEEP + "}").encode())
    token = f"{head}.{body}."
    with pytest.raises(InputError, match="not base64url-encoded JSON"):
        verify(token, fetch=offline_fetch(), now=NOW)


def test_deep_json_baked_into_an_image_is_bad_input(signed: dict[str, Any]) -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'
    baked = bake(svg, signed)
    text = json.dumps(signed, separators=(",", ":"))
    assert unbake(baked).credential == signed
    hostile = baked.decode("utf-8")
    start = hostile.index('"@context"') - 1
    end = hostile.index(text[-20:], start) + 20
    hostile = hostile[:start] + '{"a":' + DEEP + "}" + hostile[end:]
    with pytest.raises(BakingError, match="nested deeper"):
        unbake(hostile.encode())
    with pytest.raises(InputError, match="nested deeper"):
        verify(hostile.encode(), fetch=offline_fetch(), now=NOW)


def test_deep_did_document_fails_the_proof(key: IssuerKey, token: str) -> None:
    payload = dict(read_jwt(token).payload)
    head = _b64({"alg": "EdDSA", "kid": "did:web:example.edu#key-1"})
    hostile = f"{head}.{_b64(payload)}.AAAA"
    fetch = offline_fetch({"https://example.edu/.well-known/did.json": DEEP.encode()})
    report = verify(hostile, fetch=fetch, now=NOW)
    proof = report.check("proof")
    assert proof is not None and proof.status == "failed" and "nested deeper" in proof.message


def test_deep_status_list_cannot_be_checked(key: IssuerKey, ledger: Any) -> None:
    definition = load_definition(ROOT / "examples" / "workplace-safety-rpl.toml")
    credential = issue(
        definition,
        "worker@example.org",
        key,
        ledger=ledger,
        status_base_url="https://example.edu/status",
        now=ISSUED,
    ).credential
    status = credential["credentialStatus"]
    url = (status[0] if isinstance(status, list) else status)["statusListCredential"]
    report = verify(credential, fetch=offline_fetch({url: DEEP.encode()}), now=NOW)
    check = report.check("status")
    assert report.check("proof").status == "passed"  # type: ignore[union-attr]
    assert check is not None and check.status == "failed" and "nested deeper" in check.message


def test_deep_resource_file_and_deep_inputs_through_the_cli(tmp_path: Path, token: str) -> None:
    deep = tmp_path / "did.json"
    deep.write_text(DEEP)
    payload = dict(read_jwt(token).payload)
    hostile = tmp_path / "hostile.jwt"
    hostile.write_text(f"{_b64({'alg': 'EdDSA', 'kid': 'did:web:example.edu#key-1'})}.{_b64(payload)}.AAAA")
    runner = CliRunner()
    result = runner.invoke(
        cli,
        [
            "verify",
            "--offline",
            "--resource",
            f"https://example.edu/.well-known/did.json={deep}",
            str(hostile),
        ],
    )
    assert result.exit_code == 1, result.output
    assert not isinstance(result.exception, RecursionError | KeyError | TypeError | ValueError)
    assert "nested deeper" in result.output
    deep_credential = tmp_path / "deep.json"
    deep_credential.write_text('{"a":' + DEEP + "}")
    for args in (["inspect", str(deep_credential)], ["unbake", str(deep_credential)]):
        result = runner.invoke(cli, args)
        assert result.exit_code != 0
        assert isinstance(result.exception, SystemExit | None), (args, result.exception)


def test_deep_definition_and_key_files_are_their_own_errors(tmp_path: Path) -> None:
    from microcred.errors import DefinitionError, KeyFormatError
    from microcred.keys.files import load_key

    path = tmp_path / "definition.json"
    path.write_text('{"achievement":' + DEEP + "}")
    with pytest.raises(DefinitionError, match="nested deeper"):
        load_definition(path)
    key_path = tmp_path / "key.json"
    key_path.write_text('{"id":' + DEEP + "}")
    with pytest.raises(KeyFormatError, match="nested deeper"):
        load_key(key_path)


# ------------------------------------------------------------------ class 1: identity objects

_ANY_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(["\ud800", "a\udfff", "@id", "@context", "@list", "2026-01-01T00:00:00Z"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@pytest.mark.parametrize(
    "identifier",
    [
        {"identityType": "emailAddress", "hashed": True, "identityHash": "sha256$00", "salt": 5},
        {"identityType": "emailAddress", "hashed": True, "identityHash": "sha256$00", "salt": ["x"]},
        {"identityType": "emailAddress", "hashed": True, "identityHash": "sha256$00", "salt": {"a": 1}},
        {"identityType": "emailAddress", "hashed": False, "identityHash": ["worker@example.org"]},
        {"identityType": "emailAddress", "hashed": False, "identityHash": {"a": 1}},
        {"identityType": ["emailAddress"], "hashed": False, "identityHash": "x"},
        {"identityType": "emailAddress", "hashed": True, "identityHash": "sha256$00", "salt": "\ud800"},
    ],
    ids=repr,
)
def test_recipient_check_against_identity_objects_of_the_wrong_type(identifier: dict[str, Any]) -> None:
    credential = {"credentialSubject": {"identifier": [identifier]}}
    check = check_recipient(credential, "worker@example.org")
    assert check.status == "failed"
    for shape in (identifier, 7, "x", [identifier, None]):
        assert check_recipient({"credentialSubject": {"identifier": shape}}, "a@b.c").status == "failed"


@BOUNDED
@given(
    subject=st.dictionaries(
        st.sampled_from(["id", "identifier", "type"]),
        _ANY_JSON
        | st.lists(
            st.dictionaries(st.sampled_from(["identityType", "identityHash", "salt", "hashed"]), _ANY_JSON),
            max_size=3,
        ),
    )
)
def test_generated_identity_objects_never_escape(subject: dict[str, Any]) -> None:
    for subjects in (subject, [subject, subject]):
        check = check_recipient({"credentialSubject": subjects}, "worker@example.org")
        assert check.status in ("passed", "failed")


def test_recipient_option_with_a_hostile_identifier_reports(signed: dict[str, Any]) -> None:
    hostile = copy.deepcopy(signed)
    for ident in hostile["credentialSubject"]["identifier"]:
        ident["salt"] = 12
    report = verify(hostile, fetch=offline_fetch(), now=NOW, recipient="worker@example.org")
    assert report.check("recipient").status == "failed"  # type: ignore[union-attr]
    assert not report.verified


# ------------------------------------------------------------------ class 1: contexts pyld trips on


@pytest.mark.parametrize(
    "context", [{"@vocab": None}, {"@base": 5}, {"@vocab": 5}, {"@language": 5}], ids=repr
)
def test_hostile_inline_contexts_are_jsonld_errors(
    key: IssuerKey, signed: dict[str, Any], context: dict[str, Any]
) -> None:
    unsigned = {k: v for k, v in signed.items() if k != "proof"}
    unsigned["@context"] = [*unsigned["@context"], context]
    outcome = _only_own_errors(lambda: sign(unsigned, key))
    assert isinstance(outcome, JsonLdError), outcome
    report = verify({**signed, "@context": unsigned["@context"]}, fetch=offline_fetch(), now=NOW)
    assert report.check("context").status == "failed"  # type: ignore[union-attr]


# ------------------------------------------------------------------ class 1: generated credentials


def _replace(doc: Any, path: list[int], value: Any) -> Any:
    """``doc`` with the node reached by ``path`` (indices modulo the children) replaced by ``value``."""
    if not path or not isinstance(doc, dict | list) or not doc:
        return value
    keys = list(doc) if isinstance(doc, dict) else list(range(len(doc)))
    k = keys[path[0] % len(keys)]
    out = copy.copy(doc)
    out[k] = _replace(doc[k], path[1:], value)
    return out


@BOUNDED
@given(path=st.lists(st.integers(0, 50), min_size=1, max_size=6), value=_ANY_JSON)
def test_generated_credentials_never_escape_verify_inspect_or_sign(
    key: IssuerKey, signed: dict[str, Any], path: list[int], value: Any
) -> None:
    hostile = _replace(signed, path, value)
    outcome = _only_own_errors(lambda: verify(hostile, fetch=offline_fetch(), now=NOW))
    if not isinstance(outcome, MicrocredError):
        json.dumps(outcome.to_dict(), default=str)
        _ = outcome.to_text()
        if hostile != signed:
            assert not outcome.verified
    if isinstance(hostile, dict):
        elements = credential_elements(hostile)
        _ = elements_text(elements)
        unsigned = {k: v for k, v in hostile.items() if k != "proof"}
        _only_own_errors(lambda: sign(unsigned, key))


@BOUNDED
@given(data=st.binary(max_size=200) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_generated_bytes_never_escape_reading(data: bytes) -> None:
    for prefix in (b"", b"\x89PNG\r\n\x1a\n", b"<svg", b"{", b"eyJ"):
        outcome = _only_own_errors(lambda: read_credential(prefix + data))  # noqa: B023
        assert isinstance(outcome, MicrocredError) or outcome.credential is not None or outcome.jwt
        _only_own_errors(lambda: unbake(prefix + data))  # noqa: B023


def test_lone_surrogates_are_refused_as_input_and_never_escape(
    tmp_path: Path, key: IssuerKey, signed: dict[str, Any]
) -> None:
    hostile = copy.deepcopy(signed)
    hostile["credentialSubject"]["achievement"]["name"] = "\ud800"
    text = json.dumps(hostile)  # ASCII: the surrogate is written as the escape \ud800
    assert "\\ud800" in text
    with pytest.raises(InputError, match="lone surrogate"):
        verify(text, fetch=offline_fetch(), now=NOW)
    report = verify(hostile, fetch=offline_fetch(), now=NOW)  # a dict handed in: a failing report
    assert not report.verified
    _ = report.to_text(), json.dumps(report.to_dict(), default=str)
    _ = elements_text(credential_elements(hostile))
    unsigned = {k: v for k, v in hostile.items() if k != "proof"}
    for fmt in ("di", "jwt"):
        assert isinstance(_only_own_errors(lambda: sign(unsigned, key, format=fmt)), MicrocredError)  # noqa: B023
    path = tmp_path / "surrogate.json"
    path.write_text(text)
    for args in (["verify", "--offline", str(path)], ["inspect", str(path)]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2 and "lone surrogate" in result.output, result.output
    assert _json_loads('"\\ud83d\\ude00"') == "\U0001f600"  # a surrogate pair is an ordinary character


def _json_loads(text: str) -> Any:
    from microcred import _json

    return _json.loads(text)


# ------------------------------------------------------------------ class 1: one bad input hides nothing


def test_anything_unforeseen_is_still_microcreds_own_error(
    monkeypatch: pytest.MonkeyPatch, signed: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    import microcred.verifying.verify as verifying

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(verifying, "check_validity", broken)
    with pytest.raises(InputError) as raised:
        verify(signed, fetch=offline_fetch(), now=NOW, name="cred.json")
    assert raised.value.code == INTERNAL_ERROR and "ZeroDivisionError" in str(raised.value)
    assert "cred.json" in str(raised.value)
    assert any(r.exc_info for r in caplog.records)  # the traceback is logged for the bug report


def test_folder_reports_every_input_and_marks_the_broken_ones(
    tmp_path: Path, key: IssuerKey, signed: dict[str, Any], token: str
) -> None:
    folder = tmp_path / "applicants"
    folder.mkdir()
    (folder / "a-good.json").write_text(json.dumps(signed))
    (folder / "b-deep.json").write_text('{"a":' + DEEP + "}")
    payload = {**read_jwt(token).payload, "exp": math.nan}
    (folder / "c-nan.jwt").write_text(_jwt(key, payload))
    (folder / "d-vocab.json").write_text(
        json.dumps({**signed, "@context": [*signed["@context"], {"@vocab": None}]})
    )
    (folder / "e-good.jwt").write_text(token)
    result = CliRunner().invoke(
        cli, ["verify", "--offline", "--json", "--now", "2026-03-01T00:00:00Z", str(folder)]
    )
    assert isinstance(result.exception, SystemExit | None), result.exception
    assert result.exit_code == 2
    data = json.loads(result.output)
    by_name = {Path(r["input"]).name: r for r in data["results"]}
    assert sorted(by_name) == ["a-good.json", "b-deep.json", "c-nan.jwt", "d-vocab.json", "e-good.jwt"]
    assert by_name["a-good.json"]["verified"] and by_name["e-good.jwt"]["verified"]
    assert "nested deeper" in by_name["b-deep.json"]["error"]["message"]
    assert not by_name["c-nan.jwt"]["verified"] and not by_name["d-vocab.json"]["verified"]


# ------------------------------------------------------------------ class 3: time wherever it is signed


def test_an_expired_vc_jwt_fails_validity_even_without_valid_until(key: IssuerKey, token: str) -> None:
    payload = dict(read_jwt(token).payload)
    assert "validUntil" not in payload and "exp" not in payload
    payload["exp"] = int(datetime(2026, 2, 1, tzinfo=UTC).timestamp())
    expired = _jwt(key, payload)
    report = verify(expired, fetch=offline_fetch(), now=NOW)
    assert report.check("proof").status == "passed"  # type: ignore[union-attr]
    validity = report.check("validity")
    assert validity is not None and validity.status == "failed"
    assert "exp" in validity.message and validity.details["reason"] == "expired"
    assert not report.verified
    before = verify(expired, fetch=offline_fetch(), now=datetime(2026, 1, 31, tzinfo=UTC))
    assert before.verified, before.to_text()


def test_a_vc_jwt_before_its_nbf_fails_validity(key: IssuerKey, token: str) -> None:
    payload = dict(read_jwt(token).payload)
    report = verify(_jwt(key, payload), fetch=offline_fetch(), now=datetime(2025, 12, 31, tzinfo=UTC))
    validity = report.check("validity")
    assert validity is not None and validity.status == "failed"
    assert validity.details["reason"] == "not_yet_valid"


def _sign_with_options(document: dict[str, Any], key: IssuerKey, **extra: str) -> dict[str, Any]:
    """``document`` with an eddsa-rdfc-2022 proof whose options include ``extra`` (all of it signed)."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2026-01-01T00:00:00Z",
        "verificationMethod": key.key_id,
        "proofPurpose": "assertionMethod",
        **extra,
    }
    inputs = proof_inputs(unsecured, options, key_algorithm=key.algorithm)
    assert key.private_key is not None
    signature = sign_bytes(key.private_key, key.algorithm, inputs.hash_data)
    return {**unsecured, "proof": {**options, "proofValue": mb.multibase_encode(signature)}}


def test_a_proof_past_its_expires_fails(key: IssuerKey, signed: dict[str, Any]) -> None:
    credential = _sign_with_options(signed, key, expires="2026-02-01T00:00:00Z")
    early = verify(credential, fetch=offline_fetch(), now=datetime(2026, 1, 15, tzinfo=UTC))
    assert early.verified, early.to_text()
    late = verify(credential, fetch=offline_fetch(), now=NOW)
    proof = late.check("proof")
    assert proof is not None and proof.status == "failed" and "expired" in proof.message
    assert not late.verified
    at = verify(credential, fetch=offline_fetch(), now=datetime(2026, 2, 1, tzinfo=UTC))
    assert not at.verified  # expires is the first instant it no longer holds
    bad = _sign_with_options(signed, key, expires="next tuesday")
    assert verify(bad, fetch=offline_fetch(), now=NOW).check("proof").status == "failed"  # type: ignore[union-attr]


def test_a_proof_created_far_in_the_future_is_reported(key: IssuerKey, signed: dict[str, Any]) -> None:
    credential = _sign_with_options(signed, key, created="2026-06-01T00:00:00Z")
    report = verify(credential, fetch=offline_fetch(), now=NOW)
    proof = report.check("proof")
    assert proof is not None and proof.status == "warning"
    assert "2026-06-01T00:00:00Z" in proof.message and proof.details["created"] == "2026-06-01T00:00:00Z"
    near = _sign_with_options(signed, key, created="2026-03-01T00:04:00Z")
    assert verify(near, fetch=offline_fetch(), now=NOW).check("proof").status == "passed"  # type: ignore[union-attr]


def test_a_vc_jwt_issued_far_in_the_future_is_reported(key: IssuerKey, token: str) -> None:
    payload = dict(read_jwt(token).payload)
    payload["iat"] = int(datetime(2026, 6, 1, tzinfo=UTC).timestamp())
    report = verify(_jwt(key, payload), fetch=offline_fetch(), now=NOW)
    proof = report.check("proof")
    assert proof is not None and proof.status == "warning" and proof.details["iat"] == "2026-06-01T00:00:00Z"
    payload["iat"] = int(NOW.timestamp()) + 240  # four minutes: clock skew, not reported
    assert verify(_jwt(key, payload), fetch=offline_fetch(), now=NOW).check("proof").status == "passed"  # type: ignore[union-attr]
    payload["iat"] = "yesterday"
    proof = verify(_jwt(key, payload), fetch=offline_fetch(), now=NOW).check("proof")
    assert proof is not None and proof.status == "failed" and "iat is not a NumericDate" in proof.message
