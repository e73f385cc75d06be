"""Answer: RFC 9457 problem+json for 400/401/403/414/451, 503s (a stale policy, the result
filter's), and WebSocket closes, sent as raw ASGI.

Bodies never echo the token or any claim value, and 401 bodies carry only the RFC 6750 error
code: an attacker learns that a token failed, not why.
"""

from __future__ import annotations

import json
from typing import Final, Literal

from starlette.types import Scope, Send

from .decision.values import Decision

__all__ = [
    "DECISION_ID_HEADER",
    "Problem",
    "as_websocket_response",
    "decision_problem",
    "path_problem",
    "refuse",
    "results_problem",
    "send_problem",
    "token_problem",
    "unavailable_problem",
    "websocket_deny",
]

DECISION_ID_HEADER: Final = b"x-jurisgate-decision-id"
_PROBLEM_TYPE: Final = "application/problem+json"
_TITLES: Final = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    414: "URI Too Long",
    451: "Unavailable For Legal Reasons",
    503: "Service Unavailable",
}
_CLAIMS_DETAIL: Final = "Your request cannot be decided with the identity it presents."
_DETAILS: Final = {
    "gate_error": "The request could not be decided, so it is refused.",
    "audit_unavailable": "The request could not be recorded for audit, so it is refused.",
    "rewritten_path": "The request path reached the gate rewritten, so it is refused.",
    "policy_stale": "The access policy could not be confirmed as current, so no request is "
    "decided now; try again later.",
}
# WebSocket close codes (RFC 6455 section 7.4.1, and the IANA registry of section 11.7): a
# policy violation (a refusal), and "try again later" (a 503: the gate will decide later).
WS_POLICY_VIOLATION: Final = 1008
WS_TRY_AGAIN_LATER: Final = 1013

Problem = tuple[int, list[tuple[bytes, bytes]], bytes]


def token_problem(error: str | None, decision_id: str) -> Problem:
    """401 (or 400 for ``invalid_request``) with the RFC 6750 challenge."""
    challenge = 'Bearer realm="jurisgate"'
    if error is not None:
        challenge += f', error="{error}"'
    status = 400 if error == "invalid_request" else 401
    body: dict[str, object] = {
        "type": f"urn:jurisgate:problem:{error or 'token_required'}",
        "title": _TITLES[status],
        "status": status,
        "decision_id": decision_id,
    }
    if error is not None:
        body["error"] = error
    return status, [(b"www-authenticate", challenge.encode("latin-1"))], _encode(body)


def decision_problem(
    decision: Decision, decision_id: str, *, code: str | None = None, blocked_by: str | None = None
) -> Problem:
    """403 or 451 for a policy denial or unusable claims (``code`` names the claims problem)."""
    status = decision.status
    if status == 451 and decision.citation is not None:
        kind, detail = "legal_block", "This service is not available to you for legal reasons."
    elif code is not None:
        kind, detail = code, _DETAILS.get(code, _CLAIMS_DETAIL)
    else:
        kind, detail = "forbidden", "No rule allows this request."
    body: dict[str, object] = {
        "type": f"urn:jurisgate:problem:{kind}",
        "title": _TITLES[status],
        "status": status,
        "detail": detail,
        "rule": decision.rule,
    }
    if status == 451 and decision.citation is not None:
        body["citation"] = decision.citation.as_dict()
    body["decision_id"] = decision_id
    headers: list[tuple[bytes, bytes]] = []
    if status == 451 and blocked_by is not None:
        headers.append((b"link", f'<{blocked_by}>; rel="blocked-by"'.encode("latin-1")))
    return status, headers, _encode(body)


def path_problem(decision_id: str) -> Problem:
    """414 for a path over the configured length (``[requests] max_path_bytes``)."""
    body: dict[str, object] = {
        "type": "urn:jurisgate:problem:path_too_long",
        "title": _TITLES[414],
        "status": 414,
        "detail": "The request's path is longer than this service accepts.",
        "decision_id": decision_id,
    }
    return 414, [], _encode(body)


def unavailable_problem(code: str, decision_id: str, retry_after: int) -> Problem:
    """503 with Retry-After (seconds) for a request the gate will not decide now: ``code``
    says why (``policy_stale``)."""
    body: dict[str, object] = {
        "type": f"urn:jurisgate:problem:{code}",
        "title": _TITLES[503],
        "status": 503,
        "detail": _DETAILS[code],
        "decision_id": decision_id,
    }
    return 503, [(b"retry-after", str(retry_after).encode("latin-1"))], _encode(body)


# The result filter's refusals: it could not filter the answer (or, outside it, the gate saw
# that it did not), or, verifying, it found an entry the app should have filtered out.
_RESULTS_DETAILS: Final = {
    "results_unfiltered": "The results could not be filtered, so they are not sent.",
    "results_leak": "The results held an entry that may not be shown, so they are not sent.",
}


def results_problem(
    kind: Literal["results_unfiltered", "results_leak"],
    decision_id: str | None = None,
    *,
    retry: bool = False,
) -> Problem:
    """503 instead of a ``[[results]]`` route's answer; nothing of that answer is in it.
    ``retry`` adds ``Retry-After`` (a stale suppression list catches up by itself)."""
    body: dict[str, object] = {
        "type": f"urn:jurisgate:problem:{kind}",
        "title": _TITLES[503],
        "status": 503,
        "detail": _RESULTS_DETAILS[kind],
    }
    if decision_id is not None:
        body["decision_id"] = decision_id
    return 503, [(b"retry-after", b"2")] if retry else [], _encode(body)


async def refuse(scope: Scope, send: Send, problem: Problem, decision_id: str) -> int:
    """Answer a refused request and return the status the client is sent: problem+json over
    HTTP; over WebSocket a close (servers answer the upgrade 403), with "try again later" for
    a 503 (a stale policy) and a policy violation for any other refusal. A 503 goes out as
    itself, Retry-After included, where the server offers the WebSocket denial response."""
    status = problem[0]
    if scope["type"] != "websocket":
        await send_problem(send, problem, decision_id)
        return status
    if status == 503 and "websocket.http.response" in (scope.get("extensions") or {}):
        await send_problem(as_websocket_response(send), problem, decision_id)
        return status
    code = WS_TRY_AGAIN_LATER if status == 503 else WS_POLICY_VIOLATION
    await websocket_deny(send, f"denied ({status}); decision {decision_id}", code)
    return 403


def as_websocket_response(send: Send) -> Send:
    """The WebSocket denial-response extension: the same messages, under ``websocket.``."""

    async def send_as_websocket(message: dict[str, object]) -> None:
        await send({**message, "type": f"websocket.{message['type']}"})

    return send_as_websocket  # type: ignore[return-value]


async def send_problem(send: Send, problem: Problem, decision_id: str | None) -> None:
    """``decision_id`` None: sent from inside the gate, which adds its own header."""
    status, extra, body = problem
    headers: list[tuple[bytes, bytes]] = [
        (b"content-type", _PROBLEM_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
    ]
    if decision_id is not None:
        headers.append((DECISION_ID_HEADER, decision_id.encode("latin-1")))
    headers += extra
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def websocket_deny(send: Send, reason: str, code: int = WS_POLICY_VIOLATION) -> None:
    """Close before accepting (``code`` defaults to a policy violation); servers answer the
    upgrade with 403."""
    await send({"type": "websocket.close", "code": code, "reason": reason[:120]})


def _encode(body: dict[str, object]) -> bytes:
    return json.dumps(body, ensure_ascii=True, separators=(",", ":")).encode()
