"""Drive the result filter with an app that sends exactly the given ASGI messages."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from jurisgate.middleware import FixedClock, ResultFilterMiddleware, ResultRoute
from jurisgate.middleware.subjects import FixedSuppressions, Suppressions

NOW = "2026-06-01T00:00:00Z"


def scripted(messages: Sequence[Message]) -> Any:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        for message in messages:
            await send(dict(message))

    return app


def json_answer(
    document: object, status: int = 200, headers: dict[str, str] | None = None
) -> list[Message]:
    body = json.dumps(document).encode()
    sent = {"content-type": "application/json", "content-length": str(len(body)), **(headers or {})}
    return [
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(k.encode(), v.encode()) for k, v in sent.items()],
        },
        {"type": "http.response.body", "body": body},
    ]


async def run(
    app: Any,
    route: ResultRoute,
    *,
    suppressed: Sequence[str] = (),
    suppressions: Suppressions | None = None,
    method: str = "GET",
    path: str = "/search",
    state: dict[str, Any] | None = None,
) -> tuple[int, dict[str, str], bytes, Scope]:
    gate = ResultFilterMiddleware(
        app,
        routes=[route],
        suppressions=suppressions or FixedSuppressions(suppressed),
        clock=FixedClock(NOW),
    )
    sent: list[Message] = []
    scope: Scope = {
        "type": "http", "method": method, "path": path, "headers": [], "state": state or {},
    }  # fmt: skip

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await gate(scope, receive, send)
    starts = [m for m in sent if m["type"] == "http.response.start"]
    assert len(starts) == 1, sent
    headers = {k.decode(): v.decode() for k, v in starts[0].get("headers", ())}
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return starts[0]["status"], headers, body, scope
