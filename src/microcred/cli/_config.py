"""Reading ``microcred.toml`` for the commands: which file (``--config``, ``$MICROCRED_CONFIG``,
``./microcred.toml``), and a command's flag or else the configured value."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, TypeVar

import click

from ..config import Config, find_config
from . import fail

if TYPE_CHECKING:
    from pathlib import Path

T = TypeVar("T")
#: Read when neither --passphrase-env nor the configuration names a variable.
PASSPHRASE_ENV = "MICROCRED_PASSPHRASE"


def current_config() -> Config:
    """The configuration for this command (read once per invocation)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:  # called outside a command (e.g. a server worker loading its key): no file is read
        return Config()
    root = ctx.find_root()
    found = root.meta.get("microcred.config")
    if found is None:
        found = root.meta["microcred.config"] = find_config(root.params.get("config_path"))
    assert isinstance(found, Config)
    return found


def setting(flag: T | None, configured: T | None, option: str, key: str | None = None) -> T:
    """The flag's value, else the configuration's; a clear error naming both when neither is set."""
    if flag is not None:
        return flag
    if configured is not None:
        return configured
    where = f" or set {key} in microcred.toml (microcred init writes one)" if key else ""
    fail(f"missing {option}{where}")


def optional(flag: T | None, configured: T | None) -> T | None:
    """The flag's value, else the configuration's (either may be unset)."""
    return flag if flag is not None else configured


def key_path(flag: str | None) -> str:
    """The signing key file: ``--key``, else the configuration's ``[issuer] key``."""
    configured: Path | None = current_config().key_file
    return str(setting(flag, str(configured) if configured else None, "--key KEY.json", "[issuer] key"))


def passphrase_env(flag: str | None) -> str | None:
    """The variable holding the key's passphrase: the flag, the configuration's, else
    ``MICROCRED_PASSPHRASE`` when it is set."""
    if flag:
        return flag
    configured = current_config().passphrase_env
    if configured:
        return configured
    return PASSPHRASE_ENV if os.environ.get(PASSPHRASE_ENV) else None
