"""The issuer configuration file, ``microcred.toml``: who issues, with which key, into which ledger, where
status lists and the public site are published. ``microcred init`` writes one; every command reads it and
its flags override it.

::

    [issuer]
    id = "did:web:uni.example"          # the issuer (the key's controller)
    name = "Example University"
    url = "https://uni.example"
    key = "issuer-key.json"              # relative paths are relative to this file's folder
    passphrase_env = "MICROCRED_PASSPHRASE"   # optional: where an encrypted key's passphrase is

    [issuing]
    achievement = "achievement.toml"     # the default achievement definition
    ledger = "issuer.db"
    status_url = "https://uni.example/credentials/status"
    out_dir = "credentials"              # where a cohort's credential files go

    [publish]
    dir = "site"                         # the static folder to upload to https://uni.example/

Unknown tables and keys are errors naming the key, so a typo does not pass silently. This module reads
files only; which file (``--config``, ``MICROCRED_CONFIG``, ``./microcred.toml``) is the command line's
business.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import MicrocredError

#: The file ``microcred init`` writes and commands look for in the current folder.
CONFIG_NAME = "microcred.toml"
_KEYS: dict[str, dict[str, str]] = {
    "issuer": {
        "id": "issuer_id",
        "name": "issuer_name",
        "url": "issuer_url",
        "key": "key_file",
        "passphrase_env": "passphrase_env",
    },
    "issuing": {
        "achievement": "achievement",
        "ledger": "ledger",
        "status_url": "status_base_url",
        "out_dir": "out_dir",
    },
    "publish": {"dir": "publish_dir"},
}
_PATHS = frozenset({"key_file", "achievement", "ledger", "out_dir", "publish_dir"})


class ConfigError(MicrocredError, ValueError):
    """The configuration file cannot be read or holds a bad value (``path`` names the key)."""

    code = "config.invalid"


@dataclass(frozen=True, slots=True)
class Config:
    """An issuer's configuration; every field is optional and paths are absolute (resolved against the
    file's folder). ``path`` is the file it came from (None: no file)."""

    path: Path | None = None
    issuer_id: str | None = None
    issuer_name: str | None = None
    issuer_url: str | None = None
    key_file: Path | None = None
    passphrase_env: str | None = None
    achievement: Path | None = None
    ledger: Path | str | None = None
    status_base_url: str | None = None
    out_dir: Path | None = None
    publish_dir: Path | None = None


def load_config(path: str | Path) -> Config:
    """Read a ``microcred.toml``; raises :class:`ConfigError` naming the file, the key and the reason."""
    p = Path(path)
    source = str(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the configuration: {exc.strerror or exc}", source=source) from None
    except UnicodeDecodeError:
        raise ConfigError("is not UTF-8 text", source=source) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"is not valid TOML: {exc}", source=source) from None
    base = p.resolve().parent
    values: dict[str, Any] = {}
    for table, content in data.items():
        if table not in _KEYS:
            raise _unknown(table, list(_KEYS), table, source)
        if not isinstance(content, dict):
            raise ConfigError(f"must be a table ([{table}])", path=table, source=source)
        for key, value in content.items():
            where = f"{table}.{key}"
            if key not in _KEYS[table]:
                raise _unknown(key, list(_KEYS[table]), where, source)
            if not isinstance(value, str) or not value.strip():
                raise ConfigError("must be a non-empty string", path=where, source=source)
            name = _KEYS[table][key]
            if name in ("issuer_url", "status_base_url") and not value.startswith(("https://", "http://")):
                raise ConfigError(f"{value!r} is not an http(s) URL", path=where, source=source)
            if name == "ledger" and value.strip().lower().startswith(("postgresql://", "postgres://")):
                values[name] = value.strip()  # a PostgreSQL ledger's connection URL, not a path
            else:
                values[name] = base / Path(value).expanduser() if name in _PATHS else value.strip()
    return Config(path=p, **values)


def _unknown(key: str, allowed: list[str], where: str, source: str) -> ConfigError:
    near = difflib.get_close_matches(key, allowed, n=1)
    hint = f" (did you mean {near[0]!r}?)" if near else f"; known: {', '.join(allowed)}"
    return ConfigError(f"unknown key {key!r}{hint}", path=where, source=source)


def find_config(explicit: str | Path | None = None, *, folder: str | Path | None = None) -> Config:
    """The configuration in ``explicit`` (which must exist), else ``folder/microcred.toml`` (default: the
    current folder) when there is one, else an empty :class:`Config`."""
    if explicit is not None:
        if not Path(explicit).is_file():
            raise ConfigError("no such configuration file", source=str(explicit))
        return load_config(explicit)
    candidate = Path(folder or ".") / CONFIG_NAME
    return load_config(candidate) if candidate.is_file() else Config()


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def config_text(
    *,
    issuer_id: str,
    issuer_name: str,
    issuer_url: str,
    key_file: str,
    achievement: str,
    ledger: str = "issuer.db",
    status_base_url: str,
    out_dir: str = "credentials",
    publish_dir: str = "site",
) -> str:
    """A starter ``microcred.toml`` (what ``microcred init`` writes), with a comment on every key."""
    q = _quote
    return f"""\
# microcred issuer configuration (written by `microcred init`). Every command reads it from the
# current folder, or from --config / $MICROCRED_CONFIG; a command's own flags override it.
# Relative paths are relative to this file's folder.

[issuer]
id = {q(issuer_id)}    # the issuer: the signing key's controller
name = {q(issuer_name)}
url = {q(issuer_url)}
key = {q(key_file)}    # private: never publish it or commit it
# passphrase_env = "MICROCRED_PASSPHRASE"    # an encrypted key's passphrase is read from this variable

[issuing]
achievement = {q(achievement)}    # the default achievement definition (--achievement overrides it)
ledger = {q(ledger)}    # every credential issued, with its revocation status entry
status_url = {q(status_base_url)}    # where the status lists are published
out_dir = {q(out_dir)}    # where `issue --cohort` writes one credential per learner

[publish]
dir = {q(publish_dir)}    # the static folder to upload to {issuer_url}
"""
