"""The public opt-out pages: a plain HTML form any phone can submit without script, and the
receipt page. Every value shown is escaped; errors stand next to their fields and are tied to
them with ``aria-describedby``, so a screen reader reads the error with the field."""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from typing import Final

__all__ = ["CONSENT_TEXT", "CONSENT_VERSION", "form_page", "receipt_page", "status_page"]

CONSENT_VERSION: Final = "2026-12-01"
CONSENT_TEXT: Final = (
    "I live in Illinois. I ask that photos of me be removed from this face-search service and "
    "kept out of every later search result, for every client. I understand that the photo I "
    "upload is used only to find those entries, is not kept once they are found, and that the "
    "answer I get never says whether or which entries matched."
)

_HEAD: Final = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font: 1.05rem/1.5 system-ui, sans-serif; max-width: 36rem; margin: 1rem auto;
       padding: 0 1rem; color: #111; }}
label {{ display: block; font-weight: 600; margin-top: 1.2rem; }}
input, select, button {{ font: inherit; }}
input[type=file], input[type=email], select {{ display: block; width: 100%; margin-top: .3rem; }}
.error {{ color: #a00000; font-weight: 600; margin: .2rem 0 0; }}
.hint {{ color: #444; margin: .2rem 0 0; }}
button {{ margin-top: 1.5rem; padding: .6rem 1.4rem; }}
:focus {{ outline: 3px solid #1a5fb4; outline-offset: 2px; }}
dd {{ margin: 0 0 .6rem 1rem; overflow-wrap: anywhere; }}
pre {{ white-space: pre-wrap; word-break: break-all; background: #f4f4f4; padding: .6rem; }}
</style>
</head>
<body>
<main>
"""
_TAIL: Final = "</main>\n</body>\n</html>\n"


def _field_error(name: str, errors: Mapping[str, str]) -> tuple[str, str]:
    """The attributes and paragraph for a field's error, if it has one."""
    if name not in errors:
        return "", ""
    ident = f"{name}-error"
    return (
        f' aria-invalid="true" aria-describedby="{ident}"',
        f'<p class="error" id="{ident}">{escape(errors[name])}</p>',
    )


def form_page(
    idempotency_key: str, errors: Mapping[str, str] | None = None, contact: str = ""
) -> str:
    errors = errors or {}
    photo_attrs, photo_error = _field_error("photo", errors)
    residency_attrs, residency_error = _field_error("residency", errors)
    attest_attrs, attest_error = _field_error("attest", errors)
    contact_attrs, contact_error = _field_error("contact", errors)
    summary = ""
    if errors:
        summary = (
            '<div role="alert"><p class="error">Please correct the '
            f"{'field' if len(errors) == 1 else 'fields'} marked below.</p></div>\n"
        )
    return (
        _HEAD.format(title="Remove my photos")
        + f"""<h1>Remove my photos</h1>
{summary}<form method="post" action="/opt-out" enctype="multipart/form-data">
<input type="hidden" name="idempotency_key" value="{escape(idempotency_key)}">
<input type="hidden" name="consent_version" value="{CONSENT_VERSION}">
<label for="photo">A photo of your face</label>
<p class="hint" id="photo-hint">JPEG or PNG. It is used only to find your entries.</p>
<input type="file" id="photo" name="photo" accept="image/jpeg,image/png" required{photo_attrs}>
{photo_error}
<label for="residency">Where you live</label>
<select id="residency" name="residency" required{residency_attrs}>
<option value="US-IL">Illinois, United States</option>
</select>
{residency_error}
<fieldset>
<legend>Consent (version {CONSENT_VERSION})</legend>
<p id="consent-text">{escape(CONSENT_TEXT)}</p>
<input type="checkbox" id="attest" name="attest" value="yes" required{attest_attrs}>
<label for="attest" style="display:inline">I confirm the statement above</label>
{attest_error}
</fieldset>
<label for="contact">Email for updates (optional)</label>
<input type="email" id="contact" name="contact" autocomplete="email"
 value="{escape(contact)}"{contact_attrs}>
{contact_error}
<button type="submit">Send my request</button>
</form>
"""
        + _TAIL
    )


def receipt_page(receipt: bytes, *, replay: bool) -> str:
    fields = json.loads(receipt)
    rows = "".join(
        f"<dt>{escape(label)}</dt><dd>{escape(str(fields[key]))}</dd>\n"
        for key, label in (
            ("request_id", "Request number"),
            ("received_at", "Received"),
            ("status", "Status"),
            ("effective_by", "In force by"),
            ("photo_sha256", "Your photo's fingerprint (SHA-256)"),
        )
    )
    again = "<p>This request was already received; here is its receipt again.</p>\n"
    status_url = escape(str(fields["status_url"]))
    return (
        _HEAD.format(title="Your opt-out receipt")
        + f"""<h1>We received your request</h1>
{again if replay else ""}<dl>
{rows}</dl>
<p><a href="{status_url}">Check the status of your request</a> (keep this link private).</p>
<h2>Your signed receipt</h2>
<p>Keep it: it proves when your request was received.</p>
<pre id="receipt">{escape(receipt.decode("ascii"))}</pre>
"""
        + _TAIL
    )


def status_page(status: Mapping[str, str]) -> str:
    state = "in force" if status["status"] == "active" else "received, being processed"
    return (
        _HEAD.format(title="Your opt-out request")
        + f"""<h1>Your request is {escape(state)}</h1>
<dl>
<dt>Request number</dt><dd>{escape(status["request_id"])}</dd>
<dt>Received</dt><dd>{escape(status["received_at"])}</dd>
<dt>In force by</dt><dd>{escape(status["effective_by"])}</dd>
</dl>
"""
        + _TAIL
    )
