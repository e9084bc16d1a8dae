"""One configuration: `microcred init` from an empty folder, commands reading microcred.toml (flags win),
`build --key` building with the key's issuer, and --json where a command reports something."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from microcred import verify
from microcred.cli import main
from microcred.config import Config, ConfigError, find_config, load_config
from microcred.model.definition import load_definition

LMS = Path(__file__).parent / "data" / "lms"


def cli(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env)


@pytest.fixture
def empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "registry"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.delenv("MICROCRED_CONFIG", raising=False)
    monkeypatch.delenv("MICROCRED_PASSPHRASE", raising=False)
    return folder


@pytest.mark.parametrize("template", ["university", "workplace", "online"])
def test_init_writes_a_config_a_key_and_a_definition(empty: Path, template: str) -> None:
    result = cli(
        "init", "--template", template, "--name", "Hogeschool Zuid", "--url", "https://hs-zuid.example"
    )
    assert result.exit_code == 0, result.output
    config = load_config(empty / "microcred.toml")
    assert config.issuer_id == "did:web:hs-zuid.example"
    assert config.issuer_name == "Hogeschool Zuid"
    assert config.key_file == empty / "issuer-key.json"
    assert config.ledger == empty / "issuer.db"
    assert config.status_base_url == "https://hs-zuid.example/credentials/status"
    assert config.publish_dir == empty / "site"
    assert config.out_dir == empty / "credentials"
    assert stat.S_IMODE((empty / "issuer-key.json").stat().st_mode) == 0o600
    definition = load_definition(empty / "achievement.toml")
    assert definition.issuer.id == "did:web:hs-zuid.example"
    assert definition.issuer.name == "Hogeschool Zuid"
    assert definition.achievement.id.startswith("https://hs-zuid.example/achievements/")
    assert definition.achievement.image is None  # no example artwork carried over
    # a second init keeps everything unless told
    again = cli("init", "--name", "X", "--url", "https://x.example")
    assert again.exit_code == 2 and "exists; not overwriting it" in again.stderr


def test_init_did_web_with_a_port_and_path_and_did_key(empty: Path) -> None:
    result = cli("init", "--name", "Local", "--url", "http://127.0.0.1:8443/uni", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["issuer"] == "did:web:127.0.0.1%3A8443:uni"
    other = empty / "other"
    result = cli("init", "--name", "Self", "--url", "https://self.example", "--did-key", "--dir", str(other))
    assert result.exit_code == 0, result.output
    assert load_config(other / "microcred.toml").issuer_id.startswith("did:key:z6Mk")  # type: ignore[union-attr]


def test_from_an_empty_folder_init_then_issue_a_cohort_with_nothing_but_the_config(empty: Path) -> None:
    assert (
        cli("init", "--name", "LMS Samples University", "--url", "https://lms-samples.example").exit_code == 0
    )
    # the registrar's grades: a Canvas export; the definition's pass rule is the template's (pass 5.5 of 10)
    # so use the Canvas course definition instead, issued by this issuer
    text = (LMS / "canvas.toml").read_text(encoding="utf-8")
    (empty / "achievement.toml").write_text(
        text.replace("https://lms-samples.example/issuer", "did:web:lms-samples.example"), encoding="utf-8"
    )
    result = cli("issue", "--cohort", str(LMS / "canvas.csv"), "--from", "canvas", "--workers", "1", "--json")
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)["counts"]
    assert (counts["issued"], counts["not-passing"], counts["not-a-learner"]) == (3, 2, 3)
    issued = sorted((empty / "credentials").glob("*.json"))
    assert len(issued) == 3 and (empty / "issuer.db").is_file()
    doc = json.loads(issued[0].read_text(encoding="utf-8"))
    assert doc["issuer"]["id"] == "did:web:lms-samples.example"
    assert doc["credentialStatus"]["statusListCredential"].startswith(
        "https://lms-samples.example/credentials/status/"
    )
    # revoke and publish the lists with the configuration alone, reported as JSON
    revoked = cli("revoke", "--reason", "appeal", "--json", str(issued[0]))
    assert revoked.exit_code == 0, revoked.output
    assert json.loads(revoked.stdout)["status"] == "revoked"
    lists = cli("status-list", "-o", "site/status", "--json")
    assert lists.exit_code == 0, lists.output
    (entry,) = json.loads(lists.stdout)["lists"]
    assert entry["set"] == 1 and Path(entry["file"]).is_file()


def test_build_uses_the_keys_issuer_so_sign_signs_what_was_reviewed(empty: Path) -> None:
    assert cli("init", "--name", "Uni", "--url", "https://uni.example").exit_code == 0
    fresh = cli("keygen", "-o", "fresh-key.json", "--json")
    assert fresh.exit_code == 0, fresh.output
    fresh_issuer = json.loads(fresh.stdout)["issuer"]
    built = cli("build", "--key", "fresh-key.json", "--recipient", "ada@example.org", "-o", "review.json")
    assert built.exit_code == 0, built.output
    assert json.loads(Path("review.json").read_text(encoding="utf-8"))["issuer"]["id"] == fresh_issuer
    signed = cli("sign", "--key", "fresh-key.json", "review.json", "-o", "signed.json")
    assert signed.exit_code == 0, signed.output
    assert verify(Path("signed.json")).verified
    # without --key, build takes the configured key's issuer, and sign (configured key) agrees
    assert cli("build", "--recipient", "ada@example.org", "-o", "review2.json").exit_code == 0
    review = json.loads(Path("review2.json").read_text(encoding="utf-8"))
    assert review["issuer"]["id"] == "did:web:uni.example"
    assert cli("sign", "review2.json", "-o", "signed2.json").exit_code == 0


def test_flags_override_the_config_and_env_chooses_it(
    empty: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("init", "--name", "Uni", "--url", "https://uni.example").exit_code == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"MICROCRED_CONFIG": str(empty / "microcred.toml")}
    args = ["issue", "--recipient", "ada@example.org", "--grade", "8", "-o", str(elsewhere / "ada.json")]
    monkeypatch.chdir(elsewhere)  # no microcred.toml here: the variable names it
    assert cli(*args).exit_code == 2
    result = cli(*args, env=env)
    assert result.exit_code == 0, result.output
    assert (empty / "issuer.db").is_file()  # the configured ledger, relative to the config's folder
    monkeypatch.chdir(empty)
    result = cli(*args, "--ledger", str(elsewhere / "mine.db"))
    assert result.exit_code == 0, result.output
    assert (elsewhere / "mine.db").is_file()
    # a grade off the definition's scale (1–10) is refused for one learner too
    bad = cli("issue", "--recipient", "ada@example.org", "--grade", "42")
    assert bad.exit_code == 2 and "--grade: '42' is outside the scale 1–10" in bad.stderr
    low = cli("issue", "--recipient", "ada@example.org", "--grade", "5,4")
    assert low.exit_code == 2 and "does not pass (a pass is 5.5 or higher)" in low.stderr
    bad = cli("build", "--recipient", "ada@example.org", "--grade", "F")
    assert bad.exit_code == 2 and "'F' is not a number on the scale 1–10" in bad.stderr


def test_without_config_the_missing_setting_is_named(empty: Path) -> None:
    result = cli("issue", "--recipient", "ada@example.org")
    assert result.exit_code == 2
    assert "missing --key KEY.json or set [issuer] key in microcred.toml" in result.stderr
    result = cli("revoke", "urn:uuid:00000000-0000-4000-8000-000000000000")
    assert result.exit_code == 2 and "missing --ledger DB" in result.stderr


def test_an_encrypted_key_takes_its_passphrase_from_the_configured_variable(empty: Path) -> None:
    env = {"UNI_KEY_PASS": "correct horse battery staple"}
    result = cli(
        "init", "--name", "Uni", "--url", "https://uni.example", "--passphrase-env", "UNI_KEY_PASS", env=env
    )
    assert result.exit_code == 0, result.output
    assert load_config("microcred.toml").passphrase_env == "UNI_KEY_PASS"
    args = ["issue", "--recipient", "ada@example.org", "-o", "ada.json"]
    assert cli(*args, env=env).exit_code == 0
    result = cli(*args, env={"UNI_KEY_PASS": ""})
    assert result.exit_code == 2 and "UNI_KEY_PASS" in result.stderr


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ('[issuer]\nkye = "k.json"\n', "issuer.kye", "did you mean 'key'"),
        ('[publsh]\ndir = "site"\n', "publsh", "did you mean 'publish'"),
        ('[issuing]\nstatus_url = "ftp://x"\n', "issuing.status_url", "not an http(s) URL"),
        ("[issuing]\nledger = 3\n", "issuing.ledger", "must be a non-empty string"),
        ("[issuer\n", None, "not valid TOML"),
    ],
)
def test_config_errors_name_the_key(tmp_path: Path, text: str, where: str | None, words: str) -> None:
    path = tmp_path / "microcred.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(words)) as caught:
        load_config(path)
    assert caught.value.path == where
    result = cli("--config", str(path), "revoke", "x")
    assert result.exit_code == 2 and words in result.stderr


def test_find_config(tmp_path: Path) -> None:
    assert find_config(folder=tmp_path) == Config()
    (tmp_path / "microcred.toml").write_text('[publish]\ndir = "out/site"\n', encoding="utf-8")
    assert find_config(folder=tmp_path).publish_dir == tmp_path.resolve() / "out" / "site"
    with pytest.raises(ConfigError, match="no such configuration file"):
        find_config(tmp_path / "missing.toml")


def test_init_country_goes_into_the_starter_definition(tmp_path):
    from click.testing import CliRunner

    from microcred.cli import main
    from microcred.model.definition import load_definition

    runner = CliRunner()
    args = ["init", "--name", "Uni", "--url", "https://uni.example", "--dir", str(tmp_path)]
    done = runner.invoke(main, [*args, "--country", "NL"])
    assert done.exit_code == 0, done.output
    assert load_definition(tmp_path / "achievement.toml").issuer.country == "NL"
    bad = runner.invoke(main, [*args, "--dir", str(tmp_path / "b"), "--country", "Netherlands"])
    assert bad.exit_code == 2 and "ISO 3166-1" in bad.output and not (tmp_path / "b").exists()
