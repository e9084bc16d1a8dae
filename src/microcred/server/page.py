"""The employer page: HTML for the form and the result, and its stylesheet and script.

Everything is escaped (:func:`html.escape`); there is no inline script or style, so the page runs
under a strict Content-Security-Policy. The form works without JavaScript; the script only adds
dropping a file anywhere on the drop zone. Nothing uploaded is stored.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .view import PageView

#: The one policy every response carries: nothing but this server's own files, no framing.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

CSS = """
:root { color-scheme: light; --ok: #0b6b2b; --bad: #a4161a; --warn: #8a5300; --ink: #1b1b1b; }
* { box-sizing: border-box; }
body { font: 1.05rem/1.5 system-ui, sans-serif; color: var(--ink); margin: 0 auto; max-width: 52rem;
       padding: 1rem 1.25rem 3rem; }
a { color: #0a4ea3; }
:focus-visible { outline: 3px solid #1d63d6; outline-offset: 2px; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 1rem; top: 1rem; background: #fff; }
fieldset { border: 1px solid #888; border-radius: .4rem; margin: 0 0 1rem; padding: .75rem 1rem; }
legend { font-weight: 600; padding: 0 .3rem; }
label { display: block; font-weight: 600; margin: .25rem 0; }
textarea, input[type=url] { width: 100%; font: .95rem ui-monospace, monospace; padding: .4rem; }
textarea { min-height: 7rem; }
.drop { border: 2px dashed #777; border-radius: .5rem; padding: 1rem; }
.drop.over { border-color: #1d63d6; background: #eef4ff; }
.hint { color: #555; font-size: .92rem; margin: .25rem 0; }
button { font: inherit; padding: .45rem 1.1rem; border-radius: .35rem; border: 1px solid #1d3f7a;
         background: #1d4f9a; color: #fff; cursor: pointer; }
.banner { border-radius: .5rem; padding: 1rem 1.25rem; margin: 1rem 0; border: 3px solid; }
.banner h2 { margin: 0 0 .25rem; font-size: 1.6rem; }
.banner p { margin: 0; }
.verdict-verified { border-color: var(--ok); background: #e9f7ee; }
.verdict-not_verified, .verdict-revoked { border-color: var(--bad); background: #fdecec; }
.verdict-suspended, .verdict-expired, .verdict-status_unknown {
  border-color: var(--warn); background: #fff4e0; }
.unverified { border: 2px dashed var(--bad); padding: .5rem 1rem; border-radius: .5rem; }
dl.elements { display: grid; grid-template-columns: 14rem 1fr; gap: .35rem 1rem; }
dl.elements dt { font-weight: 600; } dl.elements dd { margin: 0; white-space: pre-line; }
table.checks { border-collapse: collapse; width: 100%; }
table.checks th, table.checks td {
  border-bottom: 1px solid #ccc; text-align: left; padding: .4rem; vertical-align: top; }
.status-passed { color: var(--ok); } .status-failed { color: var(--bad); font-weight: 700; }
.status-warning { color: var(--warn); }
.actions { margin: 1rem 0; }
@media print {
  .noprint, form, .skip { display: none !important; }
  body { max-width: none; font-size: 11pt; }
  .banner { border-width: 2px; }
}
@media (max-width: 40rem) { dl.elements { grid-template-columns: 1fr; } }
"""

#: Progressive enhancement only: drop a file on the drop zone to verify it at once.
SCRIPT = """
(function () {
  var print = document.getElementById('print');
  if (print) { print.hidden = false; print.addEventListener('click', function () { window.print(); }); }
  var zone = document.getElementById('drop');
  var input = document.getElementById('file');
  var form = document.getElementById('verify-form');
  if (!zone || !input || !form) { return; }
  ['dragenter', 'dragover'].forEach(function (n) {
    zone.addEventListener(n, function (e) { e.preventDefault(); zone.classList.add('over'); });
  });
  ['dragleave', 'drop'].forEach(function (n) {
    zone.addEventListener(n, function () { zone.classList.remove('over'); });
  });
  zone.addEventListener('drop', function (e) {
    e.preventDefault();
    if (!e.dataTransfer || !e.dataTransfer.files.length) { return; }
    input.files = e.dataTransfer.files;
    form.submit();
  });
})();
"""


def _layout(title: str, body: str) -> str:
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>"
        '<link rel="stylesheet" href="/static/page.css">'
        '<script src="/static/page.js" defer></script>'
        "</head><body>"
        '<a class="skip" href="#main">Skip to content</a>'
        f'<main id="main">{body}</main>'
        "</body></html>\n"
    )


def _form(max_upload: int, url: str = "") -> str:
    megabytes = max_upload / 1_000_000
    return f"""
<form id="verify-form" method="post" action="/verify" enctype="multipart/form-data" class="noprint">
  <fieldset id="drop" class="drop">
    <legend>A credential file</legend>
    <label for="file">Choose a file (JSON, JWT, PNG or SVG badge)</label>
    <input id="file" name="file" type="file"
           accept=".json,.jwt,.txt,.png,.svg,application/json,image/png,image/svg+xml"
           aria-describedby="file-hint">
    <p class="hint" id="file-hint">Or drop the file here. Up to {megabytes:g} MB.
       Nothing you upload is kept.</p>
  </fieldset>
  <fieldset>
    <legend>Or paste it</legend>
    <label for="text">Credential text (JSON or a VC-JWT)</label>
    <textarea id="text" name="text" spellcheck="false"></textarea>
  </fieldset>
  <fieldset>
    <legend>Or give its address</legend>
    <label for="url">Web address of the credential (https://…)</label>
    <input id="url" name="url" type="url" inputmode="url" value="{escape(url)}" placeholder="https://">
  </fieldset>
  <button type="submit">Verify</button>
</form>"""


def form_page(max_upload: int, *, error: str | None = None) -> str:
    """The start page: the form, and a message when the last attempt was not a credential."""
    alert = (
        f'<div class="banner verdict-not_verified" role="alert"><h2>Could not read that</h2>'
        f"<p>{escape(error)}</p></div>"
        if error
        else ""
    )
    body = (
        "<h1>Check a micro-credential</h1>"
        "<p>Give a credential or an Open Badge image to find out whether it is genuine, unaltered and still "
        "valid, and what it says.</p>"
        f"{alert}{_form(max_upload)}"
    )
    return _layout("Check a micro-credential", body)


def _value_html(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    if lines and all(line.startswith("- ") for line in lines):
        return "<ul>" + "".join(f"<li>{escape(line[2:])}</li>" for line in lines) + "</ul>"
    return escape(text)


_UNVERIFIED_WHY = {
    "not_verified": "The credential did not verify, so none of the following can be trusted; it is shown "
    "only to help you follow up.",
    "revoked": "The awarding body signed this, but has withdrawn it: these claims no longer count.",
    "suspended": "The awarding body signed this, but has suspended it: these claims do not count for now.",
    "expired": "The awarding body signed this, but its validity has ended: these claims no longer count.",
    "status_unknown": "The awarding body signed this, but whether it was revoked could not be checked: do "
    "not rely on these claims until it can be.",
}


def result_page(view: PageView, max_upload: int) -> str:
    """The verdict banner, what the credential says (under "unverified" unless verified), each check."""
    source = ""
    if view.source:
        fmt = f" ({escape(view.format)})" if view.format else ""
        source = f'<p class="hint">Checked: {escape(view.source)}{fmt}</p>'
    failing = ""
    if view.failing:
        items = "".join(
            f"<li><strong>{escape(c.name)}</strong>: {escape(c.finding)}</li>" for c in view.failing
        )
        failing = f'<p>What failed:</p><ul class="failing">{items}</ul>'
    banner = (
        f'<section class="banner verdict-{view.verdict}" role="status" aria-labelledby="verdict">'
        f'<h2 id="verdict" data-verdict="{view.verdict}">{escape(view.headline)}</h2>'
        f"<p>{escape(view.meaning)}</p>{failing}{source}</section>"
    )
    rows = "".join(
        f'<dt>{escape(e.label)}</dt><dd data-element="{escape(e.name)}">{_value_html(e.text)}</dd>'
        for e in view.elements
    )
    if view.verified:
        claims = (
            '<section aria-labelledby="says"><h2 id="says">What it says</h2>'
            f'<dl class="elements">{rows}</dl></section>'
        )
    elif rows:
        claims = (
            '<section class="unverified" aria-labelledby="says">'
            '<h2 id="says">Unverified claims — do not rely on them</h2>'
            f"<p>{escape(_UNVERIFIED_WHY.get(view.verdict, _UNVERIFIED_WHY['not_verified']))}</p>"
            f'<dl class="elements">{rows}</dl></section>'
        )
    else:
        claims = ""
    check_rows = "".join(
        f'<tr data-check="{escape(c.id)}"><th scope="row">{escape(c.name)}</th><td>{escape(c.question)}</td>'
        f'<td class="status-{escape(c.status)}">{escape(c.outcome)}</td><td>{escape(c.finding)}</td></tr>'
        for c in view.checks
    )
    checks = (
        '<section aria-labelledby="how"><h2 id="how">How it was checked</h2>'
        '<table class="checks"><thead><tr><th scope="col">Check</th><th scope="col">What it asks</th>'
        f'<th scope="col">Result</th><th scope="col">What was found</th></tr></thead><tbody>{check_rows}'
        "</tbody></table></section>"
    )
    actions = (
        '<p class="actions noprint"><button type="button" id="print" hidden>Print this result</button> '
        '<a href="/">Check another credential</a></p>'
    )
    body = f"<h1>Credential check</h1>{banner}{claims}{checks}{actions}"
    return _layout(f"{view.headline} — credential check", body)
