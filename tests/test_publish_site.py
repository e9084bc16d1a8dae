"""``publish_site`` / ``microcred publish``: the static folder an issuer uploads so anyone can verify."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from microcred import (
    Ledger,
    definition_from_mapping,
    did_web_document,
    generate_key,
    issue,
    jwks,
    load_definition,
    offline_fetch,
    verify,
)
from microcred.cli import main
from microcred.errors import InputError, MicrocredError
from microcred.jsonld.loader import default_loader, known_context_urls
from microcred.publishing import site as site_module
from microcred.publishing.site import MANIFEST, default_site_url, publish_site
from site_server import htaccess_mapping, nginx_mapping

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "university-data-science.toml"
SITE = "https://uni.example/"
STATUS = "https://uni.example/status"
ISSUED = datetime(2026, 1, 5, tzinfo=UTC)
NOW = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def web_key():
    return generate_key("Ed25519", did_web="uni.example")


@pytest.fixture
def issued(tmp_path, web_key):
    """A ledger with two credentials of the example achievement; returns (ledger path, credentials)."""
    definition = load_definition(EXAMPLE)
    path = tmp_path / "issuer.db"
    with Ledger.open(path) as ledger:
        creds = [
            issue(
                definition,
                f"learner{i}@example.org",
                web_key,
                ledger=ledger,
                status_base_url=STATUS,
                now=ISSUED,
            )
            for i in range(2)
        ]
    return path, creds


def _publish(out, key, ledger_path, **kw):
    with Ledger.open(ledger_path, create=False) as ledger:
        return publish_site(out, keys=[key], site_url=SITE, ledger=ledger, now=NOW, **kw)


def _site_fetch(folder: Path, site):
    """An offline fetch that answers each URL from the site folder, through the site's rewrites."""
    table = {}
    for rel in site.files:
        table[SITE + rel] = (folder / rel).read_bytes()
    for url_path, file_path in site.rewrites.items():
        table["https://uni.example" + url_path] = (folder / file_path.lstrip("/")).read_bytes()
    return offline_fetch(table)


def test_the_site_holds_what_a_verifier_needs_and_a_credential_verifies_from_it(tmp_path, web_key, issued):
    ledger_path, creds = issued
    out = tmp_path / "site"
    site = _publish(out, web_key, ledger_path)

    assert json.loads((out / ".well-known/did.json").read_text()) == did_web_document([web_key.public()])
    assert json.loads((out / ".well-known/jwks.json").read_text()) == jwks([web_key.public()])
    listed = json.loads((out / "status/revocation-1.json").read_text())
    assert listed["id"] == f"{STATUS}/revocation-1"
    assert listed["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert site.rewrites == {"/status/revocation-1": "/status/revocation-1.json"}
    profile = json.loads((out / "issuer.json").read_text())
    assert profile["id"] == web_key.controller and profile["name"] == "Universiteit van Harderwijk"
    assert (out / "index.html").read_text().count("achievements/") >= 2

    # nothing handed in by hand: every URL the credential needs is answered by the site
    report = verify(creds[0].serialize(), fetch=_site_fetch(out, site), now=NOW)
    assert report.verified, report.to_text()
    assert report.check("status").details["outcome"] == "valid"
    assert report.check("issuer_key").status == "passed"


def test_every_packaged_extension_context_and_schema_is_mirrored_byte_for_byte(tmp_path, web_key, issued):
    site = _publish(tmp_path / "site", web_key, issued[0])
    contexts = {u for u in known_context_urls() if u.startswith("https://w3id.org/microcred/")}
    assert contexts and contexts <= set(site.mirrors)
    for url in contexts:
        mirrored = json.loads((tmp_path / "site" / site.mirrors[url]).read_text())
        assert mirrored == default_loader.document(url)
    schema = "https://w3id.org/microcred/v1/schema.json"
    assert (tmp_path / "site" / site.mirrors[schema]).read_bytes() == (
        ROOT / "schemas" / "microcred-schema-v1.json"
    ).read_bytes()


def test_htaccess_and_nginx_encode_the_same_mapping_as_the_site(tmp_path, web_key, issued):
    definition = load_definition(EXAMPLE)
    with Ledger.open(issued[0], create=False) as ledger:  # a second list: suspension
        issue(definition, "x@example.org", web_key, ledger=ledger, status_base_url=STATUS, suspension=True)
    site = _publish(tmp_path / "site", web_key, issued[0])
    assert set(site.rewrites) == {"/status/revocation-1", "/status/suspension-1"}
    nginx = nginx_mapping((tmp_path / "site" / "nginx-microcred.conf").read_text())
    apache = htaccess_mapping((tmp_path / "site" / ".htaccess").read_text())
    assert nginx[0] == apache[0] == site.rewrites
    assert nginx[1]["json"] == apache[1]["json"] == "application/json"
    assert nginx[1]["jsonld"] == apache[1]["jsonld"] == "application/ld+json"
    for target in site.rewrites.values():
        assert (tmp_path / "site" / target.lstrip("/")).is_file()


def test_a_site_under_a_path_and_an_https_issuer(tmp_path):
    key = generate_key("Ed25519", issuer_url="https://uni.example/badges/issuer")
    definition = load_definition(EXAMPLE)
    with Ledger.open(tmp_path / "l.db") as ledger:
        cred = issue(
            definition,
            "a@example.org",
            key,
            ledger=ledger,
            status_base_url="https://uni.example/badges/status",
            now=ISSUED,
        )
        site = publish_site(
            tmp_path / "site", keys=[key], site_url="https://uni.example/badges", ledger=ledger, now=NOW
        )
    assert site.rewrites == {
        "/badges/issuer": "/badges/issuer.json",
        "/badges/status/revocation-1": "/badges/status/revocation-1.json",
    }
    assert htaccess_mapping((tmp_path / "site" / ".htaccess").read_text())[0] == site.rewrites
    assert nginx_mapping((tmp_path / "site" / "nginx-microcred.conf").read_text())[0] == site.rewrites
    table = {
        "https://uni.example" + u: (tmp_path / "site" / f[len("/badges/") :]).read_bytes()
        for u, f in site.rewrites.items()
    }
    report = verify(cred.serialize(), fetch=offline_fetch(table), now=NOW)
    assert report.verified, report.to_text()
    assert report.check("issuer_key").details.get("binding", "published") == "published"


def test_one_page_and_one_json_document_per_achievement_in_plain_language_escaped(tmp_path, web_key):
    hostile = definition_from_mapping(
        {
            "issuer": {"id": "https://evil.example", "name": "<b>Evil</b> & Co"},
            "achievement": {
                "id": "https://evil.example/a/x%3Cscript%3E",
                "title": "<script>alert(1)</script> Badge",
                "description": "A description with <img src=x onerror=alert(1)>",
                "criteria": "Do <i>this</i>.",
                "workload": {"hours": 10},
            },
        }
    )
    site = publish_site(
        tmp_path / "site", keys=[web_key], site_url=SITE, definitions=[hostile, load_definition(EXAMPLE)]
    )
    assert len(site.achievements) == 2
    for entry in site.achievements:
        page = (tmp_path / "site" / entry.page).read_text()
        assert "<script>" not in page and "<img" not in page and "<i>" not in page
        doc = json.loads((tmp_path / "site" / entry.document).read_text())
        assert doc["id"] == entry.id and doc["name"] == entry.name
        labels = {e["label"]: e["text"] for e in doc["elements"]}
        assert "Learner" not in labels and "Evidence" not in labels  # no learner's data on a public page
    evil = next(e for e in site.achievements if e.id.startswith("https://evil"))
    doc = json.loads((tmp_path / "site" / evil.document).read_text())
    assert {e["label"]: e["text"] for e in doc["elements"]}["Notional workload"] == "10 hours"
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Badge" in (tmp_path / "site" / evil.page).read_text()
    example = next(e for e in site.achievements if not e.id.startswith("https://evil"))
    text = (tmp_path / "site" / example.page).read_text()
    assert "5 ECTS" in text and "EQF" in text


def test_rerun_after_revocation_updates_the_list_and_removes_what_is_no_longer_published(
    tmp_path, web_key, issued
):
    ledger_path, creds = issued
    out = tmp_path / "site"
    extra = definition_from_mapping(
        {
            "issuer": {"id": "https://uni.example", "name": "Uni"},
            "achievement": {
                "id": "https://uni.example/a/old",
                "title": "Old badge",
                "description": "d",
                "criteria": "c",
            },
        }
    )
    first = _publish(out, web_key, ledger_path, definitions=[extra])
    old_page = next(e.page for e in first.achievements if e.id.endswith("/old"))
    assert (out / old_page).is_file()
    before = json.loads((out / "status/revocation-1.json").read_text())

    with Ledger.open(ledger_path, create=False) as ledger:
        ledger.revoke(creds[1].id, "test")
    second = _publish(out, web_key, ledger_path)
    after = json.loads((out / "status/revocation-1.json").read_text())
    assert after["credentialSubject"]["encodedList"] != before["credentialSubject"]["encodedList"]
    assert not (out / old_page).exists() and old_page in second.removed
    assert json.loads((out / MANIFEST).read_text())["files"] == list(second.files)
    report = verify(creds[1].serialize(), fetch=_site_fetch(out, second), now=NOW)
    assert not report.verified and report.check("status").details["outcome"] == "revoked"
    assert [p.name for p in tmp_path.iterdir() if "microcred-" in p.name] == []  # no staging left


def test_a_failure_before_the_moves_leaves_the_published_site_untouched(tmp_path, web_key, issued):
    out = tmp_path / "site"
    _publish(out, web_key, issued[0])
    snapshot = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(MicrocredError) as caught:
        _publish(out, web_key.public(), issued[0])  # cannot sign the lists
    assert "private" in str(caught.value)
    with (
        pytest.raises(InputError, match="not under the site URL"),
        Ledger.open(issued[0], create=False) as ledger,
    ):
        publish_site(out, keys=[web_key], site_url="https://other.example/", ledger=ledger)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == snapshot
    assert [p.name for p in tmp_path.iterdir() if "microcred-" in p.name] == []


def test_a_failure_halfway_through_the_moves_leaves_every_file_whole(tmp_path, web_key, issued, monkeypatch):
    out = tmp_path / "site"
    _publish(out, web_key, issued[0])
    with Ledger.open(issued[0], create=False) as ledger:
        ledger.revoke(issued[1][0].id, "test")
    real = os.replace
    calls = {"n": 0}

    def flaky(src, dst):
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(site_module.os, "replace", flaky)
    with pytest.raises(OSError):
        _publish(out, web_key, issued[0])
    monkeypatch.setattr(site_module.os, "replace", real)
    for path in out.rglob("*.json"):
        json.loads(path.read_text())  # each file is the old one or the new one, never half
    assert [p.name for p in tmp_path.iterdir() if "microcred-" in p.name] == []
    again = _publish(out, web_key, issued[0])  # and the next run completes the site
    assert sorted(json.loads((out / MANIFEST).read_text())["files"]) == sorted(again.files)


def test_refuses_a_folder_that_is_not_a_microcred_site(tmp_path, web_key):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.pdf").write_bytes(b"%PDF")
    with pytest.raises(InputError, match="not a site microcred published"):
        publish_site(out, keys=[web_key], site_url=SITE)
    assert [p.name for p in out.iterdir()] == ["thesis.pdf"]


@pytest.mark.parametrize(
    ("site_url", "message"),
    [
        ("ftp://uni.example/", "https"),
        ("http://uni.example/", "https"),
        ("https://uni.example/?a=1", "query"),
    ],
)
def test_a_bad_site_url_is_named(tmp_path, web_key, site_url, message):
    with pytest.raises(InputError, match=message):
        publish_site(tmp_path / "s", keys=[web_key], site_url=site_url)
    assert not (tmp_path / "s").exists()


def test_keys_of_two_issuers_are_refused(tmp_path, web_key):
    other = generate_key("Ed25519", did_web="other.example")
    with pytest.raises(InputError, match="belongs to"):
        publish_site(tmp_path / "s", keys=[web_key, other], site_url=SITE)


def test_default_site_url():
    assert default_site_url("did:web:uni.example") == "https://uni.example/"
    assert default_site_url("did:web:127.0.0.1%3A8443") == "https://127.0.0.1:8443/"
    assert default_site_url("did:web:uni.example:badges") == "https://uni.example/badges/"
    assert default_site_url("https://uni.example/issuer") == "https://uni.example/"
    assert default_site_url(generate_key("Ed25519").controller) is None


def test_cli_publish_reports_and_exits_2_on_bad_input(tmp_path, web_key, issued):
    from microcred import save_key

    save_key(web_key, tmp_path / "key.json")
    runner = CliRunner()
    done = runner.invoke(
        main,
        [
            "publish",
            "--key",
            str(tmp_path / "key.json"),
            "--ledger",
            str(issued[0]),
            "-o",
            str(tmp_path / "site"),
            "--json",
        ],
    )
    assert done.exit_code == 0, done.output
    report = json.loads(done.output)
    assert report["site_url"] == SITE and report["rewrites"] == {
        "/status/revocation-1": "/status/revocation-1.json"
    }
    assert report["status_lists"][0]["used"] == 2
    bad = runner.invoke(
        main,
        [
            "publish",
            "--key",
            str(tmp_path / "key.json"),
            "--ledger",
            str(issued[0]),
            "-o",
            str(tmp_path / "site"),
            "--site-url",
            "https://elsewhere.example/",
        ],
    )
    assert bad.exit_code == 2 and "not under the site URL" in bad.output and "Traceback" not in bad.output
    didkey = generate_key("Ed25519")
    save_key(didkey, tmp_path / "k2.json")
    no_url = runner.invoke(main, ["publish", "--key", str(tmp_path / "k2.json"), "-o", str(tmp_path / "s2")])
    assert no_url.exit_code == 2 and "--site-url" in no_url.output


def test_a_symbolic_link_in_the_site_cannot_lead_writes_or_deletions_elsewhere(tmp_path, web_key, issued):
    out = tmp_path / "site"
    _publish(out, web_key, issued[0])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "revocation-1.json").write_text("precious")
    shutil.rmtree(out / "status")
    (out / "status").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(InputError, match="leads out of"):
        _publish(out, web_key, issued[0])
    assert (elsewhere / "revocation-1.json").read_text() == "precious"


def test_a_shared_ledger_publishes_this_issuers_lists_only(tmp_path, web_key, issued):
    other = generate_key("Ed25519", did_web="other.example")
    with Ledger.open(issued[0], create=False) as ledger:
        issue(
            load_definition(EXAMPLE),
            "o@example.org",
            other,
            ledger=ledger,
            status_base_url="https://other.example/status",
            now=ISSUED,
        )
    site = _publish(tmp_path / "site", web_key, issued[0])
    assert [p.url for p in site.status_lists] == [f"{STATUS}/revocation-1"]
    with Ledger.open(issued[0], create=False) as ledger:
        theirs = publish_site(
            tmp_path / "theirs", keys=[other], site_url="https://other.example/", ledger=ledger, now=NOW
        )
    assert [p.url for p in theirs.status_lists] == ["https://other.example/status/revocation-1"]


def test_a_folder_or_fifo_where_a_file_goes_is_refused_before_anything_changes(tmp_path, web_key, issued):
    out = tmp_path / "site"
    _publish(out, web_key, issued[0])
    with Ledger.open(issued[0], create=False) as ledger:
        ledger.revoke(issued[1][0].id, "test")
    (out / "index.html").unlink()
    (out / "index.html").mkdir()
    snapshot = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(InputError, match="not a regular file"):
        _publish(out, web_key, issued[0])
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == snapshot  # the list too
    (out / "index.html").rmdir()
    os.mkfifo(out / "index.html")
    with pytest.raises(InputError, match="not a regular file"):
        _publish(out, web_key, issued[0])
