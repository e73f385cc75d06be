"""Real Datasette behind the gate: why a deny carved out of an allowed subtree fails open for an
app that decodes paths its own way, and why examples/datasette/ (an allow-list of exact paths)
does not. Datasette routes on ``raw_path`` and reads ``~73`` as ``s``."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import httpx
import pytest
from starlette.types import ASGIApp

from jurisgate.middleware import FixedClock, JurisdictionMiddleware

if TYPE_CHECKING:
    from tests.conftest import TokenFactory

datasette_app = pytest.importorskip("datasette.app")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "datasette"
CITE = '"Order 7", https://example.org/7'


@pytest.fixture
def faces(tmp_path: Path) -> Path:
    """faces.db with an allowed table (people) and a forbidden one (secrets)."""
    path = tmp_path / "faces.db"
    with sqlite3.connect(path) as db:
        db.execute("create table people (id integer primary key, name text)")
        db.execute("insert into people values (1, 'Avery Lindqvist')")
        db.execute("create table secrets (id integer primary key, note text)")
        db.execute("insert into secrets values (1, 'the-secret-row')")
    return path


async def datasette(faces: Path) -> ASGIApp:
    instance = datasette_app.Datasette([str(faces)], settings={"default_allow_sql": False})
    await instance.invoke_startup()
    return cast("ASGIApp", instance.app())


def gov(tokens: TokenFactory, clock: FixedClock) -> dict[str, str]:
    token = tokens.client(clock.now(), "federal_agency", "US", "US-DC")
    return {"Authorization": f"Bearer {token}"}


async def get(app: Any, path: str, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.get(path, headers=headers)


@pytest.mark.anyio
async def test_a_carved_deny_is_passed_by_datasettes_own_spelling(
    faces: Path, tmp_path: Path, tokens: TokenFactory, clock: FixedClock
) -> None:
    (tmp_path / "model.conf").write_bytes((EXAMPLE / "model.conf").read_bytes())
    (tmp_path / "policy.csv").write_text(
        "p, faces-read, allow, federal_agency, US, *, *, *, *, /faces/*, GET, , , , \n"
        f"p, no-secrets, deny, *, US, *, *, *, *, /faces/secrets.json, GET, , , {CITE}\n",
        encoding="utf-8",
    )
    config = tmp_path / "jurisgate.toml"
    text = (EXAMPLE / "jurisgate.toml").read_text(encoding="utf-8")
    config.write_text(text.replace("../dev/", f"{EXAMPLE.parent}/dev/"), encoding="utf-8")
    app = JurisdictionMiddleware(await datasette(faces), config=config, clock=clock)
    headers = gov(tokens, clock)
    assert (await get(app, "/faces/secrets.json", headers)).status_code == 451
    # the shape lint reports as carved_deny: Datasette serves the table the deny names
    bypass = await get(app, "/faces/~73ecrets.json", headers)
    assert bypass.status_code == 200
    assert "the-secret-row" in bypass.text


@pytest.mark.anyio
async def test_the_example_allow_list_refuses_every_other_spelling(
    faces: Path, tokens: TokenFactory, clock: FixedClock
) -> None:
    config = EXAMPLE / "jurisgate.toml"
    app = JurisdictionMiddleware(await datasette(faces), config=config, clock=clock)
    headers = gov(tokens, clock)
    people = await get(app, "/faces/people.json", headers)
    assert people.status_code == 200, people.text
    assert "Avery Lindqvist" in people.text
    assert (await get(app, "/faces/people/1.json", headers)).status_code == 200
    for path in ("/faces/secrets.json", "/faces/~73ecrets.json", "/faces/~70eople.json"):
        refused = await get(app, path, headers)
        assert refused.status_code == 403, path
        assert "the-secret-row" not in refused.text
    assert (await get(app, "/faces/people.json", {})).status_code == 401
