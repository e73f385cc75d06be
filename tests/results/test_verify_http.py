"""End to end under uvicorn: the example API with its ``filter_items`` call taken out (the bug
verify mode is there to catch), behind the gate and the result filter, as the example mounts
them. In verify mode (the example's config) the leak is a 503, an alarm in the log and
``leaked`` in the audit record; in filter mode the same app's answer is filtered."""

from __future__ import annotations

import json
import re
import textwrap
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from ..fixtures.servers import app_server

if TYPE_CHECKING:
    from tests.conftest import TokenFactory

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
OPTED_OUT = "face-0001"  # il-opt-out has no end: the test does not depend on the date

BROKEN_APP = """
import importlib.util
import logging
import os

from starlette.applications import Starlette
from starlette.middleware import Middleware

from jurisgate.middleware import (
    FilterOutcome, JurisdictionMiddleware, ResultFilterMiddleware, load_config,
)
from jurisgate.middleware.config.loading import item_policy_of
from jurisgate.middleware.subjects import FixedSuppressions

logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
spec = importlib.util.spec_from_file_location("search_api", os.environ["EXAMPLE_FILE"])
search_api = importlib.util.module_from_spec(spec)
spec.loader.exec_module(search_api)
# The bug: the app forgets its own filtering and lists everyone.
search_api.filter_items = lambda items, **_: FilterOutcome(list(items))

config = os.environ["JURISGATE_CONFIG"]
settings = load_config(config)
items = item_policy_of(settings.policy, settings.items)
suppressions = FixedSuppressions({"@OPTED_OUT@"})
app = Starlette(
    routes=search_api.routes(suppressions, None, items=items),
    middleware=[
        Middleware(JurisdictionMiddleware, config=config),
        Middleware(
            ResultFilterMiddleware, routes=settings.results, suppressions=suppressions,
            policy=items,
        ),
    ],
)
""".replace("@OPTED_OUT@", OPTED_OUT)


def write_config(tmp_path: Path, mode: str) -> Path:
    """The example's development config, with an audit file, in ``mode``."""
    text = (EXAMPLES / "dev" / "jurisgate.dev.toml").read_text(encoding="utf-8")
    assert 'mode = "verify"' in text  # the example app filters itself: it runs verify mode
    key = EXAMPLES / "dev" / "dev_idp_public.pem"
    text = text.replace('"dev_idp_public.pem"', json.dumps(str(key)))
    text = text.replace('mode = "verify"', f'mode = "{mode}"')
    path = tmp_path / "jurisgate.toml"
    path.write_text(text + '\n[audit]\nfile = "audit.jsonl"\nflush_interval = 0.05\n')
    return path


def serve_and_search(
    tmp_path: Path, mode: str, tokens: TokenFactory
) -> tuple[httpx.Response, str, list[dict[str, Any]]]:
    (tmp_path / "broken_app.py").write_text(textwrap.dedent(BROKEN_APP))
    config = write_config(tmp_path, mode)
    env = {"JURISGATE_CONFIG": str(config), "EXAMPLE_FILE": str(EXAMPLES / "search_api.py")}
    log = tmp_path / "server.log"
    token = tokens.client(time.time(), "federal_law_enforcement", "US", "US-DC")
    with app_server("uvicorn", "broken_app:app", [], cwd=tmp_path, env=env, log=log) as port:
        answer = httpx.get(
            f"http://127.0.0.1:{port}/search",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
    # Stopped: the audit file has been written out.
    audit = tmp_path / "audit.jsonl"
    records = [json.loads(line) for line in audit.read_text().splitlines()]
    return answer, log.read_text(errors="replace"), records


def test_verify_mode_refuses_a_leak_raises_the_alarm_and_records_it(
    tmp_path: Path, tokens: TokenFactory
) -> None:
    answer, log, records = serve_and_search(tmp_path, "verify", tokens)
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"] == "urn:jurisgate:problem:results_leak"
    assert "face-" not in answer.text
    (alarm,) = [line for line in log.splitlines() if line.startswith("CRITICAL")]
    assert "jurisgate.results" in alarm
    assert "/search" in alarm
    assert re.search(r"il-opt-out\W+1\b", alarm)
    assert "face-" not in log  # never which entries
    (record,) = [r for r in records if r["path"] == "/search"]
    assert record["sent_status"] == 503
    assert record["leaked"]["il-opt-out"] == 1
    assert record["removed"] == {}


def test_filter_mode_filters_the_same_broken_app(tmp_path: Path, tokens: TokenFactory) -> None:
    answer, log, records = serve_and_search(tmp_path, "filter", tokens)
    assert answer.status_code == 200
    document = answer.json()
    ids = [face["id"] for face in document["results"]]
    assert OPTED_OUT not in ids
    assert document["count"] == len(ids)
    assert "CRITICAL" not in log
    (record,) = [r for r in records if r["path"] == "/search"]
    assert record["sent_status"] == 200
    assert record["removed"]["il-opt-out"] == 1
    assert "leaked" not in record
