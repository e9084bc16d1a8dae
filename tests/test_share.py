"""The share kit of a credential (``microcred share``) and the default PNG badge."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import png
import pytest
from click.testing import CliRunner

from microcred import (
    definition_from_mapping,
    generate_key,
    issue,
    load_definition,
    save_key,
    unbake,
)
from microcred.baking.badge_png import default_badge_png, default_badge_png_for_credential
from microcred.cli import main
from microcred.credential.inspection import ELEMENT_LABELS, credential_elements
from microcred.errors import DefinitionError, InputError
from microcred.publishing.share import linkedin_url, share_kit, verify_link, write_share_kit

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "university-data-science.toml"
ISSUED = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
HOSTED = "https://uni.example/credentials/ada.json"


@pytest.fixture(scope="module")
def key():
    return generate_key("Ed25519", did_web="uni.example")


@pytest.fixture(scope="module")
def credential(key):
    issued = issue(
        load_definition(EXAMPLE),
        "ada@example.org",
        key,
        now=ISSUED,
        build_options={"result": "8.5"},
    )
    return dict(issued.credential)


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, strict_parsing=True).items()}


def test_the_verify_link_points_at_the_issuers_page_with_the_credential_url_encoded():
    link = verify_link("https://uni.example", "https://uni.example/c/a b.json?x=1&y=2")
    assert link.startswith("https://uni.example/verify?url=")
    assert _query(link) == {"url": "https://uni.example/c/a b.json?x=1&y=2"}
    assert verify_link("https://uni.example/verify/", HOSTED) == verify_link("https://uni.example/", HOSTED)
    with pytest.raises(InputError, match="verify_base"):
        verify_link("javascript:alert(1)", HOSTED)
    with pytest.raises(InputError, match="credential_url"):
        verify_link("https://uni.example", "/relative.json")


def test_the_linkedin_url_is_filled_in_from_the_credential(credential):
    cert = verify_link("https://uni.example", HOSTED)
    credential = {**credential, "validUntil": "2032-09-01T00:00:00Z"}  # (read as given, not verified)
    query = _query(linkedin_url(credential, cert))
    assert urlsplit(linkedin_url(credential, cert)).netloc == "www.linkedin.com"
    assert query == {
        "startTask": "CERTIFICATION_NAME",
        "name": "Applied Machine Learning for Public Health Data",
        "organizationName": "Universiteit van Harderwijk",
        "issueYear": "2026",
        "issueMonth": "1",
        "expirationYear": "2032",
        "expirationMonth": "9",
        "certUrl": cert,
        "certId": credential["id"],
    }
    with_id = _query(linkedin_url(credential, cert, organization_id="1337"))
    assert with_id["organizationId"] == "1337" and "organizationName" not in with_id
    with pytest.raises(InputError, match="number"):
        linkedin_url(credential, cert, organization_id="uni harderwijk")


def test_no_expiry_means_no_expiration_fields(key):
    definition = definition_from_mapping(
        {
            "issuer": {"id": "https://uni.example", "name": "Uni"},
            "achievement": {"id": "https://uni.example/a", "title": "T", "description": "d", "criteria": "c"},
        }
    )
    issued = issue(definition, "b@example.org", key, now=ISSUED)
    query = _query(linkedin_url(dict(issued.credential), "https://uni.example/verify?url=x"))
    assert "expirationYear" not in query and query["issueMonth"] == "1"


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs

    def handle_data(self, data):
        self.text.append(data)


def test_the_certificate_states_every_element_the_credential_states_and_escapes_everything(key, credential):
    kit = share_kit(credential, credential_url=HOSTED, verify_base="https://uni.example")
    parsed = _Collect()
    parsed.feed(kit.certificate_html)
    text = " ".join(parsed.text)
    elements = credential_elements(credential)
    for name, label in ELEMENT_LABELS.items():
        if elements[name] is not None and name not in ("title", "learner"):
            assert label in text, label
    assert "Applied Machine Learning for Public Health Data" in text and "5 ECTS" in text
    assert kit.verify_url in text
    assert not any(
        v and v.startswith(("http", "//")) for k, v in parsed.attrs if k == "src"
    )  # nothing loaded

    hostile = definition_from_mapping(
        {
            "issuer": {"id": "https://evil.example", "name": "<img src=x onerror=alert(1)>"},
            "achievement": {
                "id": "https://evil.example/a",
                "title": "</title><script>alert(1)</script>",
                "description": "d",
                "criteria": "c",
                "learning_outcomes": ["<b>bold</b> claim"],
            },
        }
    )
    bad = issue(hostile, "did:example:learner", key, now=ISSUED)
    bad_kit = share_kit(dict(bad.credential), credential_url=HOSTED, verify_base="https://uni.example")
    collected = _Collect()
    collected.feed(bad_kit.certificate_html)
    assert "script" not in collected.tags and "b" not in collected.tags
    assert collected.tags.count("img") == 1  # the badge alone, inline; the issuer's name stayed text
    assert [v[:22] for k, v in collected.attrs if k == "src"] == ["data:image/png;base64,"]
    assert "<img src=x onerror=alert(1)>" in " ".join(collected.text)
    assert "</title><script>alert(1)</script>" in " ".join(collected.text)  # shown, as text


def test_the_badge_is_a_baked_png_by_default_and_the_qr_code_is_an_image(credential):
    kit = share_kit(credential, credential_url=HOSTED, verify_base="https://uni.example")
    width, height, _, info = png.Reader(bytes=kit.badge_png).read()
    assert (width, height) == (256, 256) and info["alpha"]
    assert unbake(kit.badge_png).credential == credential
    qr_w, qr_h, _, _ = png.Reader(bytes=kit.qr_png).read()
    assert qr_w == qr_h and qr_w > 100
    svg = ET.fromstring(kit.qr_svg)
    assert svg.tag.endswith("svg") and "Verify this badge" in kit.qr_svg


def test_issuer_artwork_is_baked_instead_when_given(credential):
    art = (ROOT / "examples" / "badge.png").read_bytes()
    kit = share_kit(credential, credential_url=HOSTED, verify_base="https://uni.example", badge_image=art)
    assert unbake(kit.badge_png).credential == credential
    assert (
        kit.badge_png
        != share_kit(credential, credential_url=HOSTED, verify_base="https://u.example").badge_png
    )


def test_a_vc_jwt_gets_a_kit_too(key, credential):
    issued = issue(load_definition(EXAMPLE), "ada@example.org", key, format="jwt", now=ISSUED)
    kit = share_kit(issued.jwt, credential_url=HOSTED, verify_base="https://uni.example")
    assert unbake(kit.badge_png).jwt == issued.jwt
    assert _query(kit.linkedin_url)["certId"] == issued.id


def test_write_share_kit_writes_the_files(tmp_path, credential):
    kit = share_kit(credential, credential_url=HOSTED, verify_base="https://uni.example")
    written = {p.name for p in write_share_kit(kit, tmp_path / "kit")}
    assert written == {
        "credential.json",
        "badge.png",
        "certificate.html",
        "verify-qr.svg",
        "verify-qr.png",
        "share.json",
    }
    links = json.loads((tmp_path / "kit" / "share.json").read_text())
    assert links["verify_url"] == kit.verify_url and links["linkedin_url"] == kit.linkedin_url
    assert json.loads((tmp_path / "kit" / "credential.json").read_text()) == credential


def test_default_badge_png_is_stable_per_title_and_checks_its_input():
    one = default_badge_png("Carbon Accounting Basics")
    assert one == default_badge_png("Carbon Accounting Basics")
    assert one != default_badge_png("Another title")
    assert default_badge_png("x", color="#0f766e") != default_badge_png("x", color="#be123c")
    for bad in ("", "   ", "\x00\x01"):
        with pytest.raises(DefinitionError, match="title"):
            default_badge_png(bad)
    with pytest.raises(DefinitionError, match="color"):
        default_badge_png("x", color="red; evil")
    assert default_badge_png_for_credential({}) == default_badge_png("Open Badge")
    assert png.Reader(file=io.BytesIO(default_badge_png("Ünïcödé ✓ 学习"))).read()[0] == 256


def test_cli_share_and_the_default_png_bake(tmp_path, key, credential):
    runner = CliRunner()
    (tmp_path / "cohort").mkdir()
    for name in ("a", "b"):
        (tmp_path / "cohort" / f"{name}.json").write_text(json.dumps(credential))
    one = runner.invoke(
        main, ["share", str(tmp_path / "cohort" / "a.json"), "-o", str(tmp_path / "k1"), "--json"]
    )
    assert one.exit_code == 0, one.output
    report = json.loads(one.output)
    uuid = credential["id"].rsplit(":", 1)[-1]
    assert report["credential_url"] == f"https://uni.example/credentials/{uuid}.json"  # never the file name
    assert report["verify_url"] == verify_link("https://uni.example/", report["credential_url"])
    assert (tmp_path / "k1" / "badge.png").is_file()

    many = runner.invoke(main, ["share", str(tmp_path / "cohort"), "-o", str(tmp_path / "k2")])
    assert many.exit_code == 0, many.output
    assert sorted(p.name for p in (tmp_path / "k2").iterdir()) == ["a", "b"]

    both = runner.invoke(
        main, ["share", str(tmp_path / "cohort"), "-o", str(tmp_path / "k3"), "--credential-url", HOSTED]
    )
    assert both.exit_code == 2 and "one credential" in both.output

    didkey = generate_key("Ed25519")
    loose = issue(load_definition(EXAMPLE), "c@example.org", didkey, now=ISSUED)
    (tmp_path / "loose.json").write_text(loose.serialize())
    no_site = runner.invoke(main, ["share", str(tmp_path / "loose.json"), "-o", str(tmp_path / "k4")])
    assert no_site.exit_code == 2 and "--site-url" in no_site.output and "Traceback" not in no_site.output

    save_key(key, tmp_path / "key.json")
    baked = runner.invoke(
        main, ["bake", "--credential", str(tmp_path / "cohort" / "a.json"), "-o", str(tmp_path / "a.png")]
    )
    assert baked.exit_code == 0, baked.output
    assert unbake((tmp_path / "a.png").read_bytes()).credential == credential
    assert png.Reader(filename=str(tmp_path / "a.png")).read()[0] == 256


def test_issue_share_writes_the_kit_and_keeps_stdout_for_the_credential(tmp_path, key):
    save_key(key, tmp_path / "key.json")
    runner = CliRunner()
    done = runner.invoke(
        main,
        [
            "issue",
            "--key",
            str(tmp_path / "key.json"),
            "--achievement",
            str(EXAMPLE),
            "--recipient",
            "ada@example.org",
            "--grade",
            "8",
            "--share",
            str(tmp_path / "kit"),
        ],
    )
    assert done.exit_code == 0, done.output
    credential = json.loads(done.stdout)  # the kit's report went to stderr
    assert json.loads((tmp_path / "kit" / "credential.json").read_text()) == credential
    assert unbake((tmp_path / "kit" / "badge.png").read_bytes()).credential == credential
    links = json.loads((tmp_path / "kit" / "share.json").read_text())
    assert links["credential_id"] == credential["id"] and "verify this badge" in done.stderr
