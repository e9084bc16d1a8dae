"""``microcred bake`` and ``unbake`` through click's CliRunner: exit codes, messages, no tracebacks."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from pathlib import Path

import png
import pytest
from click.testing import CliRunner, Result

from microcred.baking.bake import unbake
from microcred.cli import main

SIG = b"\x89PNG\r\n\x1a\n"


def chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def make_png(width: int = 3, height: int = 3) -> bytes:
    rows = b"".join(b"\0" + bytes((x * 80 + y * 30) % 256 for x in range(width * 3)) for y in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return SIG + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def b64(d: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()


CREDENTIAL = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ],
    "id": "urn:uuid:7f9e0d47-0000-4000-8000-000000000002",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "issuer": {"id": "https://example.edu/issuer", "type": ["Profile"], "name": "Université d'Exemple"},
    "name": "Teamwork credential",
    "credentialSubject": {
        "type": ["AchievementSubject"],
        "achievement": {
            "type": ["Achievement"],
            "name": "Teamwork in Practice",
            "achievementType": "MicroCredential",
        },
    },
}
JWT = f"{b64({'alg': 'EdDSA'})}.{b64(CREDENTIAL)}.c2ln"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><rect width="8" height="8"/></svg>\n'


def run(*args: str, input: bytes | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def assert_clean_error(result: Result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ")
    for fragment in fragments:
        assert fragment in result.stderr
    assert "Traceback" not in result.output


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "badge.png").write_bytes(make_png())
    (tmp_path / "badge.svg").write_bytes(SVG)
    (tmp_path / "cred.json").write_text(json.dumps(CREDENTIAL, indent=2), encoding="utf-8")
    (tmp_path / "cred.jwt").write_text(JWT + "\n", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("image", ["badge.png", "badge.svg"])
@pytest.mark.parametrize("cred", ["cred.json", "cred.jwt"])
def test_bake_then_unbake_round_trips(files, image, cred):
    out = files / f"out{Path(image).suffix}"
    result = run("bake", "--image", str(files / image), "--credential", str(files / cred), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert f"into {out}" in result.stderr
    result = run("unbake", str(out))
    assert result.exit_code == 0 and result.stderr == ""
    if cred.endswith(".json"):
        assert json.loads(result.stdout) == CREDENTIAL
    else:
        assert result.stdout == JWT + "\n"


def test_baked_png_still_decodes(files):
    out = files / "out.png"
    assert (
        run(
            "bake",
            "--image",
            str(files / "badge.png"),
            "--credential",
            str(files / "cred.json"),
            "-o",
            str(out),
        ).exit_code
        == 0
    )
    baked, original = (
        png.Reader(bytes=out.read_bytes()).asDirect(),
        png.Reader(filename=str(files / "badge.png")).asDirect(),
    )
    assert (baked[0], baked[1], [list(r) for r in baked[2]]) == (
        original[0],
        original[1],
        [list(r) for r in original[2]],
    )


def test_bake_without_image_draws_the_default_badge(files):
    out = files / "alice.svg"
    result = run("bake", "--credential", str(files / "cred.jwt"), "-o", str(out))
    assert result.exit_code == 0, result.output
    svg = out.read_text(encoding="utf-8")
    assert "Teamwork in Practice" in svg and "Université d'Exemple" in svg
    assert "MICRO-CREDENTIAL" in svg
    assert unbake(out.read_bytes()).jwt == JWT


def test_bake_reads_the_credential_from_stdin(files):
    out = files / "out.png"
    result = run(
        "bake",
        "--image",
        str(files / "badge.png"),
        "--credential",
        "-",
        "-o",
        str(out),
        input=json.dumps(CREDENTIAL).encode(),
    )
    assert result.exit_code == 0, result.output
    assert unbake(out.read_bytes()).credential == CREDENTIAL


def test_unbake_json_output(files):
    out = files / "out.svg"
    run("bake", "--image", str(files / "badge.svg"), "--credential", str(files / "cred.jwt"), "-o", str(out))
    result = run("unbake", "--json", str(out))
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "kind": "svg",
        "version": "3.0",
        "format": "jwt",
        "credential": None,
        "jwt": JWT,
        "url": None,
        "openBadges3": True,
    }


def test_unbake_to_a_file_and_from_stdin(files):
    out = files / "out.png"
    run("bake", "--image", str(files / "badge.png"), "--credential", str(files / "cred.json"), "-o", str(out))
    target = files / "back.json"
    result = run("unbake", "-", "-o", str(target), input=out.read_bytes())
    assert result.exit_code == 0 and result.stdout == ""
    assert "wrote the credential (json)" in result.stderr
    assert json.loads(target.read_text(encoding="utf-8")) == CREDENTIAL


def test_rebake_replaces(files):
    first, second = files / "1.png", files / "2.png"
    run(
        "bake",
        "--image",
        str(files / "badge.png"),
        "--credential",
        str(files / "cred.json"),
        "-o",
        str(first),
    )
    run("bake", "--image", str(first), "--credential", str(files / "cred.jwt"), "-o", str(second))
    assert second.read_bytes().count(b"openbadgecredential") == 1
    assert run("unbake", str(second)).stdout == JWT + "\n"


def ob2_png() -> bytes:
    assertion = {"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "id": "https://x.org/a/1"}
    body = b"openbadges\0\0\0\0\0" + json.dumps(assertion).encode()
    image = make_png()
    return image[:-12] + chunk(b"iTXt", body) + image[-12:]


def test_unbake_says_plainly_that_an_ob2_badge_is_an_ob2_assertion(files):
    (files / "old.png").write_bytes(ob2_png())
    result = run("unbake", str(files / "old.png"))
    assert result.exit_code == 0
    assert "Open Badges 2.0 assertion, not an Open Badges 3.0 credential" in result.stderr
    assert json.loads(result.stdout)["type"] == "Assertion"
    as_json = json.loads(run("unbake", "--json", str(files / "old.png")).stdout)
    assert (
        as_json["version"] == "2.0"
        and as_json["openBadges3"] is False
        and "2.0 assertion" in as_json["notice"]
    )


def _two_chunks() -> bytes:
    image = make_png()
    c = chunk(b"iTXt", b"openbadgecredential\0\0\0\0\0" + JWT.encode())
    return image[:-12] + c + c + image[-12:]


def _bad_crc() -> bytes:
    data = bytearray(make_png())
    data[20] ^= 0xFF
    return bytes(data)


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        pytest.param(_two_chunks(), ("two credential chunks",), id="two-chunks"),
        pytest.param(_bad_crc(), ("IHDR chunk at offset 8 has a bad CRC",), id="bad-crc"),
        pytest.param(make_png()[:-6], ("truncated",), id="truncated"),
        pytest.param(make_png(), ("no Open Badges credential is baked into this PNG",), id="not-baked"),
        pytest.param(b"GIF89a", ("not a PNG or SVG image",), id="gif"),
        pytest.param(b'<!DOCTYPE svg [<!ENTITY a "b">]><svg/>', ("DOCTYPE",), id="doctype"),
    ],
)
def test_unbake_errors(files, content, fragments):
    path = files / "bad.img"
    path.write_bytes(content)
    assert_clean_error(run("unbake", str(path)), str(path), *fragments)


def test_unbake_missing_file(files):
    assert_clean_error(run("unbake", str(files / "nope.png")), "nope.png: no such file")


def test_bake_errors(files):
    bad_json = files / "bad.json"
    bad_json.write_text("{nope", encoding="utf-8")
    not_jwt = files / "cred.txt"
    not_jwt.write_text("hello world", encoding="utf-8")
    array = files / "array.json"
    array.write_text("[1]", encoding="utf-8")
    png_path, json_path = str(files / "badge.png"), str(files / "cred.json")
    cases = [
        (("--image", png_path, "--credential", str(bad_json), "-o", "x.png"), ("is not valid JSON",)),
        (("--image", png_path, "--credential", str(array), "-o", "x.png"), ("JSON but not an object",)),
        (
            ("--image", png_path, "--credential", str(not_jwt), "-o", "x.png"),
            (str(not_jwt), "not a compact JWS"),
        ),
        (
            ("--image", png_path, "--credential", str(files / "missing.json"), "-o", "x.png"),
            ("no such file",),
        ),
        (
            ("--image", str(files / "missing.png"), "--credential", json_path, "-o", "x.png"),
            ("no such file",),
        ),
        (("--image", png_path, "--credential", json_path, "-o", str(files / "x.svg")), ("the image is PNG",)),
        (("--credential", json_path, "-o", str(files / "x.gif")), ("default badge is a PNG or an SVG",)),
        (("--image", json_path, "--credential", json_path, "-o", "x.png"), ("not a PNG or SVG image",)),
    ]
    for args, fragments in cases:
        assert_clean_error(run("bake", *args), *fragments)
    assert not (files / "x.png").exists() and not (files / "x.svg").exists()


def test_bake_requires_credential_and_output(files):
    result = run("bake", "--image", str(files / "badge.png"))
    assert result.exit_code == 2 and "Missing option '--credential'" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", ["bake", "unbake"])
def test_help_shows_examples(command):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Examples:" in result.stdout and f"microcred {command} " in result.stdout
