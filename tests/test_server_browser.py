"""The employer page in a real browser: Debian's chromium (never a downloaded one) driven by Playwright,
against a real uvicorn on 127.0.0.1 that the test starts and stops. Screenshots of each verdict are
saved to artifacts/screenshots/ (CI keeps that folder)."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.sync_api import Page, expect, sync_playwright

from microcred.baking.bake import bake
from microcred.errors import FetchError
from microcred.keys.material import generate_key
from microcred.server import create_app
from server_support import API_KEY, ROOT, definition_data, server_config

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
LINKED = "https://uni.example/badges/ada.json"
AUTH = {"Authorization": f"Bearer {API_KEY}"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real uvicorn on a free 127.0.0.1 port; stopped (and its thread joined) after the module."""
    linked: dict[str, bytes] = {}

    def fetch(url: str) -> bytes:
        if url in linked:
            return linked[url]
        raise FetchError(f"{url}: not available in this test", code="fetch.offline")

    folder = tmp_path_factory.mktemp("serve")
    app = create_app(server_config(generate_key("Ed25519"), folder / "ledger.db", fetch=fetch))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(200):  # bounded: up to 10 s for the server to start
        if uv.started:
            break
        time.sleep(0.05)
    assert uv.started, "uvicorn did not start"
    base = f"http://127.0.0.1:{port}"
    try:
        yield base, linked
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        sock.close()
        assert not thread.is_alive()


@pytest.fixture(scope="module")
def browser():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield page
    context.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors


def _issue(base: str) -> dict:
    body = {"definition": definition_data(), "recipient": "ada@example.org", "name": "Ada Lovelace"}
    response = httpx.post(f"{base}/credentials/issue", json=body, headers=AUTH, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()["verifiableCredential"]


def _outcomes(credential: dict) -> list[str]:
    alignment = credential["credentialSubject"]["achievement"]["alignment"]
    return [a["targetName"] for a in alignment if a.get("targetType") == "ext:LearningOutcome"]


def _drop(page: Page, name: str, data: bytes, mime: str) -> None:
    """Drop a file on the drop zone as a person dragging it from their desktop would."""
    handle = page.evaluate_handle(
        """([name, b64, mime]) => {
             const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
             const dt = new DataTransfer();
             dt.items.add(new File([bytes], name, {type: mime}));
             return dt; }""",
        [name, base64.b64encode(data).decode(), mime],
    )
    page.dispatch_event("#drop", "dragenter", {"dataTransfer": handle})
    page.dispatch_event("#drop", "drop", {"dataTransfer": handle})


def _shot(page: Page, name: str) -> Path:
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


def test_drop_a_baked_png_shows_verified_with_the_outcomes(server, page):
    base, _ = server
    credential = _issue(base)
    png = bake((ROOT / "examples" / "badge.png").read_bytes(), credential)
    page.goto(base + "/")
    with page.expect_navigation():
        _drop(page, "ada-badge.png", png, "image/png")
    expect(page.locator("#verdict")).to_have_text("Verified")
    outcomes = page.locator('[data-element="learning_outcomes"] li')
    expect(outcomes).to_have_count(len(_outcomes(credential)))
    # every outcome, in an order that does not depend on the signed array's (RDF signs sets)
    assert sorted(outcomes.all_inner_texts()) == sorted(_outcomes(credential))
    expect(page.get_by_role("heading", name="What it says")).to_be_visible()
    expect(page.locator('tr[data-check="proof"] td.status-passed')).to_have_text("Passed")
    _shot(page, "verified")


def test_a_tampered_file_is_not_verified_and_says_which_check_failed(server, page, tmp_path):
    base, _ = server
    credential = _issue(base)
    credential["credentialSubject"]["achievement"]["name"] = "Doctor of Everything"
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(credential))
    page.goto(base + "/")
    page.get_by_label("Choose a file").set_input_files(str(forged))
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#verdict")).to_have_text("Not verified")
    expect(page.locator("ul.failing")).to_contain_text("Signature")
    expect(page.get_by_role("heading", name="Unverified claims — do not rely on them")).to_be_visible()
    expect(page.locator('.unverified [data-element="title"]')).to_contain_text("Doctor of Everything")
    _shot(page, "tampered")


def test_a_revoked_credential_says_revoked(server, page):
    base, _ = server
    credential = _issue(base)
    change = {"credentialId": credential["id"], "status": "revoke", "reason": "grade replaced after appeal"}
    assert httpx.post(f"{base}/credentials/status", json=change, headers=AUTH, timeout=30).status_code == 200
    page.goto(base + "/")
    page.get_by_label("Credential text").fill(json.dumps(credential))
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#verdict")).to_have_text("Revoked")
    expect(page.locator('tr[data-check="status"]')).to_contain_text("REVOKED")
    _shot(page, "revoked")


def test_a_url_in_the_form_and_the_link_form(server, page):
    base, linked = server
    credential = _issue(base)
    linked[LINKED] = json.dumps(credential).encode()
    page.goto(base + "/")
    page.get_by_label("Web address of the credential").fill(LINKED)
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#verdict")).to_have_text("Verified")
    expect(page.locator(".banner")).to_contain_text(LINKED)
    page.goto(f"{base}/verify?url={LINKED}")
    expect(page.locator("#verdict")).to_have_text("Verified")
    _shot(page, "link")


def test_keyboard_only(server, page):
    base, _ = server
    credential = _issue(base)
    page.goto(base + "/")
    order = []
    for _ in range(6):  # bounded: the skip link, then the form's controls in reading order
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id || document.activeElement.textContent"))
        if order[-1] == "text":
            break
    assert order[0] == "Skip to content" and order[-2:] == ["file", "text"], order
    page.keyboard.insert_text(json.dumps(credential))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "url"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Verify"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#verdict")).to_have_text("Verified")
    banner = page.get_by_role("status")
    expect(banner).to_contain_text("Verified")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Print this result"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Check another credential"


def test_printable_view_hides_the_form_and_keeps_the_verdict(server, page):
    base, _ = server
    credential = _issue(base)
    page.goto(base + "/")
    page.get_by_label("Credential text").fill(json.dumps(credential))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("button", name="Print this result")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator("#verdict")).to_be_visible()
    expect(page.locator(".actions")).to_be_hidden()
    pdf = page.pdf()
    assert pdf.startswith(b"%PDF")
    (SCREENSHOTS / "printable.pdf").write_bytes(pdf)


def test_the_basic_form_works_with_javascript_off(server, browser, tmp_path):
    base, _ = server
    credential = _issue(base)
    path = tmp_path / "ada.json"
    path.write_text(json.dumps(credential))
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(base + "/")
        expect(page.get_by_role("button", name="Print this result")).to_have_count(0)
        page.get_by_label("Choose a file").set_input_files(str(path))
        page.get_by_role("button", name="Verify").click()
        expect(page.locator("#verdict")).to_have_text("Verified")
        expect(page.get_by_role("button", name="Print this result")).to_be_hidden()  # it needs the script
    finally:
        context.close()
