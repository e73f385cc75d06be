"""``GET /opt-out``, ``POST /opt-out`` and ``GET /opt-out/{request_id}``: the public opt-out.

Answers (JSON unless the client asked for HTML; errors as problem+json):

=====  ====================================================================================
202    a new request, committed before this answer; ``Location``, body = the signed receipt
200    the same key and payload again: the very receipt bytes first sent
400    ``Idempotency-Key`` (or the form's ``idempotency_key``) missing or malformed
409    the same key while its first request is still being written
413    the photo (the body) is over ``max_photo_bytes``
415    not multipart/form-data, or the photo is not a JPEG or PNG
422    the form is incomplete or the attestation is missing; the same key with another payload
429    too many requests from one client (``Retry-After``)
503    the registry is unreachable (``Retry-After``): never a 202
=====  ====================================================================================

Neither the receipt nor the status ever says whether or which entries matched: an opt-out
form that reports matches would be a free face search.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping
from http import HTTPStatus
from typing import Final

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive

from ..clock import Clock
from .errors import IdempotencyConflict, RegistryUnavailable, SubjectsError
from .model import OptOutSubmission, SubmitOutcome
from .page import CONSENT_VERSION, form_page, receipt_page, status_page
from .rate_limit import RateLimiter
from .receipts import ReceiptSigner
from .registry import SubjectRegistry

__all__ = ["BASIS", "OptOutEndpoints"]

BASIS: Final = "il-opt-out"  # the rule that grants the right and that suppressions cite
_JURISDICTIONS: Final = frozenset({"US-IL"})
_API_KEY: Final = re.compile(r"[A-Za-z0-9._~:+/=-]{16,128}")
_CONTACT: Final = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}")
_PHOTO_TYPES: Final = ((b"\xff\xd8\xff", "jpeg"), (b"\x89PNG\r\n\x1a\n", "png"))
_FORM_OVERHEAD: Final = 64 * 1024  # the other fields and the multipart framing
_RETRY_AFTER: Final = "5"


class _TooLarge(SubjectsError):
    """The body grew past the limit while it was read (a lying or absent Content-Length)."""


class OptOutEndpoints:
    """The routes, bound to one registry and one receipt key. ``routes`` goes into a Starlette
    app (or FastAPI's ``app.router.routes``); the gate's public rows admit them."""

    def __init__(
        self,
        registry: SubjectRegistry,
        signer: ReceiptSigner,
        *,
        max_photo_bytes: int = 8 * 1024 * 1024,
        requests_per_minute: int = 10,
        clock: Clock | None = None,
    ) -> None:
        self._registry = registry
        self._signer = signer
        self._max_body = max_photo_bytes + _FORM_OVERHEAD
        self._max_photo = max_photo_bytes
        self._limiter = RateLimiter(requests_per_minute, clock=clock)
        # Keys for the form's own idempotency keys and for contacts, derived from the receipt
        # key so that operators keep one secret, never the key itself.
        self._form_key = signer.derive(b"jurisgate opt-out form keys")
        self._contact_key = signer.derive(b"jurisgate opt-out contacts")
        self.routes = [
            Route("/opt-out", self.form, methods=["GET"]),
            Route("/opt-out", self.submit, methods=["POST"]),
            Route("/opt-out/{request_id}", self.status, methods=["GET"]),
        ]

    async def form(self, request: Request) -> Response:
        return HTMLResponse(form_page(self._issue_form_key()), headers=_NO_STORE)

    async def submit(self, request: Request) -> Response:
        html = _wants_html(request)
        client = request.client.host if request.client else "unknown"
        wait = self._limiter.admit(client)
        if wait is not None:
            return _problem(
                429,
                "too_many_requests",
                "Too many requests; try again later.",
                headers={"retry-after": str(max(1, int(wait) + 1))},
            )
        content_type = request.headers.get("content-type", "")
        if not content_type.lower().startswith("multipart/form-data"):
            return _problem(415, "unsupported_media_type", "Send multipart/form-data.")
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self._max_body:
            return _problem(413, "photo_too_large", "The photo is too large.")
        capped = Request(request.scope, _capped(request.receive, self._max_body))
        try:
            form = await capped.form(max_files=1, max_fields=8, max_part_size=_FORM_OVERHEAD)
        except _TooLarge:
            return _problem(413, "photo_too_large", "The photo is too large.")
        except MultiPartException as exc:
            return _problem(400, "malformed_form", f"The form could not be read: {exc.message}")
        except HTTPException as exc:  # Starlette's answer to a MultiPartException inside an app
            return _problem(400, "malformed_form", f"The form could not be read: {exc.detail}")
        try:
            scope_key = self._idempotency(request, form.get("idempotency_key"))
            if scope_key is None:
                return _problem(
                    400, "idempotency_key", "Send an Idempotency-Key header of 16-128 characters."
                )
            errors: dict[str, str] = {}
            photo = form.get("photo")
            data = b""
            if not isinstance(photo, UploadFile):
                errors["photo"] = "Choose a photo of your face."
            else:
                data = await photo.read(self._max_photo + 1)
                if len(data) > self._max_photo:
                    return _problem(413, "photo_too_large", "The photo is too large.")
                if not data:
                    errors["photo"] = "Choose a photo of your face."
                elif not any(data.startswith(magic) for magic, _ in _PHOTO_TYPES):
                    return _problem(415, "unsupported_photo", "The photo must be a JPEG or PNG.")
            residency = form.get("residency")
            if residency not in _JURISDICTIONS:
                errors["residency"] = "This form is for residents of Illinois (US-IL)."
            if form.get("attest") != "yes":
                errors["attest"] = "Confirm the statement to send your request."
            contact = form.get("contact")
            contact_text = contact.strip() if isinstance(contact, str) else ""
            if contact_text and not _CONTACT.fullmatch(contact_text):
                errors["contact"] = "Enter an email address, or leave this empty."
            consent = form.get("consent_version", CONSENT_VERSION)
            if consent != CONSENT_VERSION:
                errors["consent_version"] = "The consent text has changed; reload the form."
            if errors:
                if html:
                    page = form_page(self._issue_form_key(), errors, contact_text)
                    return HTMLResponse(page, status_code=422, headers=_NO_STORE)
                return _problem(
                    422, "incomplete_form", "The form is incomplete.", extra={"errors": errors}
                )
        finally:
            await form.close()
        scope, key = scope_key
        submission = OptOutSubmission(
            idempotency_scope=scope,
            idempotency_key=key,
            basis=BASIS,
            jurisdiction=str(residency),
            consent_version=CONSENT_VERSION,
            photo_sha256=hashlib.sha256(data).hexdigest(),
            contact_hmac=self._contact_hmac(contact_text) if contact_text else None,
        )
        try:
            outcome = await self._registry.submit(
                submission, data, self._signer.for_submission(submission)
            )
        except IdempotencyConflict as exc:
            if exc.reason == "in_flight":
                return _problem(
                    409,
                    "in_flight",
                    "This request is still being processed.",
                    headers={"retry-after": "1"},
                )
            return _problem(
                422, "idempotency_key_reused", "This idempotency key was used for another request."
            )
        except RegistryUnavailable:
            return _problem(
                503,
                "registry_unavailable",
                "Your request could not be recorded now; nothing was kept. Try again later.",
                headers={"retry-after": _RETRY_AFTER},
            )
        return _receipt_response(outcome, html)

    async def status(self, request: Request) -> Response:
        token = request.query_params.get("token", "")
        request_id = request.path_params["request_id"]
        try:
            found = await self._registry.status(request_id, token) if token else None
        except RegistryUnavailable:
            return _problem(
                503,
                "registry_unavailable",
                "Try again later.",
                headers={"retry-after": _RETRY_AFTER},
            )
        if found is None:  # unknown and wrong token alike: no oracle for request ids
            return _problem(404, "not_found", "No request matches this link.")
        if _wants_html(request):
            return HTMLResponse(status_page(found), headers=_NO_STORE)
        return JSONResponse(found, headers=_NO_STORE)

    def _idempotency(self, request: Request, form_key: object) -> tuple[str, str] | None:
        header = request.headers.get("idempotency-key")
        if header is not None:
            return ("api", header) if _API_KEY.fullmatch(header) else None
        if isinstance(form_key, str) and self._form_key_valid(form_key):
            return ("form", form_key)
        return None

    def _issue_form_key(self) -> str:
        nonce = secrets.token_urlsafe(18)
        return f"{nonce}.{self._mac(nonce)}"

    def _form_key_valid(self, key: str) -> bool:
        nonce, _, mac = key.partition(".")
        return bool(nonce) and len(key) <= 128 and hmac.compare_digest(mac, self._mac(nonce))

    def _mac(self, nonce: str) -> str:
        digest = hmac.new(self._form_key, nonce.encode(), hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def _contact_hmac(self, contact: str) -> str:
        return hmac.new(self._contact_key, contact.lower().encode(), hashlib.sha256).hexdigest()


_NO_STORE: Final = {"cache-control": "no-store"}


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept


def _receipt_response(outcome: SubmitOutcome, html: bool) -> Response:
    status = 202 if outcome.created else 200
    headers = {"location": f"/opt-out/{outcome.request_id}", **_NO_STORE}
    if html:
        page = receipt_page(outcome.receipt, replay=not outcome.created)
        return HTMLResponse(page, status_code=status, headers=headers)
    return Response(outcome.receipt, status, headers, media_type="application/json")


def _problem(
    status: int,
    code: str,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, object] | None = None,
) -> Response:
    body: dict[str, object] = {
        "type": f"urn:jurisgate:problem:{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    body.update(extra or {})
    return Response(
        json.dumps(body),
        status,
        {**_NO_STORE, **(headers or {})},
        media_type="application/problem+json",
    )


def _capped(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def capped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _TooLarge("the body is over the limit")
        return message

    return capped
