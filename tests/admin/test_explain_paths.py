"""``jurisgate explain`` predicts the gate for path spellings too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jurisgate.admin.cli import main


@pytest.mark.parametrize(
    ("path", "effect", "status"),
    [
        ("/health", "allow", 200),
        ("/search/../health", "deny", 403),  # the gate refuses it too (see test_surface.py)
        ("/search/./x/..", "allow", 200),
        ("/health/../search", "deny", 403),
    ],
)
def test_explain_decides_every_spelling_like_the_gate(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    path: str,
    effect: str,
    status: int,
) -> None:
    monkeypatch.delenv("JURISGATE_CONFIG", raising=False)
    claims = tmp_path / "claims.json"
    claims.write_text(
        json.dumps({"entity_type": "federal_agency", "country": "US", "region": "US-DC"}),
        encoding="utf-8",
    )
    argv = ["explain", "--claims", str(claims), "--path", path, "--method", "GET"]
    assert main([*argv, "--at", "2026-11-26T12:00:00Z", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["effect"], result["status"]) == (effect, status)
