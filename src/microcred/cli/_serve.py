"""``microcred serve``: the employer page and the VC-API, on uvicorn (the ``[server]`` extra)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from . import fail
from ._issuing import _parse_resources, load_signing_key


def _api_keys(env_name: str | None, file: str | None) -> tuple[str, ...]:
    keys: list[str] = []
    if env_name:
        value = os.environ.get(env_name)
        if value is None:
            fail(f"--api-keys-env {env_name}: that environment variable is not set")
        keys += value.split(",")
    if file:
        keys += Path(file).read_text(encoding="utf-8").splitlines()
    keys = [k.strip() for k in keys if k.strip() and not k.strip().startswith("#")]
    short = [k for k in keys if len(k) < 16]
    if short:
        fail("an API key must be at least 16 characters long (use a random one: openssl rand -hex 24)")
    return tuple(keys)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=None, help="Port (default 8443 with TLS, else 8000)."
)
@click.option("--tls-cert", type=click.Path(dir_okay=False, exists=True), help="TLS certificate (PEM).")
@click.option("--tls-key", type=click.Path(dir_okay=False, exists=True), help="TLS private key (PEM).")
@click.option(
    "--behind-proxy",
    is_flag=True,
    help="Trust X-Forwarded-Proto/For from the proxy at --forwarded-allow-ips (it terminates TLS).",
)
@click.option("--forwarded-allow-ips", default="127.0.0.1", show_default=True, metavar="IPS")
@click.option(
    "--public-url",
    metavar="URL",
    help="The https origin the credentials name (default: https://HOST:PORT); status lists live under it.",
)
@click.option("--key", "key_path", type=click.Path(dir_okay=False), help="Issuer key file: enables issuing.")
@click.option("--passphrase-env", metavar="VAR", help="Environment variable holding the key's passphrase.")
@click.option(
    "--ledger", "ledger_path", type=click.Path(dir_okay=False), help="Ledger (SQLite) to record in."
)
@click.option(
    "--status-path", default="/status", show_default=True, help="Path of the status lists under --public-url."
)
@click.option("--suspendable", is_flag=True, help="Issue with a suspension entry too.")
@click.option("--api-keys-env", metavar="VAR", help="Environment variable with comma-separated API keys.")
@click.option(
    "--api-keys-file", type=click.Path(dir_okay=False, exists=True), help="A file with one API key a line."
)
@click.option(
    "--resource",
    "resources",
    multiple=True,
    metavar="URL=FILE",
    help="Answer URL from a local file instead of the network (repeatable).",
)
@click.option(
    "--offline", is_flag=True, help="Never use the network for verification; only --resource files."
)
@click.option(
    "--max-body",
    type=click.IntRange(min=1024),
    default=1_000_000,
    show_default=True,
    help="VC-API body limit (bytes).",
)
@click.option(
    "--max-upload",
    type=click.IntRange(min=1024),
    default=5_000_000,
    show_default=True,
    help="Page upload limit (bytes).",
)
@click.option(
    "--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default="info", show_default=True
)
def serve_cmd(
    host: str,
    port: int | None,
    tls_cert: str | None,
    tls_key: str | None,
    behind_proxy: bool,
    forwarded_allow_ips: str,
    public_url: str | None,
    key_path: str | None,
    passphrase_env: str | None,
    ledger_path: str | None,
    status_path: str,
    suspendable: bool,
    api_keys_env: str | None,
    api_keys_file: str | None,
    resources: tuple[str, ...],
    offline: bool,
    max_body: int,
    max_upload: int,
    log_level: str,
) -> None:
    """Serve the employer verification page and the VC-API (needs: pip install 'microcred[server]').

    Verifying needs nothing; issuing needs --key and API keys; status changes and status lists need
    --ledger too. Serve HTTPS with --tls-cert/--tls-key, or plain HTTP on 127.0.0.1 behind a reverse
    proxy that terminates TLS (--behind-proxy, --public-url https://badges.example.edu).

    \b
    Examples:
      microcred serve                      # the employer page on http://127.0.0.1:8000
      API_KEYS=$(openssl rand -hex 24) microcred serve --key issuer-key.json --ledger issuer.db \\
          --api-keys-env API_KEYS --tls-cert cert.pem --tls-key key.pem --host 0.0.0.0
    """
    try:  # the [server] extra is optional: the rest of microcred never needs it
        import uvicorn

        from ..server import ServerConfig, create_app
    except ModuleNotFoundError as exc:
        fail(
            f"microcred serve needs the server extra ({exc.name} is missing): pip install 'microcred[server]'"
        )
    if bool(tls_cert) != bool(tls_key):
        fail("give both --tls-cert and --tls-key, or neither")
    tls = bool(tls_cert)
    port = port if port is not None else (8443 if tls else 8000)
    if public_url is None:
        scheme = "https" if tls or behind_proxy else "http"
        public_url = f"{scheme}://{host}:{port}"
    if not public_url.startswith(("https://", "http://")):
        fail("--public-url must be an http(s) URL")
    keys = _api_keys(api_keys_env, api_keys_file)
    key = load_signing_key(key_path, passphrase_env) if key_path else None
    if key is not None and not keys:
        click.echo(
            "warning: no API keys given (--api-keys-env / --api-keys-file): issuing will answer 401", err=True
        )
    config = ServerConfig(
        public_url=public_url,
        key=key,
        ledger_path=Path(ledger_path) if ledger_path else None,
        api_keys=keys,
        status_path=status_path,
        suspension=suspendable,
        max_body=max_body,
        max_upload=max_upload,
        resources=_parse_resources(resources),
        allow_network=not offline,
    )
    click.echo(f"microcred serve: {public_url} (listening on {host}:{port})", err=True)
    uvicorn.run(
        create_app(config),
        host=host,
        port=port,
        ssl_certfile=tls_cert,
        ssl_keyfile=tls_key,
        proxy_headers=behind_proxy,
        forwarded_allow_ips=forwarded_allow_ips if behind_proxy else None,
        log_level=log_level,
        server_header=False,
        limit_concurrency=1000,
        timeout_keep_alive=5,
    )


COMMANDS = [serve_cmd]
